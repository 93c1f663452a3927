// Benchmark of the WhatsApp emulator with real, unmodified Baileys clients on 127.0.0.1.
// Build and run: npm run build && node --expose-gc dist/bench/emulator.js [counts...]
// Prints connect-to-open times (link by QR, and login from stored credentials), message
// round trips (send -> delivery receipt back; companion ping -> companion pong), and memory
// per linked companion. Figures, not pass/fail.
import { pino } from 'pino';
import makeWASocket, { proto, type WASocket } from '@whiskeysockets/baileys';
import { cloneAuth, EmulatorAdminClient, makeMemoryAuthState, startEmulator, type SerializedAuth } from '@wuts/wa-emulator';

const silent = pino({ level: 'silent' });
const jid = (phone: string) => `${phone}@s.whatsapp.net`;
const gc = (globalThis as { gc?: () => void }).gc;

interface Client {
  sock: WASocket;
  auth: ReturnType<typeof makeMemoryAuthState>;
  opened: Promise<void>;
  qr: Promise<string>;
  onText: (text: string, from: string) => void;
  statusWaiters: Map<string, () => void>;
}

function connect(wsUrl: string, saved?: SerializedAuth, auth = makeMemoryAuthState(saved)): Client {
  let openResolve!: () => void;
  let qrResolve!: (qr: string) => void;
  const client: Client = {
    sock: undefined as unknown as WASocket,
    auth,
    opened: new Promise((r) => (openResolve = r)),
    qr: new Promise((r) => (qrResolve = r)),
    onText: () => {},
    statusWaiters: new Map(),
  };
  const start = (): void => {
    const sock = makeWASocket({
      auth: auth.state,
      waWebSocketUrl: wsUrl,
      logger: silent,
      defaultQueryTimeoutMs: 10_000,
      shouldSyncHistoryMessage: () => false,
      syncFullHistory: false,
      browser: ['Bench', 'Chrome', '1.0'],
    });
    client.sock = sock;
    sock.ev.on('connection.update', (u) => {
      if (u.qr) qrResolve(u.qr);
      if (u.connection === 'open') openResolve();
      const code = (u.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode;
      if (u.connection === 'close' && code === 515) start();
    });
    const seeStatus = (id: string | null | undefined, status: number | null | undefined) => {
      if (id && typeof status === 'number' && status >= proto.WebMessageInfo.Status.DELIVERY_ACK) client.statusWaiters.get(id)?.();
    };
    sock.ev.on('messages.update', (updates) => updates.forEach((u) => seeStatus(u.key.id, u.update.status)));
    sock.ev.on('messages.upsert', ({ messages }) => {
      for (const m of messages) {
        if (m.key.fromMe) seeStatus(m.key.id, m.status);
        const text = m.message?.conversation ?? m.message?.extendedTextMessage?.text;
        if (!m.key.fromMe && text) client.onText(text, m.key.remoteJid ?? '');
      }
    });
  };
  start();
  return client;
}

/** One admin call through the package's client; throws on a non-2xx answer. */
const admin = (url: string, method: string, path: string, body?: unknown) => new EmulatorAdminClient(url).call<Record<string, unknown>>(method, path, body);

async function inBatches<T>(items: T[], size: number, run: (item: T, index: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map((item, j) => run(item, i + j)));
}

const stats = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return `median ${at(0.5).toFixed(0)} ms, p95 ${at(0.95).toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0)} ms`;
};
const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms).unref())]);
const memory = () => {
  gc?.();
  return process.memoryUsage();
};

