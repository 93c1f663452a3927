import { pino } from 'pino';
import makeWASocket, { type WAMessage, type WAMessageUpdate, type WASocket } from '@whiskeysockets/baileys';
import {
  EmulatorAdminClient,
  makeMemoryAuthState,
  startTestEmulator as startEmulatorForTest,
  type AdminAnswer,
  type RunningEmulator,
  type SerializedAuth,
  type TestEmulator,
} from '../src/index.js';

export const silent = pino({ level: process.env.EMULATOR_CLIENT_LOG ?? 'silent' });

/** The package's test emulator (127.0.0.1, quiet), in memory or on `statePath`; a free port unless `port` is given (a restart). */
export async function startTestEmulator(statePath?: string, port?: number): Promise<TestEmulator> {
  return startEmulatorForTest({ ...(statePath ? { statePath } : {}), ...(port === undefined ? {} : { port }) });
}

/**
 * Polls `check` (sync or async) until it returns a value other than undefined, null or false,
 * and returns it; fails after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Any admin call, answered as it came (status and body): for the tests of error answers. */
export function api<T = Record<string, unknown>>(emu: RunningEmulator, method: string, path: string, body?: unknown): Promise<AdminAnswer<T>> {
  return new EmulatorAdminClient(emu).request<T>(method, path, body);
}

export async function createAccount(emu: RunningEmulator, phone: string, name?: string): Promise<void> {
  await new EmulatorAdminClient(emu).createAccount(phone, name);
}

/** Creates the accounts, one after the other: `[phone, name]` each. */
export async function createAccounts(emu: RunningEmulator, accounts: readonly (readonly [string, string])[]): Promise<void> {
  for (const [phone, name] of accounts) await createAccount(emu, phone, name);
}

/**
 * An unmodified Baileys client, driven like a provider would: it reconnects with the same
 * auth on 515 (restart after pairing) and records what it sees.
 */
export class TestCompanion {
  sock: WASocket | undefined;
  auth: ReturnType<typeof makeMemoryAuthState>;
  qr: string | undefined;
  qrCount = 0;
  openCount = 0;
  isOpen = false;
  closeCodes: number[] = [];
  received: WAMessage[] = [];
  updates: WAMessageUpdate[] = [];
  presences: Array<{ id: string; presences: Record<string, { lastKnownPresence: string }> }> = [];
  /** group events as Baileys emitted them: groups.upsert, groups.update, group-participants.update, group.join-request, message-receipt.update */
  groupEvents: Array<{ event: string; data: any }> = [];
  /** the reach-out time-lock states Baileys reported (connection.update reachoutTimeLock), oldest first */
  timelocks: Array<{ isActive?: boolean; timeEnforcementEnds?: Date; enforcementType?: string }> = [];
  /** Baileys' shouldIgnoreJid: a message from a jid it answers true for is NACKed (500) unread */
  ignore: ((jid: string) => boolean) | undefined;
  private stopped = false;

  constructor(
    private readonly wsUrl: string,
    saved?: SerializedAuth,
    /** socket options besides the test's own, e.g. `fetchAgent` to upload media (mediaTrust) */
    private readonly extra: Partial<Parameters<typeof makeWASocket>[0]> = {},
  ) {
    this.auth = makeMemoryAuthState(saved);
  }

  get me(): string | undefined {
    return this.auth.state.creds.me?.id;
  }

