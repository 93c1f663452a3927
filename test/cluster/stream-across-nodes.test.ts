// PostgreSQL only (POSTGRES_ONLY_FILES in vitest.config.ts: the SQLite pass leaves this file out).
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withOutbox } from '../../src/events/outbox.js';
import { createTestApp, startNode, type TestApp, type TestNode } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';
import { readSse } from '../helpers/sse.js';
import { until } from '../helpers/wait.js';

/** The ids of the events a live stream delivers, with when each arrived (performance.now()). */
async function openStream(base: string, token: string) {
  const controller = new AbortController();
  const res = await fetch(`${base}/events/stream`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  expect(res.status).toBe(200);
  const arrivals: Array<{ id: string; at: number }> = [];
  let connected = false;
  const reading = readSse(res.body, (message) => {
    if (message.comments.includes('connected')) connected = true;
    if (message.id) arrivals.push({ id: message.id, at: performance.now() });
  });
  await until('the stream is open', () => connected);
  return {
    arrivals,
    async close() {
      controller.abort();
      await reading;
    },
  };
}

describe('two nodes on one PostgreSQL database: a live stream on B', () => {
  let a: TestApp;
  let b: TestNode;
  let bDb: TestNode['deps']['db'];
  let baseB: string;
  let tenant: TenantFixture;

  beforeAll(async () => {
    a = await createTestApp();
    bDb = a.database.reopen();
    b = await startNode({ config: a.deps.config, db: bDb, masterToken: a.masterToken, secrets: a.database.secrets });
    baseB = await b.app.listen({ port: 0, host: '127.0.0.1' });
    await until('both relays listen', () => a.relay?.listening && b.relay?.listening);
    tenant = await createTenant(a);
  });
  afterAll(async () => {
    await b?.close();
    await bDb?.close();
    await a?.close();
  });

  it("sees an event committed on A well before its 1 s poll (A's commit wakes B)", async () => {
    const stream = await openStream(baseB, tenant.adminToken);
    // past the stream's first read, so that only a wake (or the poll) finds what follows
    await new Promise((r) => setTimeout(r, 100));
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const committed = await withOutbox(a.deps, async (_trx, emit) =>
        emit({
          tenantId: tenant.tenantId,
          type: 'tenant.updated',
          data: { id: tenant.tenantId, name: `t${i}`, active: true, updated_at: new Date().toISOString() },
        }),
      );
      const after = performance.now();
      const arrival = await until('B streams the event', () => stream.arrivals.find((e) => e.id === committed.id), 5_000);
      latencies.push(arrival.at - after);
      // a random phase against B's poll for the next one
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 300));
    }
    await stream.close();
    console.log(`cross-node stream latency (ms): ${latencies.map((l) => l.toFixed(1)).join(', ')}`);
    for (const latency of latencies) expect(latency).toBeLessThan(500);
  });
});