async function run(count: number): Promise<void> {
  const emu = await startEmulator({ port: 0, logger: silent });
  const phones = Array.from({ length: count }, (_, i) => String(15551000000 + i));
  const echo = '15559000000';
  try {
    const t0 = performance.now();
    await admin(emu.url, 'POST', '/admin/accounts', { phone: echo, name: 'Echo' });
    await inBatches(phones, 10, async (phone) => void (await admin(emu.url, 'POST', '/admin/accounts', { phone })));
    const accountMs = (performance.now() - t0) / (count + 1);
    const before = memory();

    // one at a time: the latency one user sees
    const linkMs: number[] = [];
    const clients: Client[] = [];
    await inBatches(phones, 1, async (phone, i) => {
      const started = performance.now();
      const client = connect(emu.wsUrl);
      clients[i] = client;
      await admin(emu.url, 'POST', '/admin/link', { qr: await withTimeout(client.qr, 15_000, 'qr'), phone });
      await withTimeout(client.opened, 15_000, 'open after link');
      linkMs.push(performance.now() - started);
    });
    const after = memory();

    // login from stored credentials, one at a time
    const loginMs: number[] = [];
    await inBatches(clients, 1, async (client, i) => {
      await client.sock.end(undefined);
      const started = performance.now();
      const again = connect(emu.wsUrl, cloneAuth(client.auth.data));
      clients[i] = again;
      await withTimeout(again.opened, 15_000, 'open after restart');
      loginMs.push(performance.now() - started);
    });

    // all at once: every companion restarts together (a server restart's reconnect storm)
    const burstStart = performance.now();
    await inBatches(clients, clients.length, async (client, i) => {
      await client.sock.end(undefined);
      const again = connect(emu.wsUrl, cloneAuth(client.auth.data));
      clients[i] = again;
      await withTimeout(again.opened, 60_000, 'open in burst');
    });
    const burstMs = performance.now() - burstStart;

    // round trip: send -> delivery receipt from the echo account's phone
    const receiptMs: number[] = [];
    for (const client of clients) {
      const started = performance.now();
      let done!: () => void;
      const delivered = new Promise<void>((r) => (done = r));
      const sent = await client.sock.sendMessage(jid(echo), { text: 'ping' });
      client.statusWaiters.set(sent!.key.id!, done);
      await withTimeout(delivered, 10_000, 'delivery receipt');
      receiptMs.push(performance.now() - started);
    }

    // ping-pong between companions (a message each way, both end-to-end encrypted)
    const pingPongMs: number[] = [];
    if (count >= 2) {
      for (const client of clients)
        client.onText = (text, from) => void (text.startsWith('ping') && client.sock.sendMessage(from, { text: `pong${text.slice(4)}` }));
      for (let i = 0; i < Math.min(count, 20); i++) {
        const a = clients[i]!;
        const b = phones[(i + 1) % count]!;
        const started = performance.now();
        const pong = new Promise<void>((resolve) => {
          const previous = a.onText;
          a.onText = (text, from) => (text === `pong ${i}` ? resolve() : previous(text, from));
        });
        await a.sock.sendMessage(jid(b), { text: `ping ${i}` });
        await withTimeout(pong, 10_000, 'pong');
        pingPongMs.push(performance.now() - started);
      }
    }

    const perCompanionMb = (after.rss - before.rss) / count / 1024 / 1024;
    const heapPerCompanionMb = (after.heapUsed - before.heapUsed) / count / 1024 / 1024;
    console.log(`\n== ${count} companion${count === 1 ? '' : 's'} (+${count + 1} emulator accounts with their phone clients, all in this process)`);
    console.log(`account creation (phone client linked and open): ${accountMs.toFixed(0)} ms per account`);
    console.log(`connect-to-open, new device linked by QR: ${stats(linkMs)}`);
    console.log(`connect-to-open, login from stored credentials: ${stats(loginMs)}`);
    console.log(`all ${count} logging in at once: all open after ${burstMs.toFixed(0)} ms`);
    console.log(`round trip, send -> delivery receipt: ${stats(receiptMs)}`);
    if (pingPongMs.length) console.log(`round trip, companion ping -> companion pong: ${stats(pingPongMs)}`);
    console.log(
      `memory per linked companion (client + its server side): rss ${perCompanionMb.toFixed(1)} MB, heap ${heapPerCompanionMb.toFixed(1)} MB${gc ? '' : ' (run with --expose-gc for steadier figures)'}`,
    );
    for (const client of clients) await client.sock.end(undefined);
  } finally {
    await emu.close();
  }
}

const counts = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
for (const count of counts.length ? counts : [1, 10, 50]) await run(count);
process.exit(0);
