import type { Deps } from '../deps.js';
import type { ClusterSettings } from '../config.js';
import type { Fence } from './fence.js';
import * as leases from './leases-repo.js';
import * as nodes from './nodes-repo.js';

/** What the keeper asks of the node's device worker. */
export interface HeldDevices {
  /** Starts the device's connection under the lease. */
  hold(tenantId: string, deviceId: string, fence: Fence): void;
  /** Closes the connection without writing anything (the lease is lost or handed over). */
  drop(deviceId: string): Promise<void>;
  /** Ends the connection of a device that should no longer be connected, recording why. */
  disconnect(tenantId: string, deviceId: string, reason: string, keepAutoConnect: boolean): Promise<void>;
  /** Whether the device's connection is open (a device being linked is not handed over). */
  isConnected(deviceId: string): boolean;
}

export interface NodeIdentity {
  id: string;
  version: string;
  startedAt: string;
}

/** Devices taken per heartbeat at most (a start, or a takeover, does not reconnect everything at once). */
const TAKE_PER_BEAT = 25;
/** Devices the busiest node hands over per heartbeat when above the fair share (a joining node fills gradually). */
const HAND_OVER_PER_BEAT = 1;
/** A node silent this long is forgotten (no longer listed by GET /cluster). */
const FORGET_AFTER_MS = 3_600_000;

export interface KeeperCounters {
  acquired: number;
  lost: number;
  released: number;
}

/**
 * The node's side of the cluster: its heartbeat, its device leases (renewed each heartbeat;
 * one not renewed is dropped at once), and placement: while below its fair share of the wanted
 * devices (their number over the live device nodes, at most its capacity) it takes devices
 * nobody holds, a few per heartbeat; while above it and another node is below, it hands one
 * over per heartbeat. Drain hands every device over (SIGTERM).
 */
export class LeaseKeeper {
  private readonly fences = new Map<string, Fence>();
  /** Leases being taken: a renewal that finds one in the database does not give it back, and a second taker waits for the first. */
  private readonly acquiring = new Map<string, Promise<Fence | null>>();
  private timer: NodeJS.Timeout | undefined;
  /** The heartbeat and renewal in flight: on a timer of its own, never behind placement work. */
  private renewing: Promise<void> | undefined;
  /** Placement work in flight (taking, handing over, disconnecting unwanted devices). */
  private running: Promise<void> | undefined;
  private again = false;
  private draining = false;
  private stopped = false;
  private beats = 0;
  readonly counters: KeeperCounters = { acquired: 0, lost: 0, released: 0 };
  /** Called after this node gave devices up, so the other nodes look at once (PostgreSQL). */
  onReleased: () => void = () => {};

  constructor(
    private readonly deps: Deps,
    readonly node: NodeIdentity,
    private readonly settings: ClusterSettings,
    private readonly devices: HeldDevices,
  ) {}

  get nodeId(): string {
    return this.node.id;
  }

  get heldCount(): number {
    return this.fences.size;
  }

  /** The node's fence on the device, while it holds it. */
  fenceOf(deviceId: string): Fence | undefined {
    return this.fences.get(deviceId);
  }

  /** Registers the node and starts the heartbeat (the caller pokes for the first placement). */
  async start(): Promise<void> {
    if (this.deps.db.dialect === 'sqlite') await leases.releaseAllLeases(this.deps.db.kysely);
    await this.beat();
    this.timer = setInterval(() => {
      this.renewing ??= this.renewal().finally(() => (this.renewing = undefined));
    }, this.settings.heartbeatMs);
    this.timer.unref();
  }

  /** Looks for work now (a tenant was reactivated, another node released devices). */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.work().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  /** Takes the device's lease for this node (a connect asked here); null when another node holds it. */
  acquire(device: { id: string; tenantId: string }): Promise<Fence | null> {
    const held = this.fences.get(device.id);
    if (held) return Promise.resolve(held);
    if (this.stopped || this.draining || this.settings.role === 'api') return Promise.resolve(null);
    let taking = this.acquiring.get(device.id);
    if (!taking) {
      // taken again under this node's id, the lease would get a new epoch: one taker at a time
      taking = this.take(device).finally(() => this.acquiring.delete(device.id));
      this.acquiring.set(device.id, taking);
    }
    return taking;
  }

  private async take(device: { id: string; tenantId: string }): Promise<Fence | null> {
    const started = Date.now();
    const epoch = await leases.acquireLease(this.deps.db.kysely, this.deps.db.dialect, this.nodeId, device, this.settings.leaseMs);
    if (epoch === null) return null;
    const fence: Fence = { deviceId: device.id, nodeId: this.nodeId, epoch, validUntil: this.validFrom(started) };
    this.fences.set(device.id, fence);
    this.counters.acquired++;
    return fence;
  }

  /** The device's connection ended here for good: its lease goes (unless a newer fence replaced it). */
  released(deviceId: string, fence: Fence): void {
    if (this.fences.get(deviceId) !== fence) return;
    this.fences.delete(deviceId);
    this.counters.released++;
    leases
      .releaseLeases(this.deps.db.kysely, this.nodeId, [deviceId])
      .then(() => this.onReleased())
      .catch((err: unknown) => this.deps.logger.warn({ err, deviceId }, 'releasing a device lease failed; it runs out instead'));
  }

