import type { Logger } from 'pino';
import { AccountRegistry, deviceJid, userJid, type Addressing } from '../accounts.js';
import type { BinaryNode } from '../baileys.js';
import { LIMITS, type AccountRecord, type EmulatorState } from '../model.js';
import type { StateSaver } from '../store.js';
import { SERVER_JID, unixNow } from './nodes.js';
import type { WireSession } from './session.js';
import { TrafficLog } from './traffic.js';

/**
 * The emulator's server-side state shared by all connections: who is online, what waits
 * for which device, who watches whose presence. What waits to be linked is linking's
 * (linking/pending-links.ts), told through onDetach when a connection goes.
 */
export class Hub {
  readonly registry: AccountRegistry;
  readonly traffic = new TrafficLog(LIMITS.trafficEntries);
  private readonly online = new Map<string, WireSession>();
  private readonly detachListeners: Array<(session: WireSession) => void> = [];
  /** phone -> connections that fetched its device list (usync) and may cache it */
  private readonly deviceListReaders = new Map<string, Set<WireSession>>();
  /** watched phone -> watching connection -> how it addressed the watched user */
  private readonly watchers = new Map<string, Map<WireSession, Addressing>>();
  /** `phone:device` -> its logins and replaced connections since the start or the last resetConnectionCounts */
  private readonly connectionCounts = new Map<string, ConnectionCounts>();

  constructor(
    readonly state: EmulatorState,
    readonly saver: StateSaver,
    readonly logger: Logger,
  ) {
    this.registry = new AccountRegistry(state);
  }

  private key(phone: string, deviceId: number): string {
    return `${phone}:${deviceId}`;
  }

  sessionOf(account: AccountRecord, deviceId: number): WireSession | undefined {
    return this.online.get(this.key(account.phone, deviceId));
  }

  onlineSessions(account: AccountRecord): WireSession[] {
    return Object.values(account.devices)
      .map((d) => this.sessionOf(account, d.id))
      .filter((s): s is WireSession => s !== undefined);
  }

  /** Marks a logged-in connection as the device's one session; an older one is replaced (440). */
  attach(session: WireSession, account: AccountRecord, deviceId: number): void {
    const key = this.key(account.phone, deviceId);
    const previous = this.online.get(key);
    session.account = account;
    session.deviceId = deviceId;
    session.state = 'online';
    session.label = deviceJid(account, deviceId, 'pn');
    this.online.set(key, session);
    const counts = this.countsOf(key);
    counts.logins++;
    if (previous && previous !== session) {
      counts.replaced++;
      previous.streamError(undefined, { tag: 'conflict', attrs: { type: 'replaced' } });
    }
  }

  private countsOf(key: string): ConnectionCounts {
    let counts = this.connectionCounts.get(key);
    if (!counts) this.connectionCounts.set(key, (counts = { logins: 0, replaced: 0 }));
    return counts;
  }

  /**
   * A device's logins (logged-in connections attached) and replaced connections (closed by a
   * newer login with <conflict type="replaced"/>, Baileys' 440), since the start or the last
   * reset; zeros for a device not seen since.
   */
  connectionCountsOf(phone: string, deviceId: number): ConnectionCounts {
    return { ...(this.connectionCounts.get(this.key(phone, deviceId)) ?? { logins: 0, replaced: 0 }) };
  }

  /** Every device counted since the start or the last reset, linked or since unlinked: `[phone, device id]`. */
  countedDevices(): Array<[string, number]> {
    return [...this.connectionCounts.keys()].map((key) => {
      const at = key.lastIndexOf(':');
      return [key.slice(0, at), Number(key.slice(at + 1))];
    });
  }

  /** Zeroes the connection counts (the connections themselves stay). */
  resetConnectionCounts(): void {
    this.connectionCounts.clear();
  }

  isOnline(phone: string, deviceId: number): boolean {
    return this.online.has(this.key(phone, deviceId));
  }

  /** Calls `listener` for every connection that closes, before the hub forgets it. */
  onDetach(listener: (session: WireSession) => void): void {
    this.detachListeners.push(listener);
  }

  detach(session: WireSession): void {
    for (const listener of this.detachListeners) listener(session);
    for (const watching of this.watchers.values()) watching.delete(session);
    for (const readers of this.deviceListReaders.values()) readers.delete(session);
    const { account, deviceId } = session;
    if (!account || deviceId === undefined) return;
    const key = this.key(account.phone, deviceId);
    if (this.online.get(key) !== session) return;
    this.online.delete(key);
    if (session.available) this.broadcastPresence(account);
  }

  /**
   * Hands a stanza to a device: kept in its queue until the device acks it without an error
   * (or, for a message, sends its receipt), so a device that is offline, drops before
   * answering, or NACKs it, gets it at its next login.
   */
  deliver(account: AccountRecord, deviceId: number, node: BinaryNode): void {
    const device = account.devices[String(deviceId)];
    if (!device) return;
    const key = queueKey(node.tag, node.attrs.id, node.attrs.from, node.attrs.participant);
    device.queue = device.queue.filter((q) => q.key !== key);
    device.queue.push({ key, node, at: Date.now() });
    if (device.queue.length > LIMITS.queuePerDevice) {
      const dropped = device.queue.splice(0, device.queue.length - LIMITS.queuePerDevice);
      this.logger.warn({ device: deviceJid(account, deviceId, 'pn'), dropped: dropped.length }, 'offline queue full: dropped the oldest stanzas');
    }
    this.saver.markDirty();
    this.sessionOf(account, deviceId)?.send(node);
  }

