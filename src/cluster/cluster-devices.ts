import type { Deps } from '../deps.js';
import type { DeviceCommands, SessionSignal } from '../devices/commands.js';
import { AppError, conflict } from '../lib/errors.js';
import type { DeviceGroups } from '../whatsapp/groups.js';
import type { MediaDownload, MessageRef, NumberCheck, PresenceState } from '../whatsapp/messages.js';
import type { LocalDevices } from './local-devices.js';
import { CommandAbandonedError, type CommandHandler, type CommandRelay } from './command-relay.js';
import type { LeaseKeeper } from './lease-keeper.js';
import { deviceStatus, holderOf } from './leases-repo.js';
import { nodesWithLeases } from './nodes-repo.js';

/** A command waits this long for the holding node's answer (connect: its own wait, plus this). */
const COMMAND_TIMEOUT_MS = 20_000;

const notConnected = () => conflict('the device is not connected', 'device_not_connected');
const noNode = () => new AppError(503, 'devices_unavailable', 'no node can hold WhatsApp connections right now: try again shortly');

type ConnectOptions = { pairingPhone?: string | undefined; waitMs?: number };
type GroupCall = { deviceId: string; method: string; args: unknown[] };

/**
 * The device commands of a node in a cluster: run here when this node holds the device,
 * otherwise on the node holding its lease (through the command relay); a device nobody holds
 * is placed by `connect` on the live device node holding the fewest (this one on a tie).
 * Without a relay (SQLite: one node), everything runs here.
 */
export class ClusterDevices implements DeviceCommands {
  private relay: CommandRelay | undefined;

  constructor(
    private readonly deps: Deps,
    private readonly keeper: LeaseKeeper,
    private readonly local: LocalDevices,
  ) {}

  get nodeId(): string {
    return this.keeper.nodeId;
  }

  /** Commands for devices held elsewhere go through `relay` (PostgreSQL). */
  useRelay(relay: CommandRelay): void {
    this.relay = relay;
  }

  /** What this node answers when another node hands it a command. */
  handlers(): Record<string, CommandHandler> {
    return {
      connect: (a) => {
        const { tenantId, deviceId, options, forwarded } = a as { tenantId: string; deviceId: string; options: ConnectOptions; forwarded?: boolean };
        return this.connectHere(tenantId, deviceId, options, forwarded);
      },
      disconnect: (a) => {
        const { tenantId, deviceId, reason } = a as { tenantId: string; deviceId: string; reason: string };
        return this.local.disconnect(tenantId, deviceId, reason);
      },
      logout: (a) => {
        const { tenantId, deviceId } = a as { tenantId: string; deviceId: string };
        return this.local.logout(tenantId, deviceId);
      },
      suspendTenant: (a) => this.local.suspendTenant((a as { tenantId: string }).tenantId),
      markRead: (a) => {
        const { deviceId, refs } = a as { deviceId: string; refs: MessageRef[] };
        return this.local.markRead(deviceId, refs);
      },
      checkNumbers: (a) => {
        const { deviceId, phones } = a as { deviceId: string; phones: string[] };
        return this.local.checkNumbers(deviceId, phones);
      },
      sendPresence: (a) => {
        const { deviceId, state, chatJid } = a as { deviceId: string; state: PresenceState; chatJid?: string };
        return this.local.sendPresence(deviceId, state, chatJid);
      },
      reuploadMedia: (a) => {
        const { deviceId, ref, download } = a as { deviceId: string; ref: MessageRef; download: MediaDownload };
        return this.local.reuploadMedia(deviceId, ref, download);
      },
      groups: (a) => {
        const { deviceId, method, args } = a as GroupCall;
        const groups = this.local.groups(deviceId) as unknown as Record<string, unknown>;
        const operation = groups[method];
        if (typeof operation !== 'function') throw new Error(`not a group operation: ${method}`);
        return (operation as (...a: unknown[]) => Promise<unknown>).apply(groups, args);
      },
    };
  }

