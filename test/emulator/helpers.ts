import { pino } from 'pino';
import makeWASocket, { type WAMessage, type WAMessageUpdate, type WASocket } from '@whiskeysockets/baileys';
import { makeMemoryAuthState, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import type { SerializedAuth } from '../../src/emulator/model.js';

export const silent = pino({ level: process.env.EMULATOR_CLIENT_LOG ?? 'silent' });

export async function startTestEmulator(statePath?: string): Promise<RunningEmulator> {
  return startEmulator({ port: 0, logger: pino({ level: process.env.EMULATOR_TEST_LOG ?? 'silent' }), ...(statePath ? { statePath } : {}) });
}

import { waitFor } from '../helpers/wait.js';

export { waitFor };

export async function api<T = Record<string, unknown>>(emu: RunningEmulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

export async function createAccount(emu: RunningEmulator, phone: string, name?: string): Promise<void> {
  const res = await api(emu, 'POST', '/admin/accounts', { phone, name });
  if (res.status !== 201) throw new Error(`create account ${phone}: ${res.status} ${JSON.stringify(res.body)}`);
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
  private stopped = false;

  constructor(
    private readonly wsUrl: string,
    saved?: SerializedAuth,
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
    });
    this.sock = sock;
    sock.ev.on('connection.update', (u) => {
      if (u.qr) {
        this.qr = u.qr;
        this.qrCount++;
      }
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
    return this;
  }

  /** Links by QR through the admin API, as the account's phone scanning it, then waits for open. */
  async linkTo(emu: RunningEmulator, phone: string): Promise<void> {
    if (!this.sock) this.connect();
    const qr = await waitFor('a QR', () => this.qr, 10_000);
    const res = await api(emu, 'POST', '/admin/link', { qr, phone });
    if (res.status !== 200) throw new Error(`link failed: ${res.status} ${JSON.stringify(res.body)}`);
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
export async function waitForMessages<T>(emu: RunningEmulator, phone: string, what: string, pick: (b: MessagesBody) => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
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
