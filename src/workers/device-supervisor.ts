import type { Deps } from '../deps.js';
import { createDbSessionStore } from '../devices/session-store.js';
import { tenantDeviceIds } from '../devices/repo.js';
import { closedState } from '../devices/disconnect-table.js';
import { recordClosed, recordConnecting, recordLinkedElsewhere, recordNotWanted, recordOpen, recordPairingCode, recordQr } from '../devices/state.js';
import { LINKED_ELSEWHERE_REASON, linkedElsewhere } from '../devices/linked-endpoint.js';
import { recordRestriction } from '../devices/restriction.js';
import type { SessionSignal } from '../devices/commands.js';
import { isCurrent, LeaseLostError, type Fence } from '../cluster/fence.js';
import { conflict } from '../lib/errors.js';
import type { MediaDownload, MessageRef, NumberCheck, PresenceState } from '../whatsapp/messages.js';
import type { DeviceSession, DisconnectKind, WhatsAppProvider } from '../whatsapp/provider.js';
import { deviceMessageEvents } from '../messages/session-events.js';
import { deviceGroupEvents } from '../groups/session-events.js';
import type { DeviceGroups } from '../whatsapp/groups.js';
import { whatsappEndpoint } from '../whatsapp/endpoint.js';

interface Entry {
  tenantId: string;
  /** This node's lease on the device: nothing is connected, sent or written without it. */
  fence: Fence;
  session: DeviceSession | null;
  pairingPhone: string | undefined;
  /** Set when WUTS itself ends the session, so the close is not treated as a fault. */
  ending: 'stop' | 'logout' | null;
  connected: boolean;
  attempts: number;
  /** 515 restarts since the last open. */
  restarts: number;
  retryTimer: NodeJS.Timeout | null;
  /** Serialises this device's state writes, so its events keep their order. */
  chain: Promise<void>;
  waiters: Set<(signal: SessionSignal) => void>;
}

const MAX_QUICK_RESTARTS = 3;

export interface SupervisorOptions {
  /** Made on first use: loading the WhatsApp library costs time and memory. */
  provider: () => Promise<WhatsAppProvider>;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** The device's connection ended for good here (not a retry, not a drop): its lease may go. */
  onEnded?: (deviceId: string, fence: Fence) => void;
}

/**
 * Keeps the WhatsApp connection of each device this node holds the lease of (src/cluster):
 * starts it, follows it, reconnects it with backoff after faults, and never holds two sockets
 * for one device in this process. Every state and session write carries the lease's fence; a
 * device whose lease is lost is dropped (its socket closed, nothing written). A device whose
 * session was linked on another WhatsApp endpoint than this node's (WUTS_WA_WS_URL) is never
 * connected here, and its session is never deleted here.
 */
