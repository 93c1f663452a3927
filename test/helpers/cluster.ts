import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect } from 'vitest';
import { startTestEmulator, type EmulatorAdminClient, type TestEmulator } from '@wuts/wa-emulator';
import { startServer, type RunningServer } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { PASSWORD } from './factories.js';
import { api, ok, type ApiAnswer } from './http.js';
import { readSse } from './sse.js';

// A cluster of real `wuts serve` processes for the tests of issue 15 (test/cluster/): N nodes on
// loopback (PORT=0) sharing one fresh PostgreSQL database, one WhatsApp emulator in this process,
// one master token and one secret key, each node with its own WUTS_NODE_ID and data directory,
// heartbeat 500 ms and lease 3 s. PostgreSQL only: a test file using it runs its describe under
// `if (DIALECT === 'postgres')`, as the repository's other PostgreSQL-only tests do.
//
// ```ts
// const cluster = await startCluster(['node-a', 'node-b', 'node-c']);
// const tenant = await cluster.register('Acme');
// const device = await cluster.linkDevice(cluster.node('node-b'), tenant.token, '15551000001');
// await cluster.holderOf(device.id);          // 'node-a': from device_leases
// cluster.node('node-a').pause();             // SIGSTOP (resume(): SIGCONT)
// await cluster.node('node-a').kill();        // SIGKILL, waits for the exit
// await cluster.node('node-a').start();       // the same id again
// await cluster.view();                       // GET /cluster through a running node
// await cluster.close();
// ```

/** WUTS_CLUSTER_HEARTBEAT_MS and WUTS_CLUSTER_LEASE_MS of every node the harness starts. */
export const HEARTBEAT_MS = 500;
export const LEASE_MS = 3_000;

export type NodeRole = 'devices' | 'api';

/** One node of GET /cluster. */
export interface ClusterNodeView {
  id: string;
  role: NodeRole;
  version: string;
  started_at: string;
  heartbeat_at: string;
  alive: boolean;
  draining: boolean;
  capacity: number;
  devices_held: number;
}

/** GET /cluster's body. */
export interface ClusterView {
  success: true;
  nodes: ClusterNodeView[];
  devices: { wanted: number; held: number; unheld: number };
}

/** A `wuts serve` process under a fixed node id: started, killed, paused and started again by the test. */
export class ClusterNode {
  private server: RunningServer | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** SIGSTOP sent and no SIGCONT since. */
  paused = false;
  /** Every server this node ran, for the output of failed tests. */
  readonly runs: RunningServer[] = [];

  constructor(
    private readonly cluster: Cluster,
    readonly id: string,
    readonly role: NodeRole,
    /** this node's own environment, on top of the cluster's */
    readonly extraEnv: Record<string, string>,
  ) {}

  /** The application_name of this node's PostgreSQL connections. */
  get applicationName(): string {
    return `wuts:${this.id}`;
  }

  /** The process runs (it may be paused). */
  get running(): boolean {
    const child = this.server?.child;
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  get baseUrl(): string {
    if (!this.server) throw new Error(`${this.id} was never started`);
    return this.server.baseUrl;
  }

  get pid(): number | undefined {
    return this.server?.child.pid;
  }

  /** Starts `wuts serve` under this node's id (a new port each time); fails if it runs already. */
  async start(): Promise<this> {
    if (this.running) throw new Error(`${this.id} is running already`);
    const server = await startServer(this.cluster.envFor(this), 30_000);
    this.server = server;
    this.runs.push(server);
    this.paused = false;
    this.exited = new Promise<void>((resolve) => {
      if (server.child.exitCode !== null || server.child.signalCode !== null) resolve();
      else server.child.once('exit', () => resolve());
    });
    return this;
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.server!.child.kill('SIGKILL');
    await this.exited;
    this.paused = false;
  }

  /** SIGSTOP: the process stays, frozen (its sockets open, its heartbeats stop). */
  pause(): void {
    if (!this.running) throw new Error(`${this.id} is not running`);
    this.server!.child.kill('SIGSTOP');
    this.paused = true;
  }

  /** SIGCONT. */
  resume(): void {
    if (!this.running) throw new Error(`${this.id} is not running`);
    this.server!.child.kill('SIGCONT');
    this.paused = false;
  }

  /** SIGTERM (a drain); resolves with the exit code once it exited, fails after `timeoutMs` (the process is then killed). */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (!this.running) return this.server?.child.exitCode ?? null;
    if (this.paused) this.resume();
    const child = this.server!.child;
    child.kill('SIGTERM');
    const timedOut = await Promise.race([this.exited.then(() => false), sleep(timeoutMs).then(() => true)]);
    if (timedOut) {
      child.kill('SIGKILL');
      await this.exited;
      throw new Error(`${this.id} did not exit within ${timeoutMs} ms of SIGTERM:\n${this.output().slice(-4000)}`);
    }
    return child.exitCode;
  }