  /**
   * Runs the command here when this node holds the device, on the holder otherwise, or
   * `whenNobody` when no node holds it.
   */
  private async route<T>(
    deviceId: string,
    here: () => Promise<T>,
    command: { kind: string; args: unknown; timeoutMs?: number },
    whenNobody: () => Promise<T>,
  ): Promise<T> {
    for (let hop = 0; hop < 3; hop++) {
      if (this.local.isRunning(deviceId)) return here();
      const holder = await holderOf(this.deps.db.kysely, this.deps.db.dialect, deviceId);
      if (!holder) return whenNobody();
      if (holder.nodeId === this.nodeId || !this.relay) return here();
      const moved = this.watchHolder(deviceId, holder);
      try {
        return (await this.relay.call(holder.nodeId, command.kind, command.args, command.timeoutMs ?? COMMAND_TIMEOUT_MS, moved.promise)) as T;
      } catch (err) {
        // the holder lost the device while the command waited (it died, or was paused): ask again where it is
        if (!(err instanceof CommandAbandonedError)) throw err;
      } finally {
        moved.stop();
      }
    }
    throw new AppError(503, 'device_node_unavailable', 'the device is changing nodes: try again shortly');
  }

  /** Settles once the device's lease is no longer `holder`'s (looked at every heartbeat). */
  private watchHolder(deviceId: string, holder: { nodeId: string; epoch: number }): { promise: Promise<void>; stop: () => void } {
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<void>((resolve) => {
      timer = setInterval(() => {
        holderOf(this.deps.db.kysely, this.deps.db.dialect, deviceId)
          .then((now) => {
            if (!now || now.nodeId !== holder.nodeId || now.epoch !== holder.epoch) resolve();
          })
          .catch(() => {});
      }, this.deps.config.cluster.heartbeatMs);
    });
    return { promise, stop: () => clearInterval(timer) };
  }

  async isRunning(deviceId: string): Promise<boolean> {
    if (this.local.isRunning(deviceId)) return true;
    return (await holderOf(this.deps.db.kysely, this.deps.db.dialect, deviceId)) !== undefined;
  }

  async isConnected(deviceId: string): Promise<boolean> {
    if (this.local.isRunning(deviceId)) return this.local.isConnected(deviceId);
    const holder = await holderOf(this.deps.db.kysely, this.deps.db.dialect, deviceId);
    if (!holder || holder.nodeId === this.nodeId) return false;
    return (await deviceStatus(this.deps.db.kysely, deviceId)) === 'connected';
  }

  async connect(tenantId: string, deviceId: string, options: ConnectOptions): Promise<SessionSignal | null> {
    const timeoutMs = (options.waitMs ?? 0) + COMMAND_TIMEOUT_MS;
    const args = { tenantId, deviceId, options };
    return this.route(
      deviceId,
      () => this.connectHere(tenantId, deviceId, options),
      { kind: 'connect', args, timeoutMs },
      async () => {
        const target = await this.placeNew();
        if (target === this.nodeId || !this.relay) return this.connectHere(tenantId, deviceId, options);
        return (await this.relay.call(target, 'connect', args, timeoutMs)) as SessionSignal | null;
      },
    );
  }

