import { EventEmitter } from 'node:events';
import type { DeviceCommands } from '../devices/commands.js';
import type { NodeStatus } from '../cluster/node-status.js';
import { AppError } from '../lib/errors.js';

/**
 * The seam between services and this process's workers. Services announce what they committed
 * (events, a queued message) and ask the device worker for what needs a live WhatsApp connection;
 * they never hold a worker. Other nodes find the same rows by polling: a wake only removes the wait.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private deviceWorker: DeviceCommands | undefined;
  private nodeStatus: NodeStatus | undefined;

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** Events were committed: the webhook dispatcher and live streams look for them now. */
  notify(): void {
    this.emitter.emit('committed');
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
    this.emitter.emit('webhooks', tenantId, webhookId);
  }

  onWebhooksChanged(listener: (tenantId: string, webhookId: string | null) => void): () => void {
    this.emitter.on('webhooks', listener);
    return () => this.emitter.off('webhooks', listener);
  }

  /** A message was queued for the device, or it can send again: the outbound sender looks at its queue. */
  wakeSender(deviceId: string): void {
    this.emitter.emit('outbound', deviceId);
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
    this.emitter.emit('pace', deviceId);
  }

  onSendPaceChanged(listener: (deviceId: string) => void): () => void {
    this.emitter.on('pace', listener);
    return () => this.emitter.off('pace', listener);
  }

  /** A received message's file waits to be downloaded: the media downloader looks. */
  wakeMediaDownloads(): void {
    this.emitter.emit('media');
  }

  onMediaDownloadsWake(listener: () => void): () => void {
    this.emitter.on('media', listener);
    return () => this.emitter.off('media', listener);
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
