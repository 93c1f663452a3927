import { EventEmitter } from 'node:events';

/**
 * Wakes this process's workers (webhook dispatcher, live streams) when events were committed.
 * Other nodes find the same rows by polling; the bus only removes the wait.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  notify(): void {
    this.emitter.emit('committed');
  }

  subscribe(listener: () => void): () => void {
    this.emitter.on('committed', listener);
    return () => this.emitter.off('committed', listener);
  }
}