  /**
   * Connects the device on this node, taking its lease when nobody holds it. A node that took it
   * meanwhile (a heartbeat's placement) gets the connect instead; `forwarded` stops a second hop.
   */
  private async connectHere(tenantId: string, deviceId: string, options: ConnectOptions, forwarded = false): Promise<SessionSignal | null> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const fence = this.keeper.fenceOf(deviceId) ?? (await this.keeper.acquire({ id: deviceId, tenantId }));
      if (fence) return this.local.connect(tenantId, deviceId, fence, options);
      const holder = await holderOf(this.deps.db.kysely, this.deps.db.dialect, deviceId);
      if (!holder) throw noNode(); // nobody holds it and this node may not (role api, draining, at capacity)
      if (holder.nodeId !== this.nodeId && this.relay && !forwarded) {
        return (await this.relay.call(
          holder.nodeId,
          'connect',
          { tenantId, deviceId, options, forwarded: true },
          (options.waitMs ?? 0) + COMMAND_TIMEOUT_MS,
        )) as SessionSignal | null;
      }
      await new Promise((r) => setTimeout(r, 50)); // this node is taking it right now
    }
    throw new AppError(409, 'device_busy', 'the device is changing nodes: try again in a moment');
  }

  /** The live device node that should take a device nobody holds: the one holding the fewest, this one on a tie. */
  private async placeNew(): Promise<string> {
    const { now, nodes } = await nodesWithLeases(this.deps.db.kysely, this.deps.db.dialect);
    const leaseMs = this.deps.config.cluster.leaseMs;
    const open = nodes.filter((n) => n.role === 'devices' && !n.draining && n.heartbeat_ms > now - leaseMs && n.held < n.capacity);
    open.sort((a, b) => a.held - b.held || Number(b.id === this.nodeId) - Number(a.id === this.nodeId));
    if (!open[0]) throw noNode();
    return open[0].id;
  }

  disconnect(tenantId: string, deviceId: string, reason: string): Promise<void> {
    const here = () => this.local.disconnect(tenantId, deviceId, reason);
    return this.route(deviceId, here, { kind: 'disconnect', args: { tenantId, deviceId, reason } }, here);
  }

  logout(tenantId: string, deviceId: string): Promise<void> {
    const here = () => this.local.logout(tenantId, deviceId);
    return this.route(deviceId, here, { kind: 'logout', args: { tenantId, deviceId } }, here);
  }

  /** Every live node disconnects the tenant's devices it holds (the others' heartbeats do it too, as a safety net). */
  async suspendTenant(tenantId: string): Promise<void> {
    const others = this.relay ? await this.liveNodes() : [];
    const results = await Promise.allSettled([
      this.local.suspendTenant(tenantId),
      ...others.filter((id) => id !== this.nodeId).map((id) => this.relay!.call(id, 'suspendTenant', { tenantId }, COMMAND_TIMEOUT_MS)),
    ]);
    for (const r of results)
      if (r.status === 'rejected') this.deps.logger.warn({ err: r.reason, tenantId }, 'a node did not disconnect a suspended tenant; its heartbeat will');
  }

  /** The tenant's devices are wanted again: the nodes look for devices to take now. */
  async resumeTenant(_tenantId: string): Promise<void> {
    this.keeper.poke();
    await this.relay?.broadcast(PLACEMENT_CHANNEL, this.nodeId).catch(() => {});
  }

  private async liveNodes(): Promise<string[]> {
    const { now, nodes } = await nodesWithLeases(this.deps.db.kysely, this.deps.db.dialect);
    return nodes.filter((n) => n.heartbeat_ms > now - this.deps.config.cluster.leaseMs).map((n) => n.id);
  }

  markRead(deviceId: string, refs: MessageRef[]): Promise<void> {
    return this.route(
      deviceId,
      () => this.local.markRead(deviceId, refs),
      { kind: 'markRead', args: { deviceId, refs } },
      () => Promise.reject(notConnected()),
    );
  }

  checkNumbers(deviceId: string, phones: string[]): Promise<NumberCheck[]> {
    return this.route(
      deviceId,
      () => this.local.checkNumbers(deviceId, phones),
      { kind: 'checkNumbers', args: { deviceId, phones } },
      () => Promise.reject(notConnected()),
    );
  }

  sendPresence(deviceId: string, state: PresenceState, chatJid?: string): Promise<void> {
    return this.route(
      deviceId,
      () => this.local.sendPresence(deviceId, state, chatJid),
      { kind: 'sendPresence', args: { deviceId, state, chatJid } },
      () => Promise.reject(notConnected()),
    );
  }

  reuploadMedia(deviceId: string, ref: MessageRef, download: MediaDownload): Promise<string> {
    return this.route(
      deviceId,
      () => this.local.reuploadMedia(deviceId, ref, download),
      { kind: 'reuploadMedia', args: { deviceId, ref, download } },
      () => Promise.reject(notConnected()),
    );
  }

  /** The device's group operations, each run where the device is held. */
  groups(deviceId: string): DeviceGroups {
    return new Proxy({} as DeviceGroups, {
      get: (_target, method: string) =>
        method === 'then'
          ? undefined // not a promise
          : (...args: unknown[]) =>
              this.route(
                deviceId,
                () => (this.local.groups(deviceId) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args),
                { kind: 'groups', args: { deviceId, method, args } satisfies GroupCall as unknown },
                () => Promise.reject(notConnected()),
              ),
    });
  }
}

/** Nodes look for devices to take when they hear this (payload: the node that released some). */
export const PLACEMENT_CHANNEL = 'wuts_cluster_placement';
