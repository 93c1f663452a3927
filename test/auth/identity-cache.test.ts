import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECT } from '../helpers/database.js';
import { createTestApp, startNode, type TestApp, type TestNode } from '../helpers/app.js';
import { createTenant, createUser, type TenantFixture } from '../helpers/factories.js';
import { IDENTITY_CHANNEL } from '../../src/auth/identity-sync.js';
import { until } from '../helpers/wait.js';

// Identities are kept in memory so an authenticated request reads no database, and the
// contract does not move: a revocation, deactivation, demotion or suspension is refused on the
// very next request (on every node sharing PostgreSQL), and an expired token at once.

type Caller = Pick<TestNode, 'call' | 'deps'>;

const INVALID = { success: false, error: 'invalid or expired token', code: 'invalid_token' };
const INACTIVE = { success: false, error: 'user is deactivated', code: 'user_inactive' };
const SUSPENDED = { success: false, error: 'tenant is suspended', code: 'tenant_suspended' };

async function expectAnswer(node: Caller, method: 'GET' | 'POST', url: string, token: string, status: number, body?: object): Promise<void> {
  const res = await node.call(method, url, token);
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
  if (body) expect(res.json()).toEqual(body);
}

/** A change made on `changer`, then the very next request on `reader` (one node: the same). */
interface Case {
  name: string;
  /** Creates the caller and its token (and warms nothing). */
  prepare(t: TestApp, tenant: TenantFixture): Promise<{ token: string; tokenId?: string; userId: string }>;
  /** The request that works before the change and is refused after it. */
  request: { method: 'GET'; url: string };
  change(changer: Caller, t: TestApp, tenant: TenantFixture, who: { token: string; tokenId?: string; userId: string }): Promise<void>;
  refused: { status: number; body: object };
  /** Undoes the change (when it can be undone) and the same token works again. */
  undo?(changer: Caller, t: TestApp, tenant: TenantFixture, who: { userId: string }): Promise<void>;
}

async function ok(res: Promise<{ statusCode: number; body: string }>): Promise<void> {
  const answer = await res;
  expect(answer.statusCode, answer.body).toBe(200);
}

const CASES: Case[] = [
  {
    name: 'a revoked token (DELETE /me/tokens/{id})',
    prepare: async (t, tenant) => {
      const made = await t.call('POST', '/me/tokens', tenant.adminToken, { name: 'revoked soon' });
      expect(made.statusCode, made.body).toBe(201);
      return { token: made.json().token, tokenId: made.json().api_token.id, userId: tenant.adminId };
    },
    request: { method: 'GET', url: '/me' },
    change: (changer, _t, tenant, who) => ok(changer.call('DELETE', `/me/tokens/${who.tokenId}`, tenant.adminToken)),
    refused: { status: 401, body: INVALID },
  },
  {
    name: 'a deactivated user',
    prepare: async (t, tenant) => {
      const user = await createUser(t, tenant, 'agent');
      return { token: user.token, userId: user.id };
    },
    request: { method: 'GET', url: '/me' },
    change: (changer, _t, tenant, who) => ok(changer.call('PUT', `/users/${who.userId}`, tenant.adminToken, { active: false })),
    refused: { status: 401, body: INACTIVE },
    undo: (changer, _t, tenant, who) => ok(changer.call('PUT', `/users/${who.userId}`, tenant.adminToken, { active: true })),
  },
  {
    name: 'a demoted admin (an admin-only route)',
    prepare: async (t, tenant) => {
      const user = await createUser(t, tenant, 'admin');
      return { token: user.token, userId: user.id };
    },
    request: { method: 'GET', url: '/audit' },
    change: (changer, _t, tenant, who) => ok(changer.call('PUT', `/users/${who.userId}`, tenant.adminToken, { role: 'viewer' })),
    refused: { status: 403, body: { success: false, error: expect.any(String), code: 'forbidden' } },
    undo: (changer, _t, tenant, who) => ok(changer.call('PUT', `/users/${who.userId}`, tenant.adminToken, { role: 'admin' })),
  },
  {
    name: 'a suspended tenant',
    prepare: async (t, tenant) => {
      const user = await createUser(t, tenant, 'agent');
      return { token: user.token, userId: user.id };
    },
    request: { method: 'GET', url: '/me' },
    change: (changer, t, tenant) => ok(changer.call('PUT', `/tenants/${tenant.tenantId}`, t.masterToken, { active: false })),
    refused: { status: 403, body: SUSPENDED },
    undo: (changer, t, tenant) => ok(changer.call('PUT', `/tenants/${tenant.tenantId}`, t.masterToken, { active: true })),
  },
];