  /** SIGTERM, wait for the exit, start again under the same id. */
  async restart(): Promise<this> {
    await this.stop();
    return this.start();
  }

  /** An API call to this node. */
  call(method: string, path: string, token?: string, body?: unknown, timeoutMs?: number): Promise<ApiAnswer> {
    return api(this.baseUrl, method, path, token, body, timeoutMs);
  }

  /** What the current (or last) process printed. */
  output(): string {
    return this.server?.output() ?? '';
  }
}

export interface StartClusterOptions {
  /** extra environment of every node (a node's own comes on top) */
  env?: Record<string, string>;
}

export class Cluster {
  readonly nodes: ClusterNode[] = [];
  /** Written by the tests: for device_leases, devices, test_writes (application_name `wuts-test`). */
  readonly pool: pg.Pool;
  private readonly mediaCaFile: string;

  constructor(
    readonly emu: TestEmulator,
    readonly database: TestDatabase,
    readonly master: string,
    private readonly env: Record<string, string>,
  ) {
    this.pool = new pg.Pool({ connectionString: database.databaseUrl, max: 4, application_name: 'wuts-test' });
    this.mediaCaFile = path.join(database.dataDir, 'emulator-media-ca.pem');
    fs.writeFileSync(this.mediaCaFile, emu.mediaCaPem);
  }

  get admin(): EmulatorAdminClient {
    return this.emu.admin;
  }

  /** The environment `wuts serve` runs with on `node`. */
  envFor(node: ClusterNode): Record<string, string | undefined> {
    const dataDir = path.join(this.database.dataDir, node.id);
    fs.mkdirSync(dataDir, { recursive: true });
    return {
      WUTS_DATA_DIR: dataDir,
      DATABASE_URL: this.database.databaseUrl,
      WUTS_MASTER_TOKEN: this.master,
      WUTS_SECRET_KEY: this.database.secretKey.toString('hex'),
      WUTS_WA_WS_URL: this.emu.wsUrl,
      WUTS_WA_MEDIA_HOST: new URL(this.emu.mediaUrl).host,
      WUTS_WA_MEDIA_CA_FILE: this.mediaCaFile,
      WUTS_ALLOW_PRIVATE_WEBHOOKS: 'true',
      WUTS_NODE_ID: node.id,
      WUTS_NODE_ROLE: node.role,
      WUTS_CLUSTER_HEARTBEAT_MS: String(HEARTBEAT_MS),
      WUTS_CLUSTER_LEASE_MS: String(LEASE_MS),
      LOG_LEVEL: 'warn',
      ...this.env,
      ...node.extraEnv,
    };
  }

  /** Starts one more node (`devices` by default) and answers it once it listens. */
  async addNode(id: string, options: { role?: NodeRole; env?: Record<string, string> } = {}): Promise<ClusterNode> {
    if (this.nodes.some((n) => n.id === id)) throw new Error(`node ${id} exists`);
    const node = new ClusterNode(this, id, options.role ?? 'devices', options.env ?? {});
    this.nodes.push(node);
    return node.start();
  }

  node(id: string): ClusterNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  /** The nodes running and not paused: those that answer. */
  answering(): ClusterNode[] {
    return this.nodes.filter((n) => n.running && !n.paused);
  }

  /** A node that answers, other than `not` (the first such). */
  other(...not: (ClusterNode | string)[]): ClusterNode {
    const ids = new Set(not.map((n) => (typeof n === 'string' ? n : n.id)));
    const node = this.answering().find((n) => !ids.has(n.id));
    if (!node) throw new Error(`no answering node besides ${[...ids].join(', ')}`);
    return node;
  }

  /** GET /cluster with the master token through `via` (default: the first answering node). */
  async view(via: ClusterNode = this.other()): Promise<ClusterView> {
    const body = (await ok(via.call('GET', '/cluster', this.master), 200)) as ClusterView;
    return body;
  }

  /** One node's entry of GET /cluster. */
  async nodeView(id: string, via?: ClusterNode): Promise<ClusterNodeView | undefined> {
    return (await this.view(via)).nodes.find((n) => n.id === id);
  }