  connect(): this {
    this.stopped = false;
    const sock = makeWASocket({
      auth: this.auth.state,
      waWebSocketUrl: this.wsUrl,
      logger: silent,
      defaultQueryTimeoutMs: 5_000,
      connectTimeoutMs: 5_000,
      shouldSyncHistoryMessage: () => false,
      syncFullHistory: false,
      browser: ['Test', 'Chrome', '1.0'],
      shouldIgnoreJid: (jid) => this.ignore?.(jid) ?? false,
      ...this.extra,
    });
    this.sock = sock;
    sock.ev.on('connection.update', (u) => {
      if (u.qr) {
        this.qr = u.qr;
        this.qrCount++;
      }
      if (u.reachoutTimeLock) this.timelocks.push(u.reachoutTimeLock);
      if (u.connection === 'open') {
        this.isOpen = true;
        this.openCount++;
      }
      if (u.connection === 'close') {
        this.isOpen = false;
        const code = (u.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode ?? 0;
        this.closeCodes.push(code);
        if (code === 515 && !this.stopped && this.sock === sock) this.connect();
      }
    });
    sock.ev.on('messages.upsert', ({ messages }) => this.received.push(...messages));
    sock.ev.on('messages.update', (updates) => this.updates.push(...updates));
    sock.ev.on('presence.update', (p) => this.presences.push(p as (typeof this.presences)[number]));
    sock.ev.on('groups.upsert', (data) => this.groupEvents.push({ event: 'groups.upsert', data }));
    sock.ev.on('groups.update', (data) => this.groupEvents.push({ event: 'groups.update', data }));
    sock.ev.on('group-participants.update', (data) => this.groupEvents.push({ event: 'group-participants.update', data }));
    sock.ev.on('group.join-request', (data) => this.groupEvents.push({ event: 'group.join-request', data }));
    sock.ev.on('message-receipt.update', (data) => this.groupEvents.push({ event: 'message-receipt.update', data }));
    return this;
  }

  /** Links by QR through the admin API, as the account's phone scanning it, then waits for open. */
  async linkTo(emu: RunningEmulator, phone: string): Promise<void> {
    if (!this.sock) this.connect();
    const qr = await waitFor('a QR', () => this.qr, 10_000);
    await new EmulatorAdminClient(emu).link(qr, phone);
    await waitFor('connection open', () => this.isOpen, 10_000);
  }

  /**
   * Asks for a pairing code for `phone` once the socket shows a QR (it is then registered
   * with the server), as a provider linking by code does. Answers the 8-character code.
   */
  async requestCode(phone: string): Promise<string> {
    if (!this.sock) this.connect();
    await waitFor('a QR (the socket is ready to pair)', () => this.qr, 10_000);
    return this.sock!.requestPairingCode(phone);
  }

  /** The group events of one kind seen so far. */
  eventsOf(event: string): any[] {
    return this.groupEvents.filter((e) => e.event === event).map((e) => e.data);
  }

  textsReceived(): string[] {
    return this.received.map((m) => m.message?.conversation ?? m.message?.extendedTextMessage?.text ?? '').filter(Boolean);
  }

  /**
   * The best status seen for a message we sent. Baileys' event buffer may fold a fast
   * receipt into the upsert of the sent message itself, so both places count.
   */
  statusOf(id: string): number {
    const fromUpdates = this.updates.filter((u) => u.key.id === id && typeof u.update.status === 'number').map((u) => u.update.status as number);
    const fromUpserts = this.received.filter((m) => m.key.id === id && m.key.fromMe && typeof m.status === 'number').map((m) => m.status as number);
    return Math.max(0, ...fromUpdates, ...fromUpserts);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const sock = this.sock;
    this.sock = undefined;
    this.isOpen = false;
    if (sock) await sock.end(undefined);
  }
}

/** A received or sent record as GET /admin/accounts/:phone/messages shows it. */
export interface ApiMessage {
  id: string;
  from?: string;
  to?: string;
  type: string;
  text: string | null;
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  contact?: { name: string; vcard: string };
  poll?: { name: string; options: string[]; selectable_count: number };
  quoted_id?: string;
  target_id?: string;
  edited: boolean;
  deleted: boolean;
  reactions: Array<{ from: string; emoji: string }>;
  votes?: Array<{ from: string; options: string[] }>;
  status?: string;
}

export interface MessagesBody {
  received: ApiMessage[];
  sent: ApiMessage[];
}

/** Polls the account's messages until `pick` finds something; fails with the last body seen. */
export async function waitForMessages<T>(
  emu: RunningEmulator,
  phone: string,
  what: string,
  pick: (b: MessagesBody) => T | undefined | null | false,
  timeoutMs = 10_000,
): Promise<T> {
  let last: MessagesBody | undefined;
  try {
    return await waitFor(
      what,
      async () => {
        last = (await api<MessagesBody>(emu, 'GET', `/admin/accounts/${phone}/messages?limit=500`)).body;
        return pick(last);
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; messages of ${phone}: ${JSON.stringify(last)}`);
  }
}
