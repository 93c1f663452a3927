import type { Config } from '../config.js';
import { RateWindow } from '../lib/rate-window.js';

/** Per-node limits on the calls that make WUTS send requests on demand: tests and retries. */
export class WebhookLimits {
  private readonly tests: RateWindow;
  private readonly retries: RateWindow;
  constructor(config: Pick<Config, 'webhookTestsPerMinute' | 'deliveryRetriesPerMinute'>) {
    this.tests = new RateWindow(config.webhookTestsPerMinute, 60_000);
    this.retries = new RateWindow(config.deliveryRetriesPerMinute, 60_000);
  }

  takeTest(webhookId: string): void {
    this.tests.enforce(webhookId, 'too many test events for this webhook; try again later');
  }

  takeRetry(tenantId: string): void {
    this.retries.enforce(tenantId, 'too many delivery retries for this tenant; try again later');
  }
}