  /** device id -> the node holding its unexpired lease (device_leases, read directly). */
  async holders(deviceIds?: string[]): Promise<Map<string, string>> {
    const rows = await this.pool.query<{ device_id: string; node_id: string }>(
      `select device_id, node_id from device_leases where node_id is not null and expires_ms > (extract(epoch from clock_timestamp()) * 1000)::bigint${deviceIds ? ' and device_id = any($1)' : ''}`,
      deviceIds ? [deviceIds] : [],
    );
    return new Map(rows.rows.map((r) => [r.device_id, r.node_id]));
  }

  async holderOf(deviceId: string): Promise<string | undefined> {
    return (await this.holders([deviceId])).get(deviceId);
  }

  /** The devices whose unexpired lease `nodeId` holds. */
  async heldBy(nodeId: string, among?: string[]): Promise<string[]> {
    return [...(await this.holders(among)).entries()].filter(([, n]) => n === nodeId).map(([d]) => d);
  }

  /** A device's row as the database has it. */
  async deviceRow(deviceId: string): Promise<{ status: string; reason: string | null } | undefined> {
    return (await this.pool.query<{ status: string; reason: string | null }>('select status, reason from devices where id = $1', [deviceId])).rows[0];
  }

  /** The application_name of every connection to the cluster's database now. */
  async applicationNames(): Promise<Set<string>> {
    const rows = await this.pool.query<{ name: string }>('select distinct application_name as name from pg_stat_activity where datname = current_database()');
    return new Set(rows.rows.map((r) => r.name));
  }

  /** PostgreSQL's clock now (clock_timestamp(), as the write log records). */
  async dbNow(): Promise<Date> {
    return (await this.pool.query<{ now: Date }>('select clock_timestamp() as now')).rows[0]!.now;
  }

  /** POST /register with the master token through `via`: a tenant and its admin's token. */
  async register(name: string, via: ClusterNode = this.other(), extra: Record<string, unknown> = {}): Promise<{ token: string; tenantId: string }> {
    const suffix = randomBytes(4).toString('hex');
    const body = await ok(
      via.call('POST', '/register', this.master, { tenant_name: `${name} ${suffix}`, email: `admin-${suffix}@example.test`, password: PASSWORD, ...extra }),
      201,
    );
    return { token: body.token, tenantId: body.tenant.id };
  }

  /**
   * A new WUTS device linked to the emulator account `phone`: POST /devices through `via`,
   * POST /devices/{id}/connect through `connectVia` (default `via`), the account's phone scans
   * the QR (emulator admin API), then waits until the device is connected.
   */
  async linkDevice(via: ClusterNode, token: string, phone: string, options: { connectVia?: ClusterNode; timeoutMs?: number } = {}): Promise<LinkedDevice> {
    const id = (await ok(via.call('POST', '/devices', token, { name: `phone ${phone}` }), 201)).device.id as string;
    // the connect answers its first QR code, which it waits up to 20 s for (CONNECT_WAIT_MS)
    const connect = await ok((options.connectVia ?? via).call('POST', `/devices/${id}/connect`, token, {}, 30_000), 200);
    expect(connect.qr?.text, JSON.stringify(connect)).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#/);
    await this.admin.link(connect.qr.text, phone);
    await this.waitStatus(via, token, id, 'connected', options.timeoutMs ?? 30_000);
    return { id, phone };
  }

  /** Waits until GET /devices/{id} through `via` shows `status`. */
  async waitStatus(via: ClusterNode, token: string, id: string, status: string, timeoutMs = 30_000): Promise<void> {
    await poll(`device ${id} ${status} (through ${via.id})`, timeoutMs, async () => {
      const device = (await ok(via.call('GET', `/devices/${id}`, token), 200)).device;
      return device.status === status ? true : undefined;
    });
  }

  /** The last `chars` of what each node printed (every run), for a failed test's report. */
  outputs(chars = 3_000): string {
    return this.nodes
      .map(
        (n) =>
          `--- ${n.id} (${n.runs.length} run${n.runs.length === 1 ? '' : 's'})\n${n.runs
            .map((r) => r.output())
            .join('\n--- restarted\n')
            .slice(-chars)}`,
      )
      .join('\n');
  }

  /** Stops everything the cluster started, whatever state it is in, and drops the database. */
  async close(): Promise<void> {
    for (const node of this.nodes) {
      try {
        await node.kill();
      } catch {
        // already gone
      }
    }
    await this.pool.end().catch(() => {});
    await this.emu.close().catch(() => {});
    await this.database.drop();
  }
}

