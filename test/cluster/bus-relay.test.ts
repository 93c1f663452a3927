// PostgreSQL only (POSTGRES_ONLY_FILES in vitest.config.ts: the SQLite pass leaves this file out).
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BUS_CHANNEL, BusRelay } from '../../src/cluster/bus-relay.js';
import { MAX_PAYLOAD_BYTES } from '../../src/cluster/bus-payload.js';
import { EventBus } from '../../src/events/bus.js';
import { newId } from '../../src/lib/ids.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { until } from '../helpers/wait.js';

// Nodes share one database only on PostgreSQL (SQLite is one process per data directory).

/** Everything a bus emitted to its listeners, in order. */
function recordSignals(bus: EventBus): unknown[][] {
  const heard: unknown[][] = [];
  bus.subscribe(() => heard.push(['notify']));
  bus.onWebhooksChanged((tenantId, webhookId) => heard.push(['webhooksChanged', tenantId, webhookId]));
  bus.onSenderWake((deviceId) => heard.push(['wakeSender', deviceId]));
  bus.onSendPaceChanged((deviceId) => heard.push(['sendPaceChanged', deviceId]));
  bus.onMediaDownloadsWake(() => heard.push(['wakeMediaDownloads']));
  bus.onPeerSignalsMissed(() => heard.push(['peerSignalsMissed']));
  return heard;
}

/** A logger whose warnings the test reads. */
function capturingLogger() {
  const lines: Array<{ msg: string; [k: string]: unknown }> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

describe('the bus relay between two nodes on one PostgreSQL database', () => {
  let database: TestDatabase;
  let busA: EventBus;
  let busB: EventBus;
  let relayA: BusRelay;
  let relayB: BusRelay;
  let heardA: unknown[][];
  let heardB: unknown[][];
  let logB: ReturnType<typeof capturingLogger>;
  /** A third connection listening on the channel: counts the notifications themselves. */
  let wire: pg.Client;
  const onWire: Array<{ n: string; bytes: number }> = [];

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
    const databaseUrl = database.databaseUrl!;
    wire = new pg.Client({ connectionString: databaseUrl });
    await wire.connect();
    wire.on('notification', (msg) => onWire.push({ n: /"n":"([^"]*)"/.exec(msg.payload!)?.[1] ?? '', bytes: Buffer.byteLength(msg.payload!) }));
    await wire.query(`listen ${BUS_CHANNEL}`);
    busA = new EventBus();
    busB = new EventBus();
    heardA = recordSignals(busA);
    heardB = recordSignals(busB);
    logB = capturingLogger();
    relayA = new BusRelay(busA, { databaseUrl, nodeId: 'node-a', logger: pino({ level: 'silent' }) });
    relayB = new BusRelay(busB, { databaseUrl, nodeId: 'node-b', logger: logB.logger });
    relayA.start();
    relayB.start();
    await until('both relays listen', () => relayA.listening && relayB.listening);
  });
  afterAll(async () => {
    await relayA?.stop();
    await relayB?.stop();
    await wire?.end();
    await database?.drop();
  });
  beforeEach(() => {
    heardA.length = 0;
    heardB.length = 0;
    onWire.length = 0;
    logB.lines.length = 0;
  });

  it('a sender wake on A is heard on B, and B publishes nothing back (A hears only its own)', async () => {
    busA.wakeSender('d1');
    await until('B hears the wake', () => heardB.length > 0);
    await settle();
    expect(heardB).toEqual([['wakeSender', 'd1']]);
    expect(heardA).toEqual([['wakeSender', 'd1']]);
    expect(onWire).toEqual([{ n: 'node-a', bytes: expect.any(Number) }]);
  });

  it('many wakes in one turn of the event loop make one notification, each device once', async () => {
    const devices = Array.from({ length: 50 }, () => newId());
    for (let i = 0; i < 20; i++) for (const d of devices) busA.wakeSender(d);
    await until('B hears every device', () => heardB.length >= devices.length);
    await settle();
    expect(onWire).toHaveLength(1);
    expect(heardB).toEqual(devices.map((d) => ['wakeSender', d]));
  });

  it('every signal crosses: events committed, webhooks changed, send pace changed, media downloads; invalidations before wakes', async () => {
    busB.notify();
    busB.webhooksChanged('t1', 'w1');
    busB.webhooksChanged('t1', null);
    busB.webhooksChanged('t1', 'w1');
    busB.sendPaceChanged('d2');
    busB.wakeSender('d3');
    busB.wakeMediaDownloads();
    await until('A hears them', () => heardA.length >= 6);
    await settle();
    expect(heardA).toEqual([
      ['sendPaceChanged', 'd2'],
      ['webhooksChanged', 't1', 'w1'],
      ['webhooksChanged', 't1', null],
      ['wakeSender', 'd3'],
      ['notify'],
      ['wakeMediaDownloads'],
    ]);
    expect(onWire).toEqual([{ n: 'node-b', bytes: expect.any(Number) }]);
  });

  it('signals of separate turns each cross', async () => {
    busA.notify();
    await until('B hears the first', () => heardB.length === 1);
    busA.wakeMediaDownloads();
    await until('B hears the second', () => heardB.length === 2);
    expect(heardB).toEqual([['notify'], ['wakeMediaDownloads']]);
  });

  it("a batch over PostgreSQL's payload limit is split, nothing lost", async () => {
    const devices = Array.from({ length: 600 }, () => newId());
    for (const d of devices) busA.wakeSender(d);
    busA.notify();
    await until('B hears every device', () => heardB.length >= devices.length + 1);
    await settle();
    expect(onWire.length).toBe(Math.ceil((devices.length * 39) / MAX_PAYLOAD_BYTES));
    for (const { bytes } of onWire) expect(bytes).toBeLessThan(8000);
    expect(heardB.filter(([kind]) => kind === 'wakeSender').map(([, d]) => d)).toEqual(devices);
    expect(heardB.filter(([kind]) => kind === 'notify')).toHaveLength(1);
  });

  it('an unreadable notification is logged and ignored', async () => {
    await wire.query('select pg_notify($1, $2)', [BUS_CHANNEL, 'not json']);
    await wire.query('select pg_notify($1, $2)', [BUS_CHANNEL, '{"v":2,"n":"node-future","s":["d9"]}']);
    busA.wakeSender('d4');
    await until('B hears the wake after them', () => heardB.length > 0);
    expect(heardB).toEqual([['wakeSender', 'd4']]);
    // one warning per kind per 30 s: the second unreadable one is counted, not logged
    expect(logB.lines.map((l) => [l.msg, l.reason])).toEqual([['bus relay: an unreadable notification was ignored', 'not JSON']]);
  });

  it('after its listening connection is terminated, the relay listens again, drops what it keeps, and relays again', async () => {
    const pid = await relayB.backendPid();
    expect(pid).toEqual(expect.any(Number));
    await wire.query('select pg_terminate_backend($1)', [pid]);
    await until('B listens on a new connection', async () => relayB.listening && ((await relayB.backendPid()) ?? pid) !== pid, 10_000);
    expect(heardB).toEqual([['peerSignalsMissed']]);
    heardB.length = 0;
    busA.wakeSender('d5');
    await until('B hears A again', () => heardB.length > 0);
    busB.sendPaceChanged('d6');
    await until('A hears B again', () => heardA.some(([kind]) => kind === 'sendPaceChanged'));
    expect(heardB).toEqual([
      ['wakeSender', 'd5'],
      ['sendPaceChanged', 'd6'],
    ]);
  });
});
