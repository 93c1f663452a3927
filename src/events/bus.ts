import { EventEmitter } from 'node:events';
import type { DeviceCommands } from '../devices/commands.js';
import type { NodeStatus } from '../cluster/node-status.js';
import { AppError } from '../lib/errors.js';

/** The signals a bus carries, as its emitting methods name them (a relay to other nodes takes them too). */
export interface BusSignals {
  notify(): void;
  webhooksChanged(tenantId: string, webhookId: string | null): void;
  wakeSender(deviceId: string): void;
  sendPaceChanged(deviceId: string): void;
  wakeMediaDownloads(): void;
}

/**
 * The seam between services and this process's workers. Services announce what they committed
 * (events, a queued message) and ask the device worker for what needs a live WhatsApp connection;
 * they never hold a worker. Other nodes hear the signals through a relay (src/cluster/bus-relay.ts)
 * when one is attached, and find the same rows by polling otherwise: a wake only removes the wait.
 */
export class EventBus implements BusSignals {
  private readonly emitter = new EventEmitter();
  private deviceWorker: DeviceCommands | undefined;
  private nodeStatus: NodeStatus | undefined;
  private relay: BusSignals | undefined;

  /** Emits on this node only: what a relay heard from another node is not relayed again. */
  readonly local: BusSignals = {
    notify: () => this.emitter.emit('committed'),
    webhooksChanged: (tenantId, webhookId) => this.emitter.emit('webhooks', tenantId, webhookId),
    wakeSender: (deviceId) => this.emitter.emit('outbound', deviceId),
    sendPaceChanged: (deviceId) => this.emitter.emit('pace', deviceId),
    wakeMediaDownloads: () => this.emitter.emit('media'),
  };

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** Every signal emitted on this bus (not those emitted through `local`) goes to `relay` too, until the returned function is called. */
  relayTo(relay: BusSignals): () => void {
    this.relay = relay;
    return () => {
      if (this.relay === relay) this.relay = undefined;
    };
  }

  /** Events were committed: the webhook dispatcher and live streams look for them now. */
  notify(): void {
    this.local.notify();
    this.relay?.notify();
  }

  subscribe(listener: () => void): () => void {
    this.emitter.on('committed', listener);
    return () => this.emitter.off('committed', listener);
  }

  /**
   * A webhook was changed, deleted or had its secret rotated (webhookId null: every webhook of
   * the tenant): the dispatcher reads it again before its next delivery.
   */
  webhooksChanged(tenantId: string, webhookId: string | null): void {
    this.local.webhooksChanged(tenantId, webhookId);
    this.relay?.webhooksChanged(tenantId, webhookId);
  }

  onWebhooksChanged(listener: (tenantId: string, webhookId: string | null) => void): () => void {
    this.emitter.on('webhooks', listener);
    return () => this.emitter.off('webhooks', listener);
  }

  /** A message was queued for the device, or it can send again: the outbound sender looks at its queue. */
  wakeSender(deviceId: string): void {
    this.local.wakeSender(deviceId);
    this.relay?.wakeSender(deviceId);
  }

  onSenderWake(listener: (deviceId: string) => void): () => void {
    this.emitter.on('outbound', listener);
    return () => this.emitter.off('outbound', listener);
  }

  /**
   * The device's pace between sends changed (or the device is gone): the sender forgets the
   * pace it keeps and reads it again before the device's next message.
   */
  sendPaceChanged(deviceId: string): void {
    this.local.sendPaceChanged(deviceId);
    this.relay?.sendPaceChanged(deviceId);
  }

  onSendPaceChanged(listener: (deviceId: string) => void): () => void {
    this.emitter.on('pace', listener);
    return () => this.emitter.off('pace', listener);
  }

  /** A received message's file waits to be downloaded: the media downloader looks. */
  wakeMediaDownloads(): void {
    this.local.wakeMediaDownloads();
    this.relay?.wakeMediaDownloads();
  }

  onMediaDownloadsWake(listener: () => void): () => void {
    this.emitter.on('media', listener);
    return () => this.emitter.off('media', listener);
  }

  /**
   * A relay listens again (or for the first time): what other nodes changed meanwhile was not
   * heard, so what is kept from the database (webhooks, send paces) is dropped. This node only.
   */
  peerSignalsMissed(): void {
    this.emitter.emit('missed');
  }

  onPeerSignalsMissed(listener: () => void): () => void {
    this.emitter.on('missed', listener);
    return () => this.emitter.off('missed', listener);
  }

  /** The device worker answers device commands from now on (until the returned function is called). */
  serveDevices(worker: DeviceCommands): () => void {
    this.deviceWorker = worker;
    return () => {
      if (this.deviceWorker === worker) this.deviceWorker = undefined;
    };
  }

  /** The node's workers report through `status` (metrics) from now on. */
  serveNodeStatus(status: NodeStatus): () => void {
    this.nodeStatus = status;
    return () => {
      if (this.nodeStatus === status) this.nodeStatus = undefined;
    };
  }

  /** What this node's workers report; undefined while none run. */
  node(): NodeStatus | undefined {
    return this.nodeStatus;
  }

  /** The device worker of this node; 503 when this node runs none (starting or shutting down). */
  devices(): DeviceCommands {
    if (!this.deviceWorker) throw new AppError(503, 'devices_unavailable', 'this node holds no WhatsApp connections right now: try again shortly');
    return this.deviceWorker;
  }
}