describe('one node: the very next request sees the change', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    await until('the identity cache serves', () => t.deps.identities.serving());
  });
  afterAll(async () => {
    await t.close();
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const tenant = await createTenant(t);
      const who = await c.prepare(t, tenant);
      await expectAnswer(t, c.request.method, c.request.url, who.token, 200); // kept in memory now
      await expectAnswer(t, c.request.method, c.request.url, who.token, 200);
      await c.change(t, t, tenant, who);
      await expectAnswer(t, c.request.method, c.request.url, who.token, c.refused.status, c.refused.body);
      if (c.undo) {
        await c.undo(t, t, tenant, who);
        await expectAnswer(t, c.request.method, c.request.url, who.token, 200);
      }
    });
  }

  it('an expired token is refused at once, although it is kept in memory', async () => {
    const tenant = await createTenant(t);
    const made = await t.call('POST', '/me/tokens', tenant.adminToken, { name: 'short-lived' });
    expect(made.statusCode, made.body).toBe(201);
    const expiresAt = new Date(Date.now() + 1_000).toISOString();
    await t.deps.db.kysely.updateTable('api_tokens').set({ expires_at: expiresAt }).where('id', '=', made.json().api_token.id).execute();
    await expectAnswer(t, 'GET', '/me', made.json().token, 200);
    await until('the token expired', () => Date.now() > Date.parse(expiresAt) + 5, 3_000);
    await expectAnswer(t, 'GET', '/me', made.json().token, 401, INVALID);
  });

  it('a login that ends the oldest session (WUTS_MAX_TOKENS_PER_USER) refuses it on its next request', async () => {
    const small = await createTestApp({ maxTokensPerUser: 2 });
    try {
      const tenant = await createTenant(small);
      const login = async () => {
        const res = await small.call('POST', '/login', undefined, { email: tenant.adminEmail, password: 'correct-horse-battery' });
        expect(res.statusCode, res.body).toBe(200);
        return res.json().token as string;
      };
      const first = await login();
      await expectAnswer(small, 'GET', '/me', first, 200);
      await login();
      await expectAnswer(small, 'GET', '/me', first, 200);
      await login(); // keeps the newest session (limit - 1): the first one ends
      await expectAnswer(small, 'GET', '/me', first, 401, INVALID);
    } finally {
      await small.close();
    }
  });

  it('a hit reads no database: a row changed behind WUTS is served until the max age, then read again', async () => {
    const aged = await createTestApp({ authCacheMaxAgeMs: 1_000 });
    try {
      const tenant = await createTenant(aged);
      const user = await createUser(aged, tenant, 'agent');
      await expectAnswer(aged, 'GET', '/me', user.token, 200);
      // Not through WUTS: nothing drops the kept identity, so only its age can.
      await aged.deps.db.kysely.updateTable('users').set({ active: false }).where('id', '=', user.id).execute();
      const keptUntil = Date.now() + 1_000;
      await expectAnswer(aged, 'GET', '/me', user.token, 200);
      await until('the kept identity is too old', () => Date.now() > keptUntil + 5, 3_000);
      await expectAnswer(aged, 'GET', '/me', user.token, 401, INACTIVE);
    } finally {
      await aged.close();
    }
  });

  it('WUTS_AUTH_CACHE_ENTRIES=0 keeps nothing: every request reads the database', async () => {
    const none = await createTestApp({ authCacheEntries: 0 });
    try {
      const tenant = await createTenant(none);
      const user = await createUser(none, tenant, 'agent');
      await expectAnswer(none, 'GET', '/me', user.token, 200);
      await none.deps.db.kysely.updateTable('users').set({ active: false }).where('id', '=', user.id).execute();
      await expectAnswer(none, 'GET', '/me', user.token, 401, INACTIVE);
    } finally {
      await none.close();
    }
  });
});

