import type { Deps } from '../deps.js';
import { downloadDueMedia, type OpenReceivedMedia } from '../messages/media-downloads.js';

/** Looks for due downloads this often even when nothing woke it (retries, other nodes' files). */
const POLL_MS = 2_000;

/**
 * Downloads received media into the media store, after the message itself is stored: woken
 * when a media message arrives, and every few seconds for retries. Several nodes may run it;
 * each file is claimed by one.
 */
export class MediaDownloader {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private unsubscribe: () => void = () => {};

  constructor(
    private readonly deps: Deps,
    private readonly open: () => Promise<OpenReceivedMedia>,
  ) {}

  start(): void {
    this.stopped = false;
    this.unsubscribe = this.deps.bus.onMediaDownloadsWake(() => this.wake());
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.wake(), POLL_MS);
    this.timer.unref();
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.wake();
      } else this.schedule();
    });
  }

  private async drain(): Promise<void> {
    try {
      const open = await this.open();
      while (!this.stopped && (await downloadDueMedia(this.deps, open)) > 0);
    } catch (err) {
      this.deps.logger.error({ err }, 'the media downloader failed; it tries again shortly');
    }
  }
}
