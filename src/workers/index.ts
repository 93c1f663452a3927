import type { Deps } from '../deps.js';
import { createWebhookPoster, type WebhookPoster } from '../webhooks/deliver.js';
import type { WhatsAppProvider } from '../whatsapp/provider.js';
import { DeviceSupervisor } from './device-supervisor.js';
import { MediaDownloader } from './media-downloader.js';
import { MediaSweeper } from './media-sweeper.js';
import { MessageSender } from './message-sender.js';
import type { OpenReceivedMedia } from '../messages/media-downloads.js';
import { WebhookDispatcher, type DispatcherOptions } from './webhook-dispatcher.js';
import { randomUUID } from 'node:crypto';
import { ClusterDevices, PLACEMENT_CHANNEL } from '../cluster/cluster-devices.js';
import { CommandRelay } from '../cluster/command-relay.js';
import { LeaseKeeper } from '../cluster/lease-keeper.js';
import { wutsVersion } from '../cluster/version.js';
import { PgNotifications } from '../db/notifications.js';

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
  /** The node's id in the cluster: WUTS_NODE_ID, else `serve` passes `<hostname>:<port>`; a random one when absent. */
  nodeId?: string;
}

/** The loops of one node: built here, woken through the bus, started and stopped together. */
export interface Workers {
  /** Holds the WhatsApp connections of the devices whose lease this node has. */
  readonly devices: DeviceSupervisor;
  /** The node's heartbeat, device leases and placement (src/cluster). */
  readonly keeper: LeaseKeeper;
  /** The bus's device commands: run here, or on the node holding the device. */
  readonly commands: ClusterDevices;
  /** Sends each held device's outbound queue. */
  readonly sender: MessageSender;
  /** Delivers webhooks (its own poster, closed by stop()). */
  readonly dispatcher: WebhookDispatcher;
  /** Deletes expired and old media (and their blobs). */
  readonly mediaSweeper: MediaSweeper;
  /**
   * Starts the loops: joins the cluster (heartbeat, leases: the devices that should be connected
   * are taken and reconnected), answers device commands, runs the sender and the media sweep
   * and, unless `dispatcher: false`, delivers webhooks.
   */
  start(options?: { dispatcher?: boolean }): Promise<void>;
  /**
   * Stops taking work (device commands, sends, webhook claims), waits for the sends and
   * deliveries in flight (until `deadline`, a Date.now() value, when given: the rest are abandoned
   * and stay claimable), then hands every device over (its connection closed, sessions stay, its
   * lease released for the other nodes), leaves the cluster and closes the poster; once.
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
    onEnded: (deviceId, fence) => keeper.released(deviceId, fence),
  });
  const nodeId = options.nodeId ?? deps.config.cluster.nodeId ?? `node-${randomUUID().slice(0, 8)}`;
  const keeper = new LeaseKeeper(deps, { id: nodeId, version: wutsVersion(), startedAt: new Date().toISOString() }, deps.config.cluster, devices);
  const commands = new ClusterDevices(deps, keeper, devices);
  const cluster = deps.config.databaseUrl ? clusterLink(deps, nodeId, commands, keeper) : undefined;
  const sender = new MessageSender(deps);
  const mediaDownloader = new MediaDownloader(deps, receivedMediaOpener(deps));
  const dispatcher = createWebhookDispatcher(deps);
  const mediaSweeper = new MediaSweeper(deps);
  let stopServing: () => void = () => {};
  let stopping: Promise<void> | undefined;
  return {
    devices,
    keeper,
    commands,
    sender,
    dispatcher,
    mediaSweeper,
    async start(opts = {}) {
      await cluster?.start();
      const unserve = [
        deps.bus.serveDevices(commands),
        deps.bus.serveNodeStatus({
          nodeId,
          devicesHeld: () => keeper.heldCount,
          devicesConnected: () => devices.runningIds().filter((id) => devices.isConnected(id)).length,
          counters: () => ({
            leasesAcquired: keeper.counters.acquired,
            leasesLost: keeper.counters.lost,
            leasesReleased: keeper.counters.released,
            commandsSent: cluster?.relay.counters.sent ?? 0,
            commandsServed: cluster?.relay.counters.served ?? 0,
            commandsTimedOut: cluster?.relay.counters.timedOut ?? 0,
          }),
        }),
      ];
      stopServing = () => unserve.forEach((off) => off());
      sender.start((deviceId) => devices.live(deviceId));
      mediaSweeper.start();
      await keeper.start();
      // the first placement: devices that should be connected and that nobody holds are taken now
      keeper.poke();
      mediaDownloader.start();
      if (opts.dispatcher !== false) dispatcher.start();
    },
    stop(opts = {}) {
      stopping ??= (async () => {
        stopServing();
        await Promise.all([sender.stop(opts.deadline), dispatcher.stop(opts.deadline), mediaDownloader.stop(), mediaSweeper.stop()]);
        await keeper.drain();
        await devices.stopAll();
        await keeper.stop();
        await cluster?.stop();
        await dispatcher.poster.close();
      })();
      return stopping;
    },
  };
}

/**
 * PostgreSQL: the node's link to the others, on a listening connection of its own: device
 * commands for devices held elsewhere (and from other nodes for those held here), and the
 * "look for devices now" call after a node released some.
 */
function clusterLink(deps: Deps, nodeId: string, commands: ClusterDevices, keeper: LeaseKeeper) {
  const notifications = new PgNotifications({ databaseUrl: deps.config.databaseUrl!, logger: deps.logger, connectTimeoutMs: deps.config.pgConnectTimeoutMs });
  const relay = new CommandRelay(deps.db, nodeId, notifications, deps.logger, commands.handlers());
  commands.useRelay(relay);
  keeper.onReleased = () => void relay.broadcast(PLACEMENT_CHANNEL, nodeId).catch(() => {});
  let offPlacement = () => {};
  return {
    relay,
    async start() {
      offPlacement = notifications.subscribe(PLACEMENT_CHANNEL, (from) => from !== nodeId && keeper.poke());
      relay.start();
      notifications.start();
    },
    async stop() {
      offPlacement();
      relay.stop();
      await notifications.stop();
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
