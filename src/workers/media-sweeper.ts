import type { Deps } from '../deps.js';
import { sweepMedia } from '../media/service.js';

const SWEEP_MS = 60_000;
/** Temporary objects are looked for less often: on S3 that is a listing. */
const TEMPORARIES_EVERY = 60;

/**
 * The media sweep, once a minute on every node (the work is idempotent): expired upload ids,
 * media past WUTS_MEDIA_RETENTION_DAYS and their unreferenced blobs; once an hour, temporary
 * objects of uploads a crash cut off.
 */
export class MediaSweeper {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private rounds = 0;

  constructor(private readonly deps: Deps) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.timer = setTimeout(() => {
        this.running = this.sweep().finally(() => {
          this.running = undefined;
          if (!this.stopped) tick();
        });
      }, SWEEP_MS);
      this.timer.unref();
    };
    tick();
  }

  /** One sweep now; errors are logged. */
  async sweep(): Promise<void> {
    try {
      const removed = await sweepMedia(this.deps, { temporaries: this.rounds++ % TEMPORARIES_EVERY === 0 });
      if (removed > 0) this.deps.logger.info({ removed }, 'media swept');
    } catch (err) {
      this.deps.logger.error({ err }, 'media sweep failed');
    }
  }

  /** No new sweep; waits for one in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