export class DeviceSupervisor {
  private readonly entries = new Map<string, Entry>();
  private providerInstance: Promise<WhatsAppProvider> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: Deps,
    private readonly options: SupervisorOptions,
  ) {}

  private provider(): Promise<WhatsAppProvider> {
    this.providerInstance ??= this.options.provider().catch((err: unknown) => {
      this.providerInstance = undefined; // try again at the next launch
      throw err;
    });
    return this.providerInstance;
  }

  isRunning(deviceId: string): boolean {
    return this.entries.has(deviceId);
  }

  /** The devices this node runs a connection (or a retry) for. */
  runningIds(): string[] {
    return [...this.entries.keys()];
  }

  /** The device's session when this node holds it connected, under a lease still current. */
  live(deviceId: string): { tenantId: string; session: DeviceSession } | undefined {
    const entry = this.entries.get(deviceId);
    return entry?.session && entry.connected && isCurrent(entry.fence) ? { tenantId: entry.tenantId, session: entry.session } : undefined;
  }

  isConnected(deviceId: string): boolean {
    return !!this.live(deviceId)?.session.isOpen;
  }

  /** Starts the device's connection under `fence` unless it runs already (one waiting to retry tries now). */
  hold(tenantId: string, deviceId: string, fence: Fence, opts: { pairingPhone?: string | undefined } = {}): void {
    if (this.stopped) return;
    const existing = this.entries.get(deviceId);
    if (existing) {
      if (existing.retryTimer) {
        clearTimeout(existing.retryTimer);
        existing.retryTimer = null;
        this.launch(deviceId, existing);
      }
      return;
    }
    const entry: Entry = {
      tenantId,
      fence,
      session: null,
      pairingPhone: opts.pairingPhone,
      ending: null,
      connected: false,
      attempts: 0,
      restarts: 0,
      retryTimer: null,
      chain: Promise.resolve(),
      waiters: new Set(),
    };
    this.entries.set(deviceId, entry);
    this.launch(deviceId, entry);
  }

  /**
   * Starts the connection under `fence` (or makes one waiting to retry try now), then answers
   * the first thing it reports (or null after `waitMs`; at once without it). When linking by
   * pairing code, QR codes come first: it waits on for the code.
   */
  async connect(
    tenantId: string,
    deviceId: string,
    fence: Fence,
    opts: { pairingPhone?: string | undefined; waitMs?: number | undefined },
  ): Promise<SessionSignal | null> {
    this.hold(tenantId, deviceId, fence, opts);
    if (!opts.waitMs) return null;
    const deadline = Date.now() + opts.waitMs;
    for (;;) {
      const signal = await this.nextSignal(deviceId, Math.max(0, deadline - Date.now()));
      if (!signal || !opts.pairingPhone || signal.kind !== 'qr') return signal;
    }
  }

  /** Resolves with the next thing the device's connection reports, or null after `timeoutMs`. */
  private nextSignal(deviceId: string, timeoutMs: number): Promise<SessionSignal | null> {
    const entry = this.entries.get(deviceId);
    if (!entry) return Promise.resolve(null);
    return new Promise((resolve) => {
      const done = (s: SessionSignal | null) => {
        clearTimeout(timer);
        entry.waiters.delete(done);
        resolve(s);
      };
      const timer = setTimeout(() => done(null), timeoutMs);
      entry.waiters.add(done);
    });
  }

  /** Ends the connection, keeping the session; the device stays disconnected until connected again. */
  async disconnect(tenantId: string, deviceId: string, reason: string, keepAutoConnect = false): Promise<void> {
    const entry = this.entries.get(deviceId);
    if (entry) {
      await this.end(deviceId, entry);
      await recordClosed(
        this.deps,
        tenantId,
        deviceId,
        {
          status: 'disconnected',
          reason,
          autoConnect: keepAutoConnect,
          event: entry.connected ? 'device.disconnected' : null,
        },
        entry.fence,
      );
      this.options.onEnded?.(deviceId, entry.fence);
    } else if (!keepAutoConnect) {
      // Not running here: only stop it from reconnecting; a logged-out or failed device keeps its state.
      // (A suspension, which keeps it wanted, has nothing to do: the node running it ended it already.)
      await recordNotWanted(this.deps, tenantId, deviceId, reason);
    }
  }

  /** Unlinks the device from its WhatsApp account and deletes its session. */
  async logout(tenantId: string, deviceId: string): Promise<void> {
    const entry = this.entries.get(deviceId);
    if (entry?.session && entry.connected) {
      entry.ending = 'logout';
      if (entry.retryTimer) clearTimeout(entry.retryTimer);
      await entry.session.logout().catch((err) => this.deps.logger.warn({ err, deviceId }, 'logout failed; removing the session anyway'));
      await this.settle(deviceId, entry);
      if (!this.entries.has(deviceId)) return;
    }
    if (entry) await this.end(deviceId, entry);
    await createDbSessionStore(this.deps.db, this.deps.secrets, tenantId, deviceId, entry?.fence).clear();
    await recordClosed(
      this.deps,
      tenantId,
      deviceId,
      {
        status: 'logged_out',
        reason: 'logged out by request',
        autoConnect: false,
        event: 'device.logged_out',
      },
      entry?.fence,
    );
    if (entry) this.options.onEnded?.(deviceId, entry.fence);
  }

  /** Stops the connection (WUTS ends it: the close is not a fault) and waits for its state writes. */
  private async end(deviceId: string, entry: Entry): Promise<void> {
    entry.ending = 'stop';
    if (this.entries.get(deviceId) === entry) this.entries.delete(deviceId);
    if (entry.retryTimer) clearTimeout(entry.retryTimer);
    await entry.session?.stop().catch(() => {});
    await entry.chain;
  }

  /**
   * The lease is lost (another node took the device) or handed over (drain, rebalancing): the
   * socket closes and nothing is written; the device's state is the next holder's to write.
   */
  async drop(deviceId: string): Promise<void> {
    const entry = this.entries.get(deviceId);
    if (entry) await this.end(deviceId, entry);
  }

  /** A suspended tenant's devices disconnect; they come back when it is reactivated. */
  async suspendTenant(tenantId: string): Promise<void> {
    for (const id of await tenantDeviceIds(this.deps.db.kysely, tenantId)) {
      if (this.entries.has(id)) await this.disconnect(tenantId, id, 'tenant suspended', true);
    }
  }

  /** Shutdown: closes every socket cleanly; sessions stay, so the next start reconnects them. */
  async stopAll(): Promise<void> {
    this.stopped = true;
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(
      all.map(async (e) => {
        e.ending = 'stop';
        if (e.retryTimer) clearTimeout(e.retryTimer);
        await e.session?.stop().catch(() => {});
        await e.chain;
      }),
    );
    await (await this.providerInstance)?.close();
  }

  async markRead(deviceId: string, refs: MessageRef[]): Promise<void> {
    await this.connected(deviceId).markRead(refs);
  }

  checkNumbers(deviceId: string, phones: string[]): Promise<NumberCheck[]> {
    return this.connected(deviceId).checkNumbers(phones);
  }

  reuploadMedia(deviceId: string, ref: MessageRef, download: MediaDownload): Promise<string> {
    return this.connected(deviceId).reuploadMedia(ref, download);
  }

  async sendPresence(deviceId: string, state: PresenceState, chatJid?: string): Promise<void> {
    await this.connected(deviceId).sendPresence(state, chatJid);
  }

  groups(deviceId: string): DeviceGroups {
    return this.connected(deviceId).groups;
  }

  private connected(deviceId: string): DeviceSession {
    const live = this.live(deviceId);
    if (!live?.session.isOpen) throw conflict('the device is not connected', 'device_not_connected');
    return live.session;
  }

  private async settle(deviceId: string, entry: Entry): Promise<void> {
    for (let i = 0; i < 100 && this.entries.get(deviceId) === entry && entry.session; i++) await new Promise((r) => setTimeout(r, 50));
    await entry.chain;
  }

  private signal(entry: Entry, s: SessionSignal): void {
    for (const w of [...entry.waiters]) w(s);
  }

  /** Runs `work` after the device's earlier state writes; a failure is logged, never thrown (a lost lease drops the device). */
  private serial(deviceId: string, entry: Entry, work: () => Promise<void>): void {
    void this.serialAwaited(deviceId, entry, work);
  }

  /** serial(), for a caller that must know the work was written: the answer settles with it (the chain goes on either way). */
  private serialAwaited(deviceId: string, entry: Entry, work: () => Promise<void>): Promise<void> {
    const run = entry.chain.then(work);
    entry.chain = run.catch((err) => {
      if (!(err instanceof LeaseLostError)) return this.deps.logger.error({ err, deviceId }, 'device state update failed');
      this.deps.logger.warn({ deviceId, epoch: entry.fence.epoch }, 'the device was taken over by another node; its connection here closes');
      if (this.entries.get(deviceId) === entry) void this.drop(deviceId);
    });
    return run;
  }

  private launch(deviceId: string, entry: Entry): void {
    const { tenantId } = entry;
    const current = () => this.entries.get(deviceId) === entry;
    this.serial(deviceId, entry, async () => {
      if (!current() || entry.session) return;
      if (!isCurrent(entry.fence)) throw new LeaseLostError(entry.fence);
      // Another server would answer its session 401 (logged out): leave the device alone.
      const elsewhere = await linkedElsewhere(this.deps, tenantId, deviceId);
      if (elsewhere !== null) {
        if (!current()) return;
        this.entries.delete(deviceId);
        // its lease stays here: no node of this endpoint takes it up again and again
        return this.leftAlone(deviceId, entry, elsewhere);
      }
      await recordConnecting(this.deps, tenantId, deviceId, entry.fence);
      try {
        const session = await (
          await this.provider()
        ).start({
          deviceId,
          store: createDbSessionStore(this.deps.db, this.deps.secrets, tenantId, deviceId, entry.fence),
          pairingPhone: entry.pairingPhone,
          events: {
            ...deviceMessageEvents(this.deps, tenantId, deviceId, (work) => this.serialAwaited(deviceId, entry, work)),
            ...deviceGroupEvents(this.deps, tenantId, deviceId, (work) => this.serial(deviceId, entry, work)),
            // Signals go out after the state is written, so whoever waits reads it from the database.
            onQr: (qr) =>
              current() &&
              this.serial(deviceId, entry, async () => {
                await recordQr(this.deps, tenantId, deviceId, qr, entry.fence);
                this.signal(entry, { kind: 'qr', qr });
              }),
            onPairingCode: (code) =>
              current() &&
              this.serial(deviceId, entry, async () => {
                await recordPairingCode(this.deps, tenantId, deviceId, code, entry.fence);
                this.signal(entry, { kind: 'pairing_code', code });
              }),
            onOpen: (account) => {
              if (!current()) return;
              entry.connected = true;
              entry.attempts = 0;
              entry.restarts = 0;
              this.serial(deviceId, entry, async () => {
                await recordOpen(this.deps, tenantId, deviceId, account, whatsappEndpoint(this.deps.config.waWsUrl), entry.fence);
                this.signal(entry, { kind: 'open' });
                this.deps.bus.wakeSender(deviceId);
              });
            },
            onRestriction: (report) => current() && this.serial(deviceId, entry, () => recordRestriction(this.deps, tenantId, deviceId, report)),
            onClose: (close) => this.onClose(deviceId, entry, close.kind, close.message),
          },
        });
        // Disconnected, logged out or shut down while the socket was starting: close it now,
        // before the caller (who waits for this chain) goes on.
        if (!current()) await session.stop().catch(() => {});
        else entry.session = session;
      } catch (err) {
        this.onClose(deviceId, entry, 'transient', (err as Error).message);
      }
    });
  }

  /** The device's session belongs to `linkedOn`, another endpoint: it stays disconnected here, its session kept. */
  private async leftAlone(deviceId: string, entry: Entry, linkedOn: string, closeMessage?: string): Promise<void> {
    this.deps.logger.warn(
      { deviceId, linkedOn, endpoint: whatsappEndpoint(this.deps.config.waWsUrl), ...(closeMessage ? { closeMessage } : {}) },
      closeMessage
        ? 'the device was refused by a WhatsApp endpoint it was not linked on; its session is kept'
        : 'the device was linked on another WhatsApp endpoint; it is not connected here and its session is kept',
    );
    await recordLinkedElsewhere(this.deps, entry.tenantId, deviceId, entry.fence);
    this.signal(entry, { kind: 'closed', reason: LINKED_ELSEWHERE_REASON });
  }

  private onClose(deviceId: string, entry: Entry, kind: DisconnectKind, message: string): void {
    entry.session = null;
    if (this.entries.get(deviceId) !== entry) return; // ended by disconnect(), logout() or stopAll()
    // A 515 restart is normal once after linking; a server that keeps asking gets backoff.
    if (kind === 'restart_required' && entry.restarts++ < MAX_QUICK_RESTARTS) return this.launch(deviceId, entry);
    if (kind === 'restart_required') kind = 'transient';
    const state = closedState(kind, message, entry);
    entry.connected = false;
    if (!state) {
      this.entries.delete(deviceId);
      this.options.onEnded?.(deviceId, entry.fence);
      return;
    }
    if (!state.retry) this.entries.delete(deviceId);
    this.serial(deviceId, entry, async () => {
      try {
        if (state.clearSession) {
          // A session linked on another endpoint is not this server's to end, whatever it answered.
          const elsewhere = await linkedElsewhere(this.deps, entry.tenantId, deviceId);
          if (elsewhere !== null) return await this.leftAlone(deviceId, entry, elsewhere, message);
          await createDbSessionStore(this.deps.db, this.deps.secrets, entry.tenantId, deviceId, entry.fence).clear();
        }
        await recordClosed(this.deps, entry.tenantId, deviceId, state, entry.fence);
        this.signal(entry, { kind: 'closed', reason: state.reason });
      } finally {
        if (!state.retry) this.options.onEnded?.(deviceId, entry.fence);
      }
    });
    if (state.retry && !this.stopped) {
      const base = this.options.backoffInitialMs ?? 1000;
      const max = this.options.backoffMaxMs ?? 60_000;
      const delay = Math.min(max, base * 2 ** entry.attempts) * (0.8 + 0.4 * Math.random());
      entry.attempts++;
      entry.retryTimer = setTimeout(() => {
        entry.retryTimer = null;
        this.launch(deviceId, entry);
      }, delay);
      entry.retryTimer.unref();
    }
  }
}
