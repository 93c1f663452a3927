import { authHeaders, endsSession, reportAuthFailure } from '../api/client';
import type { LiveEvent } from '../api/types';
import { SseParser } from './sse-reader';

export type LiveState = 'connecting' | 'live' | 'offline';
type Listener = (event: LiveEvent) => void;

/** A local event (never from the server): the stream reconnected, so pages reload what they show. */
export const RECONNECTED = 'dashboard.reconnected';

const RETRY_MS = [1_000, 2_000, 5_000, 10_000];

/**
 * GET /events/stream read with fetch (a bearer token), kept open: after a drop it reconnects
 * with Last-Event-ID, so no event is missed. An answer that ends the session signs out.
 */
export class LiveEvents {
  private listeners = new Set<Listener>();
  private stateListeners = new Set<(state: LiveState) => void>();
  private lastEventId: string | null = null;
  private abort: AbortController | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private connections = 0;
  private stopped = true;
  state: LiveState = 'connecting';

  constructor(private readonly token: string) {}

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.abort?.abort();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (state: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private emit(event: LiveEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private setState(state: LiveState): void {
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }

  private async connect(): Promise<void> {
    this.abort = new AbortController();
    this.setState('connecting');
    try {
      const headers: Record<string, string> = { ...authHeaders(this.token), accept: 'text/event-stream' };
      if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
      const response = await fetch('/events/stream', { headers, signal: this.abort.signal, cache: 'no-store' });
      if (!response.ok || !response.body) {
        const body = (await response.json().catch(() => ({}))) as { code?: string };
        const code = body.code ?? '';
        if (endsSession(response.status, code)) {
          this.stopped = true;
          reportAuthFailure(response.status, code);
          return;
        }
        throw new Error(`event stream answered ${response.status}`);
      }
      this.setState('live');
      // After a drop, pages reload what they show (events before the first one seen are not replayed).
      if (this.connections > 0) this.emit({ id: '', type: RECONNECTED, tenant_id: '', device_id: null, timestamp: new Date().toISOString(), data: {} });
      this.connections += 1;
      this.failures = 0;
      await this.read(response.body);
    } catch {
      // A dropped connection or a network error: retried below.
    }
    if (this.stopped) return;
    this.setState('offline');
    const delay = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)]!;
    this.failures += 1;
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.push(decoder.decode(value, { stream: true }), (message) => {
        if (message.id) this.lastEventId = message.id;
        let event: LiveEvent;
        try {
          event = JSON.parse(message.data) as LiveEvent;
        } catch {
          return;
        }
        this.emit(event);
      });
    }
  }
}
