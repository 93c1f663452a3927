import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { createWorkers, type Workers } from '../../src/workers/index.js';
import type { DeviceSession, StartOptions, WhatsAppProvider } from '../../src/whatsapp/provider.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';

/** A provider whose start() finishes when the test says so: it opens the window between a
 * launch and its socket, where disconnect, logout and shutdown can arrive. */
class SlowProvider implements WhatsAppProvider {
  starts: { options: StartOptions; finish: () => void; stops: number }[] = [];

  async start(options: StartOptions): Promise<DeviceSession> {
    const record = { options, finish: () => {}, stops: 0 };
    this.starts.push(record);
    await new Promise<void>((resolve) => (record.finish = resolve));
    return {
      deviceId: options.deviceId,
      stop: async () => {
        record.stops++;
        options.events.onClose({ kind: 'closed_by_us', statusCode: null, message: 'stopped' });
      },
      logout: async () => {
        options.events.onClose({ kind: 'logged_out', statusCode: 401, message: 'logged out' });
      },
      isOpen: false,
      send: notUsed,
      markRead: notUsed,
      checkNumbers: notUsed,
      sendPresence: notUsed,
      reuploadMedia: notUsed,
      get groups(): DeviceSession['groups'] {
        throw new Error('groups are not part of these tests');
      },
    };
  }

  async close(): Promise<void> {}
}

async function notUsed(): Promise<never> {
  throw new Error('messaging is not part of these tests');
}

let t: TestApp;
let tenant: TenantFixture;
const started: Workers[] = [];
beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
});
afterAll(async () => {
  for (const w of started) await w.stop();
  await t.close();
});

/** A second node's workers on the test database, with `provider`: a device nobody holds is connected on it (it holds the fewest). */
async function raceWorkers(provider: WhatsAppProvider): Promise<Workers> {
  const workers = createWorkers(t.deps, { provider: async () => provider });
  await workers.start({ dispatcher: false });
  started.push(workers);
  return workers;
}

async function device(): Promise<string> {
  const id = newId();
  const now = new Date().toISOString();
  await t.deps.db.kysely
    .insertInto('devices')
    .values({ id, tenant_id: tenant.tenantId, name: 'race', status: 'created', created_at: now, updated_at: now })
    .execute();
  return id;
}

const waitForStart = async (p: SlowProvider, n: number) => {
  for (let i = 0; i < 200 && p.starts.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(p.starts).toHaveLength(n);
};

describe('the device supervisor under races', () => {
  it('closes a socket that finishes starting after the device was disconnected, and ignores its events', async () => {
    const provider = new SlowProvider();
    const workers = await raceWorkers(provider);
    const supervisor = workers.devices;
    const id = await device();
    void workers.commands.connect(tenant.tenantId, id, {});
    await waitForStart(provider, 1);
    const disconnecting = supervisor.disconnect(tenant.tenantId, id, 'disconnected by request');
    provider.starts[0]!.finish();
    await disconnecting;
    expect(provider.starts[0]!.stops).toBe(1);
    expect(supervisor.isRunning(id)).toBe(false);
    provider.starts[0]!.options.events.onQr('late-qr');
    await new Promise((r) => setTimeout(r, 100));
    const row = await t.deps.db.kysely.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'disconnected', reason: 'disconnected by request', qr: null, auto_connect: false });
  });

  it('closes a socket that finishes starting during shutdown', async () => {
    const provider = new SlowProvider();
    const workers = await raceWorkers(provider);
    const supervisor = workers.devices;
    const id = await device();
    void workers.commands.connect(tenant.tenantId, id, {});
    await waitForStart(provider, 1);
    const stopping = supervisor.stopAll();
    provider.starts[0]!.finish();
    await stopping;
    expect(provider.starts[0]!.stops).toBe(1);
  });

  it('leaves a logged-out device logged out when asked to disconnect', async () => {
    const supervisor = (await raceWorkers(new SlowProvider())).devices;
    const id = await device();
    await t.deps.db.kysely.updateTable('devices').set({ status: 'logged_out', reason: 'unlinked from the phone' }).where('id', '=', id).execute();
    await supervisor.disconnect(tenant.tenantId, id, 'disconnected by request');
    const row = await t.deps.db.kysely.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'logged_out', reason: 'unlinked from the phone' });
  });
});