// Nodes share one database only on PostgreSQL (SQLite is one process per data directory).
if (DIALECT === 'postgres') {
  describe('two nodes sharing PostgreSQL: a change on A is refused by B on the very next request', () => {
    let a: TestApp;
    let b: TestNode;
    let bDb: TestNode['deps']['db'];
    beforeAll(async () => {
      a = await createTestApp();
      bDb = a.database.reopen();
      b = await startNode({ config: a.deps.config, db: bDb, masterToken: a.masterToken, secrets: a.database.secrets });
      await until('both nodes serve identities from memory', () => a.deps.identities.serving() && b.deps.identities.serving());
    });
    afterAll(async () => {
      await b?.close();
      await bDb?.close();
      await a?.close();
    });

    for (const c of CASES) {
      it(c.name, async () => {
        const tenant = await createTenant(a);
        const who = await c.prepare(a, tenant);
        await expectAnswer(b, c.request.method, c.request.url, who.token, 200);
        await expectAnswer(b, c.request.method, c.request.url, who.token, 200);
        expect(b.deps.identities.serving(), 'B serves from memory').toBe(true);
        await c.change(a, a, tenant, who);
        await expectAnswer(b, c.request.method, c.request.url, who.token, c.refused.status, c.refused.body);
        if (c.undo) {
          await c.undo(a, a, tenant, who);
          await expectAnswer(b, c.request.method, c.request.url, who.token, 200);
        }
      });
    }

    it("B's listening connection killed: B does not serve what it kept, and a change on A is refused by B", async () => {
      const tenant = await createTenant(a);
      const user = await createUser(a, tenant, 'agent');
      await expectAnswer(b, 'GET', '/me', user.token, 200);
      const pid = await b.deps.identities.listenerPid();
      expect(pid).toEqual(expect.any(Number));
      await sql`select pg_terminate_backend(${pid})`.execute(a.deps.db.kysely);
      await ok(a.call('PUT', `/users/${user.id}`, tenant.adminToken, { active: false }));
      await expectAnswer(b, 'GET', '/me', user.token, 401, INACTIVE);

      // B listens again (a new connection) and serves from memory again, starting empty.
      await until('B listens again', async () => b.deps.identities.serving() && (await b.deps.identities.listenerPid()) !== pid, 10_000);
      await ok(a.call('PUT', `/users/${user.id}`, tenant.adminToken, { active: true }));
      await expectAnswer(b, 'GET', '/me', user.token, 200);
      await ok(a.call('PUT', `/users/${user.id}`, tenant.adminToken, { active: false }));
      await expectAnswer(b, 'GET', '/me', user.token, 401, INACTIVE);
    });

    it('while B cannot listen it reads the database on every request', async () => {
      const tenant = await createTenant(a);
      const user = await createUser(a, tenant, 'agent');
      await expectAnswer(b, 'GET', '/me', user.token, 200);
      await b.deps.identities.stop();
      expect(b.deps.identities.serving()).toBe(false);
      // Not through WUTS (no notification at all): only a database read can see it.
      await a.deps.db.kysely.updateTable('users').set({ active: false }).where('id', '=', user.id).execute();
      await expectAnswer(b, 'GET', '/me', user.token, 401, INACTIVE);
    });
  });

  /**
   * Another node as the wire sees it: a PostgreSQL session that heartbeats on the channel and
   * answers (or not) the drops of others with an acknowledgement, after `ackDelayMs`.
   */
  async function peer(databaseUrl: string, ackDelayMs: number | null) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const id = randomUUID();
    const acks: number[] = [];
    const heard = new Set<string>();
    /** Acks not sent yet: a closed peer sends none. */
    const pending = new Set<NodeJS.Timeout>();
    /**
     * Acks on the wire: the node can hear one (and the test go on to close the peer) before the
     * peer has read its own answer, so close waits for them rather than ending a query in flight.
     */
    const sending = new Set<Promise<void>>();
    const ackErrors: unknown[] = [];
    client.on('notification', (msg) => {
      const message = JSON.parse(msg.payload ?? '{}');
      if (message.n === id && message.k === 'beat') heard.add(message.b);
      if (message.k !== 'drop' || message.n === id || ackDelayMs === null) return;
      const timer = setTimeout(() => {
        pending.delete(timer);
        acks.push(Date.now());
        const sent = client.query('select pg_notify($1, $2)', [IDENTITY_CHANNEL, JSON.stringify({ k: 'ack', n: id, c: message.c, to: message.n })]).then(
          () => undefined,
          (err: unknown) => void ackErrors.push(err),
        );
        sending.add(sent);
        void sent.then(() => sending.delete(sent));
      }, ackDelayMs);
      pending.add(timer);
    });
    await client.query(`listen ${IDENTITY_CHANNEL}`);
    /** A heartbeat, heard back (so every listening node has it before anything committed later). */
    const beat = async () => {
      const b = randomUUID();
      await client.query('select pg_notify($1, $2)', [IDENTITY_CHANNEL, JSON.stringify({ k: 'beat', n: id, b })]);
      await until('the heartbeat is heard back', () => heard.has(b), 5_000);
    };
    return {
      acks,
      beat,
      close: async () => {
        for (const timer of pending) clearTimeout(timer);
        await Promise.all(sending);
        await client.end();
        if (ackErrors.length > 0) throw ackErrors[0];
      },
    };
  }

  describe('a change waits for the other nodes (PostgreSQL)', () => {
    let a: TestApp;
    beforeAll(async () => {
      a = await createTestApp({ authSyncTimeoutMs: 1_500 });
      await until('the node serves identities from memory', () => a.deps.identities.serving());
    });
    afterAll(async () => {
      await a?.close();
    });

    it('answers only after every node it knows acknowledged', async () => {
      const other = await peer(a.database.databaseUrl!, 300);
      try {
        const tenant = await createTenant(a);
        const user = await createUser(a, tenant, 'agent');
        await other.beat();
        await ok(a.call('PUT', `/users/${user.id}`, tenant.adminToken, { active: false }));
        const answeredAt = Date.now();
        expect(other.acks).toHaveLength(1);
        expect(answeredAt).toBeGreaterThanOrEqual(other.acks[0]!);
      } finally {
        await other.close();
      }
    });

    it('a node that does not acknowledge holds a change for WUTS_AUTH_SYNC_TIMEOUT_MS, then it answers', async () => {
      const silent = await peer(a.database.databaseUrl!, null);
      try {
        const tenant = await createTenant(a);
        const user = await createUser(a, tenant, 'agent');
        await silent.beat();
        const started = Date.now();
        await ok(a.call('PUT', `/users/${user.id}`, tenant.adminToken, { active: false }));
        expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
        await expectAnswer(a, 'GET', '/me', user.token, 401, INACTIVE);
      } finally {
        await silent.close();
      }
    });
  });
}