  /**
   * The client took a stanza we delivered (an <ack> without error, or for a message its
   * <receipt>, which Baileys 7 sends instead of an ack): it no longer waits in the queue.
   */
  settled(session: WireSession, tag: string, id: string | undefined, from: string | undefined, participant?: string): void {
    const device = session.account?.devices[String(session.deviceId)];
    if (!device) return;
    const key = queueKey(tag, id, from, participant);
    const before = device.queue.length;
    device.queue = device.queue.filter((q) => q.key !== key);
    if (device.queue.length !== before) this.saver.markDirty();
  }

  /**
   * The client refused a stanza (an <ack error=...>, a NACK: Baileys sends 500 when it could
   * not handle a message, 487 when it could not parse it...). As WhatsApp does, the stanza
   * stays queued and is sent again at the device's next login, not before; the error is kept
   * for the admin API's view of the queue.
   */
  nacked(session: WireSession, tag: string, id: string | undefined, from: string | undefined, error: string, participant?: string): void {
    const device = session.account?.devices[String(session.deviceId)];
    const queued = device?.queue.find((q) => q.key === queueKey(tag, id, from, participant));
    this.logger.debug({ conn: session.label, tag, id, from, error, queued: queued !== undefined }, 'NACK: the stanza stays queued for the next login');
    if (!queued) return;
    queued.nack = error;
    this.saver.markDirty();
  }

  /** At login: everything still queued (marked offline), then the end-of-offline marker. */
  flushQueue(session: WireSession): void {
    const device = session.account?.devices[String(session.deviceId)];
    const queued = device?.queue ?? [];
    for (const { node } of queued) session.send({ ...node, attrs: { ...node.attrs, offline: '1' } });
    session.send({ tag: 'ib', attrs: { from: SERVER_JID }, content: [{ tag: 'offline', attrs: { count: String(queued.length) } }] });
  }

  /** Remembers that a connection read an account's device list (it caches it for minutes). */
  readDeviceList(session: WireSession, account: AccountRecord): void {
    let readers = this.deviceListReaders.get(account.phone);
    if (!readers) this.deviceListReaders.set(account.phone, (readers = new Set()));
    readers.add(session);
  }

  /** Tells the clients that read an account's device list that it changed, so they drop their copy. */
  devicesChanged(account: AccountRecord, change: 'update' | 'remove', deviceIds: number[]): void {
    const readers = [...(this.deviceListReaders.get(account.phone) ?? [])];
    for (const addressing of ['pn', 'lid'] as const) {
      const node = (session: WireSession): BinaryNode => ({
        tag: 'notification',
        attrs: { from: userJid(account, addressing), type: 'devices', id: session.nextId(), t: unixNow() },
        content: [{ tag: change, attrs: {}, content: deviceIds.map((id) => ({ tag: 'device', attrs: { jid: deviceJid(account, id, addressing) } })) }],
      });
      for (const session of readers) session.send(node(session));
    }
  }

  /** Unlinks a device: its connection closes as logged out (401) and its queue is dropped. */
  logout(account: AccountRecord, deviceId: number): boolean {
    const removed = this.registry.removeDevice(account, deviceId);
    if (!removed) return false;
    const session = this.sessionOf(account, deviceId);
    if (session) {
      this.online.delete(this.key(account.phone, deviceId));
      session.fail(401);
    }
    this.saver.markDirty();
    this.devicesChanged(account, 'remove', [deviceId]);
    return true;
  }

  isAvailable(account: AccountRecord): boolean {
    return this.onlineSessions(account).some((s) => s.available);
  }

  watch(watcher: WireSession, target: AccountRecord, addressing: Addressing): void {
    let watching = this.watchers.get(target.phone);
    if (!watching) this.watchers.set(target.phone, (watching = new Map()));
    watching.set(watcher, addressing);
    watcher.send(this.presenceNode(target, addressing));
  }

  broadcastPresence(account: AccountRecord): void {
    for (const [watcher, addressing] of this.watchers.get(account.phone) ?? []) watcher.send(this.presenceNode(account, addressing));
  }

  private presenceNode(account: AccountRecord, addressing: Addressing): BinaryNode {
    const attrs: Record<string, string> = { from: userJid(account, addressing) };
    if (!this.isAvailable(account)) {
      attrs.type = 'unavailable';
      attrs.last = unixNow();
    }
    return { tag: 'presence', attrs };
  }
}

/** How often a device logged in, and how often a newer login replaced its connection. */
export interface ConnectionCounts {
  logins: number;
  replaced: number;
}

/**
 * What names a queued stanza: its tag, id and sender, as the client's <ack> (class, id, to)
 * names it, and in a group its participant (the ack and the receipt carry it too), so that the
 * receipts of several members for one group message each wait in the queue.
 */
function queueKey(tag: string, id: string | undefined, from: string | undefined, participant?: string): string {
  return `${tag}|${id ?? ''}|${from ?? ''}${participant ? `|${participant}` : ''}`;
}