  /** SIGTERM: stops taking devices, closes every held connection and releases its lease for the other nodes. */
  async drain(): Promise<void> {
    this.draining = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all([this.renewing, this.running]);
    await this.beat().catch(() => {});
    const held = [...this.fences.keys()];
    await Promise.all(held.map((id) => this.devices.drop(id)));
    this.fences.clear();
    await leases
      .releaseLeases(this.deps.db.kysely, this.nodeId, held)
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'releasing leases at shutdown failed; they run out instead'));
    this.counters.released += held.length;
    if (held.length) this.onReleased();
  }

  /** Stops the heartbeat and removes the node from the cluster's list (after drain). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all([this.renewing, this.running]);
    await nodes.removeNode(this.deps.db.kysely, this.nodeId).catch(() => {});
  }

  /** Local time until which a lease renewed (or taken) at `started` may be acted on: a heartbeat short of its end. */
  private validFrom(started: number): number {
    return started + this.settings.leaseMs - this.settings.heartbeatMs;
  }

  private beat(): Promise<number> {
    return nodes.beat(this.deps.db.kysely, this.deps.db.dialect, {
      id: this.nodeId,
      role: this.settings.role,
      version: this.node.version,
      capacity: this.settings.capacity,
      draining: this.draining,
      started_at: this.node.startedAt,
    });
  }

  /** Each heartbeat: the node's row and its leases renewed, then placement work (not awaited). */
  private async renewal(): Promise<void> {
    try {
      const started = Date.now();
      await this.beat();
      await this.renew(started);
    } catch (err) {
      this.deps.logger.warn({ err }, 'cluster heartbeat failed; leases not renewed in time are dropped');
      this.dropExpired();
      return;
    }
    this.poke();
  }

  private async work(): Promise<void> {
    try {
      await this.dropUnwanted();
      if (this.settings.role === 'devices' && !this.draining && !this.stopped) await this.place();
      if (this.beats++ % 100 === 0) await nodes.forgetSilentNodes(this.deps.db.kysely, this.deps.db.dialect, FORGET_AFTER_MS);
    } catch (err) {
      this.deps.logger.warn({ err }, 'cluster placement failed; it runs again at the next heartbeat');
    }
  }

  private async renew(started: number): Promise<void> {
    const renewed = new Map(
      (await leases.renewLeases(this.deps.db.kysely, this.deps.db.dialect, this.nodeId, this.settings.leaseMs)).map((l) => [l.deviceId, l.epoch]),
    );
    for (const [deviceId, fence] of this.fences) {
      if (renewed.get(deviceId) === fence.epoch) fence.validUntil = this.validFrom(started);
      else this.lose(deviceId, fence);
    }
    // held in the database but not here (an earlier run of this node, under the same id): given back, then taken again below
    const stray = [...renewed.keys()].filter((id) => !this.fences.has(id) && !this.acquiring.has(id));
    if (stray.length) await leases.releaseLeases(this.deps.db.kysely, this.nodeId, stray);
  }

  /** The database did not answer: leases past their local validity are dropped (another node may hold them now). */
  private dropExpired(): void {
    const now = Date.now();
    for (const [deviceId, fence] of this.fences) if (fence.validUntil <= now) this.lose(deviceId, fence);
  }

  private lose(deviceId: string, fence: Fence): void {
    if (this.fences.get(deviceId) !== fence) return;
    this.fences.delete(deviceId);
    this.counters.lost++;
    fence.validUntil = 0;
    this.deps.logger.warn({ deviceId, epoch: fence.epoch }, 'device lease lost: another node holds the device now; its connection here closes');
    void this.devices.drop(deviceId);
  }

  private async dropUnwanted(): Promise<void> {
    for (const d of await leases.heldUnwanted(this.deps.db.kysely, this.nodeId)) {
      if (!this.fences.has(d.device_id)) continue;
      await this.devices.disconnect(d.tenant_id, d.device_id, d.suspended ? 'tenant suspended' : 'disconnected by request', d.suspended);
    }
  }

  private async place(): Promise<void> {
    const { now, nodes: all } = await nodes.nodesWithLeases(this.deps.db.kysely, this.deps.db.dialect);
    const live = all.filter((n) => n.role === 'devices' && !n.draining && n.heartbeat_ms > now - this.settings.leaseMs);
    if (!live.some((n) => n.id === this.nodeId)) return;
    const wanted = await leases.countWanted(this.deps.db.kysely);
    const share = Math.min(this.settings.capacity, Math.ceil(wanted / live.length));
    const held = this.fences.size;
    if (held < share) {
      for (const d of await leases.unheldWanted(this.deps.db.kysely, this.deps.db.dialect, Math.min(share - held, TAKE_PER_BEAT))) {
        if (this.fences.has(d.id)) continue;
        const fence = await this.acquire({ id: d.id, tenantId: d.tenant_id });
        if (fence) this.devices.hold(d.tenant_id, d.id, fence);
      }
      return;
    }
    // Above the share while another live node is below it and holds at least two fewer: the busiest
    // node (the first by id among equals) hands one device over per heartbeat, so the whole cluster
    // moves one device at a time. A move always narrows the gap, so a heartbeat seen late (which
    // changes the share) does not move devices back and forth.
    const busiest = [...live].sort((a, b) => b.held - a.held || a.id.localeCompare(b.id))[0];
    const short = (n: (typeof live)[number]) => n.id !== this.nodeId && n.held < Math.min(share, n.capacity) && held - n.held >= 2;
    if (held > share && busiest?.id === this.nodeId && live.some(short)) {
      const movable = [...this.fences.keys()].filter((id) => this.devices.isConnected(id)).slice(0, HAND_OVER_PER_BEAT);
      for (const deviceId of movable) {
        const fence = this.fences.get(deviceId)!;
        this.fences.delete(deviceId);
        fence.validUntil = 0;
        await this.devices.drop(deviceId);
        await leases.releaseLeases(this.deps.db.kysely, this.nodeId, [deviceId]);
        this.counters.released++;
      }
      if (movable.length) this.onReleased();
    }
  }
}
