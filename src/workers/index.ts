import type { Deps } from '../deps.js';
import { createWebhookPoster, type WebhookPoster } from '../webhooks/deliver.js';
import type { WhatsAppProvider } from '../whatsapp/provider.js';
import { DeviceSupervisor } from './device-supervisor.js';
import { MediaDownloader } from './media-downloader.js';
import { MediaSweeper } from './media-sweeper.js';
import { MessageSender } from './message-sender.js';
import type { OpenReceivedMedia } from '../messages/media-downloads.js';
import { WebhookDispatcher, type DispatcherOptions } from './webhook-dispatcher.js';

export type { DeviceSupervisor, MediaSweeper, MessageSender, WebhookDispatcher };

/** WhatsApp timeouts (tests shorten them so a missing answer fails in seconds). */
export interface WhatsAppTimeouts {
  defaultQueryTimeoutMs?: number;
  connectTimeoutMs?: number;
  qrTimeoutMs?: number;
  backoffInitialMs?: number;
  /** How long a send waits for the server's ack; WUTS_SEND_ACK_TIMEOUT_SECONDS when absent. */
  ackTimeoutMs?: number;
}

export interface WorkerOptions {
  whatsapp?: WhatsAppTimeouts;
  /** The WhatsApp provider; the Baileys provider on WUTS_WA_WS_URL when absent. */
  provider?: () => Promise<WhatsAppProvider>;
}

/** The loops of one node: built here, woken through the bus, started and stopped together. */
export interface Workers {
  /** Holds devices' WhatsApp connections and answers the bus's device commands. */
  readonly devices: DeviceSupervisor;
  /** Sends each held device's outbound queue. */
  readonly sender: MessageSender;
  /** Delivers webhooks (its own poster, closed by stop()). */
  readonly dispatcher: WebhookDispatcher;
  /** Deletes expired and old media (and their blobs). */
  readonly mediaSweeper: MediaSweeper;
  /**
   * Starts the loops: answers device commands, runs the sender and the media sweep, reconnects the devices that
   * should be connected and, unless `dispatcher: false`, delivers webhooks.
   */
  start(options?: { dispatcher?: boolean }): Promise<void>;
  /**
   * Stops taking work (device commands, sends, webhook claims), waits for the sends and
   * deliveries in flight (until `deadline`, a Date.now() value, when given: the rest are abandoned
   * and stay claimable), then closes every WhatsApp connection (sessions stay) and the poster; once.
   */
  stop(options?: { deadline?: number }): Promise<void>;
}

/** The Baileys provider, loaded on first use: the WhatsApp library costs time and memory. */
function baileysProvider(deps: Deps, timeouts: WhatsAppTimeouts): () => Promise<WhatsAppProvider> {
  return async () => {
    const { createBaileysProvider } = await import('../whatsapp/baileys/index.js');
    return createBaileysProvider({
      waWsUrl: deps.config.waWsUrl,
      media: { host: deps.config.waMediaHost, caPem: deps.config.waMediaCaPem },
      logger: deps.logger.child({ component: 'whatsapp' }),
      ackTimeoutMs: deps.config.sendAckTimeoutMs,
      ...timeouts,
    });
  };
}

/** Received media are downloaded from WhatsApp's media host (WUTS_WA_MEDIA_HOST) with Baileys' decryption, loaded on first use. */
function receivedMediaOpener(deps: Deps): () => Promise<OpenReceivedMedia> {
  let opener: OpenReceivedMedia | undefined;
  return async () => {
    if (!opener) {
      const { mediaTransport, openReceivedMedia } = await import('../whatsapp/baileys/media-transfer.js');
      const transport = mediaTransport({ host: deps.config.waMediaHost, caPem: deps.config.waMediaCaPem });
      opener = (download) => openReceivedMedia(download, transport);
    }
    return opener;
  };
}

export function createWorkers(deps: Deps, options: WorkerOptions = {}): Workers {
  const timeouts = options.whatsapp ?? {};
  const devices = new DeviceSupervisor(deps, {
    provider: options.provider ?? baileysProvider(deps, timeouts),
    backoffInitialMs: timeouts.backoffInitialMs,
  });
  const sender = new MessageSender(deps);
  const mediaDownloader = new MediaDownloader(deps, receivedMediaOpener(deps));
  const dispatcher = createWebhookDispatcher(deps);
  const mediaSweeper = new MediaSweeper(deps);
  let stopServing: () => void = () => {};
  let stopping: Promise<void> | undefined;
  return {
    devices,
    sender,
    dispatcher,
    mediaSweeper,
    async start(opts = {}) {
      stopServing = deps.bus.serveDevices(devices);
      sender.start((deviceId) => devices.live(deviceId));
      mediaSweeper.start();
      await devices.reconnectAll();
      mediaDownloader.start();
      if (opts.dispatcher !== false) dispatcher.start();
    },
    stop(opts = {}) {
      stopping ??= (async () => {
        stopServing();
        await Promise.all([sender.stop(opts.deadline), dispatcher.stop(opts.deadline), mediaDownloader.stop(), mediaSweeper.stop()]);
        await devices.stopAll();
        await dispatcher.poster.close();
      })();
      return stopping;
    },
  };
}

/**
 * A webhook dispatcher on the settings; tests pass a clock, a schedule and a jitter of their
 * own. Its poster is closed by `dispatcher.poster.close()`.
 */
export function createWebhookDispatcher(
  deps: Deps,
  overrides: Partial<Omit<DispatcherOptions, 'db' | 'secrets' | 'bus' | 'logger' | 'poster'>> & { allowPrivate?: boolean } = {},
): WebhookDispatcher & { poster: WebhookPoster } {
  const { allowPrivate, ...options } = overrides;
  const timeoutMs = options.timeoutMs ?? deps.config.webhookTimeoutMs;
  const poster = createWebhookPoster({ timeoutMs, allowPrivate: allowPrivate ?? deps.config.allowPrivateWebhooks });
  const dispatcher = new WebhookDispatcher({
    db: deps.db,
    secrets: deps.secrets,
    bus: deps.bus,
    logger: deps.logger,
    poster,
    now: () => deps.clock.now(),
    scheduleMs: deps.config.webhookRetryScheduleMs,
    concurrency: deps.config.webhookConcurrency,
    perWebhookConcurrency: deps.config.webhookConcurrencyPerWebhook,
    timeoutMs,
    disableAfterMs: deps.config.webhookDisableAfterMs,
    eventRetentionDays: deps.config.eventRetentionDays,
    ...options,
  });
  return Object.assign(dispatcher, { poster });
}
