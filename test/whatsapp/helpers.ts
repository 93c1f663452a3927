import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { Db } from '../../src/db/connect.js';
import { newId } from '../../src/lib/ids.js';
import { nowIso } from '../../src/lib/time.js';
import { EmulatorAdminClient, type AdminAnswer, type EmulatorAccount, type EmulatorDevice, type RunningEmulator } from '@wuts/wa-emulator';
import type { DisconnectKind, LinkedAccount, SessionEvents } from '../../src/whatsapp/provider.js';
import { createBaileysProvider, type BaileysProvider, type BaileysProviderOptions } from '../../src/whatsapp/baileys/index.js';

export const quiet = pino({ level: process.env.WUTS_TEST_LOG ?? 'silent' });

export { startTestEmulator } from '@wuts/wa-emulator';

/** A provider pointed at the emulator, with short timeouts so nothing waits 60 s. */
export function testProvider(emu: RunningEmulator, extra: Partial<BaileysProviderOptions> = {}): BaileysProvider {
  return createBaileysProvider({ waWsUrl: emu.wsUrl, logger: quiet, defaultQueryTimeoutMs: 5_000, connectTimeoutMs: 5_000, ...extra });
}

export { waitFor } from '../helpers/wait.js';

/** Any emulator admin call, answered as it came (status and body), through the package's admin client. */
export function api<T = Record<string, unknown>>(emu: RunningEmulator, method: string, path: string, body?: unknown): Promise<AdminAnswer<T>> {
  return new EmulatorAdminClient(emu).request<T>(method, path, body);
}

export function createAccount(emu: RunningEmulator, phone: string, name?: string): Promise<EmulatorAccount> {
  return new EmulatorAdminClient(emu).createAccount(phone, name);
}

export type { EmulatorDevice };

export function accountDevices(emu: RunningEmulator, phone: string): Promise<EmulatorDevice[]> {
  return new EmulatorAdminClient(emu).devices(phone);
}

/** A tenant and a device row, inserted directly (the devices module is not under test here). */
export async function insertTenantAndDevice(db: Db): Promise<{ tenantId: string; deviceId: string }> {
  const tenantId = newId();
  const deviceId = newId();
  const now = nowIso();
  const name = `Tenant ${randomBytes(4).toString('hex')}`;
  await db.kysely
    .insertInto('tenants')
    .values({
      id: tenantId,
      name,
      name_key: name.toLowerCase(),
      active: true,
      staged_webhook_url: null,
      staged_webhook_id: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await insertDevice(db, tenantId, deviceId);
  return { tenantId, deviceId };
}

export async function insertDevice(db: Db, tenantId: string, deviceId = newId()): Promise<string> {
  const now = nowIso();
  await db.kysely
    .insertInto('devices')
    .values({ id: deviceId, tenant_id: tenantId, name: 'test device', status: 'created', created_at: now, updated_at: now })
    .execute();
  return deviceId;
}

export type Recorded =
  | { type: 'qr'; qr: string }
  | { type: 'pairing'; code: string }
  | { type: 'open'; account: LinkedAccount }
  | { type: 'close'; kind: DisconnectKind; statusCode: number | null; message: string };

/** SessionEvents that record everything, in order. */
export class EventLog implements SessionEvents {
  readonly all: Recorded[] = [];
  onQr(qr: string): void {
    this.all.push({ type: 'qr', qr });
  }
  onPairingCode(code: string): void {
    this.all.push({ type: 'pairing', code });
  }
  onOpen(account: LinkedAccount): void {
    this.all.push({ type: 'open', account });
  }
  onClose(close: { kind: DisconnectKind; statusCode: number | null; message: string }): void {
    this.all.push({ type: 'close', ...close });
  }
  get qrs(): string[] {
    return this.all.flatMap((e) => (e.type === 'qr' ? [e.qr] : []));
  }
  get opens(): LinkedAccount[] {
    return this.all.flatMap((e) => (e.type === 'open' ? [e.account] : []));
  }
  get closes(): Extract<Recorded, { type: 'close' }>[] {
    return this.all.flatMap((e) => (e.type === 'close' ? [e] : []));
  }
  types(): string[] {
    return this.all.map((e) => (e.type === 'close' ? `close:${e.kind}` : e.type));
  }
}