export interface LinkedDevice {
  id: string;
  phone: string;
}

/**
 * Starts the emulator, a fresh PostgreSQL database (with the write log of installWriteLog) and
 * one `devices` node per id, all in parallel. Needs WUTS_TEST_DATABASE_URL and the build.
 */
export async function startCluster(ids: string[], options: StartClusterOptions = {}): Promise<Cluster> {
  const [emu, database] = await Promise.all([startTestEmulator(), createTestDatabase()]);
  if (!database.databaseUrl) throw new Error('a cluster needs PostgreSQL: set WUTS_TEST_DATABASE_URL');
  const cluster = new Cluster(emu, database, 'cluster_test_master_' + randomBytes(24).toString('hex'), options.env ?? {});
  try {
    await installWriteLog(cluster.pool);
    // one at a time: the first runs the migrations the others then find done
    for (const id of ids) await cluster.addNode(id);
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}

// ---------------------------------------------------------------- the write log (fencing)

/** The tables a node that lost its leases must not write to. */
export const FENCED_TABLES = ['device_auth_creds', 'device_auth_keys', 'devices'] as const;

export interface RecordedWrite {
  table: string;
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  device_id: string | null;
  /** current_setting('application_name') of the writing connection: `wuts:<node id>` for a node */
  app: string;
  at: Date;
}

/**
 * Creates `test_writes` and a trigger on each of FENCED_TABLES recording every inserted,
 * updated or deleted row: the table, the operation, the device id (`device_id`, or `id` in
 * `devices`), the writer's application_name and clock_timestamp().
 */
export async function installWriteLog(pool: pg.Pool): Promise<void> {
  await pool.query(`
    create table if not exists test_writes (
      seq bigserial primary key,
      tbl text not null,
      op text not null,
      device_id text,
      app text not null,
      at timestamptz not null
    );
    create or replace function test_record_write() returns trigger language plpgsql as $$
    declare
      r jsonb;
    begin
      if tg_op = 'DELETE' then r := to_jsonb(old); else r := to_jsonb(new); end if;
      insert into test_writes (tbl, op, device_id, app, at)
      values (tg_table_name, tg_op, r ->> tg_argv[0], current_setting('application_name'), clock_timestamp());
      return null;
    end $$;
  `);
  for (const table of FENCED_TABLES) {
    const column = table === 'devices' ? 'id' : 'device_id';
    await pool.query(`drop trigger if exists test_record_write on ${table}`);
    await pool.query(
      `create trigger test_record_write after insert or update or delete on ${table} for each row execute function test_record_write('${column}')`,
    );
  }
}

/** The writes recorded at or after `since` (PostgreSQL's clock), by `app` when given, oldest first. */
export async function writesSince(pool: pg.Pool, since: Date, app?: string): Promise<RecordedWrite[]> {
  const rows = await pool.query<{ tbl: string; op: RecordedWrite['op']; device_id: string | null; app: string; at: Date }>(
    `select tbl, op, device_id, app, at from test_writes where at >= $1${app ? ' and app = $2' : ''} order by seq`,
    app ? [since, app] : [since],
  );
  return rows.rows.map((r) => ({ table: r.tbl, op: r.op, device_id: r.device_id, app: r.app, at: r.at }));
}

// ---------------------------------------------------------------- event stream

export interface StreamedEvent {
  id: string;
  event: string;
  data: { id: string; type: string; device_id?: string | null; data?: any };
}

export interface EventStreamReader {
  readonly events: StreamedEvent[];
  /** True once the server ended the stream or the connection broke. */
  readonly ended: boolean;
  close(): Promise<void>;
}

/** Opens GET /events/stream on `baseUrl` and collects its events until closed. */
export async function openEventStream(baseUrl: string, token: string, query = ''): Promise<EventStreamReader> {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}/events/stream${query}`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  expect(res.status).toBe(200);
  const events: StreamedEvent[] = [];
  let ended = false;
  const reading = readSse(res.body, (message) => {
    if (message.data) events.push({ id: message.id ?? '', event: message.event ?? '', data: JSON.parse(message.data) });
  }).then(() => {
    ended = true;
  });
  return {
    events,
    get ended() {
      return ended;
    },
    async close() {
      controller.abort();
      await reading;
    },
  };
}

// ---------------------------------------------------------------- waiting

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Calls `probe` every `everyMs` until it answers a value other than undefined; fails after `timeoutMs`. */
export async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}
