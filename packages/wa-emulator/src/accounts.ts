import { randomInt } from 'node:crypto';
import { Curve, jidDecode, jidEncode } from './baileys.js';
import { LIMITS, type AccountRecord, type DeviceRecord, type EmulatorState } from './model.js';

export const PN_SERVER = 's.whatsapp.net';
export const LID_SERVER = 'lid';

export type Addressing = 'pn' | 'lid';

export interface ResolvedJid {
  account: AccountRecord;
  /** undefined when the jid names the user, not one device */
  device: number | undefined;
  addressing: Addressing;
}

export class AccountError extends Error {
  constructor(
    readonly code: 'invalid_phone' | 'account_exists' | 'too_many_accounts' | 'too_many_devices',
    message: string,
  ) {
    super(message);
  }
}

export const isValidPhone = (phone: string): boolean => /^[1-9]\d{5,14}$/.test(phone);

/** Accounts (phone numbers) and their devices, indexed by phone and by LID. */
export class AccountRegistry {
  private readonly byLid = new Map<string, AccountRecord>();

  constructor(private readonly state: EmulatorState) {
    for (const account of Object.values(state.accounts)) this.byLid.set(account.lid, account);
  }

  list(): AccountRecord[] {
    return Object.values(this.state.accounts);
  }

  get(phone: string): AccountRecord | undefined {
    return this.state.accounts[phone];
  }

  create(phone: string, name?: string): AccountRecord {
    if (!isValidPhone(phone)) throw new AccountError('invalid_phone', 'phone must be 6 to 15 digits, not starting with 0');
    if (this.state.accounts[phone]) throw new AccountError('account_exists', `account ${phone} already exists`);
    if (this.list().length >= LIMITS.accounts) throw new AccountError('too_many_accounts', 'account limit reached');
    let lid: string;
    do lid = String(randomInt(100_000_000_000, 281_474_976_710_655));
    while (this.byLid.has(lid));
    const account: AccountRecord = {
      phone,
      lid,
      name: name?.trim() || phone,
      identity: Curve.generateKeyPair(),
      createdAt: new Date().toISOString(),
      nextDeviceId: 1,
      nextKeyIndex: 1,
      devices: {},
      received: [],
      sent: [],
    };
    this.state.accounts[phone] = account;
    this.byLid.set(lid, account);
    return account;
  }

  /** Resolves a phone-number or LID jid (user or device) to its account. */
  resolve(jid: string): ResolvedJid | undefined {
    const decoded = jidDecode(jid);
    if (!decoded?.user) return undefined;
    if (decoded.server === PN_SERVER) {
      const account = this.state.accounts[decoded.user];
      return account && { account, device: decoded.device, addressing: 'pn' };
    }
    if (decoded.server === LID_SERVER) {
      const account = this.byLid.get(decoded.user);
      return account && { account, device: decoded.device, addressing: 'lid' };
    }
    return undefined;
  }

  /** Allocates the next device slot of an account: 0 is the phone, companions from 1. */
  allocateDevice(account: AccountRecord, kind: DeviceRecord['kind']): { id: number; keyIndex: number } {
    if (kind === 'phone') return { id: 0, keyIndex: 0 };
    const companions = Object.values(account.devices).filter((d) => d.kind === 'companion').length;
    if (companions >= LIMITS.devicesPerAccount) throw new AccountError('too_many_devices', `account ${account.phone} has ${companions} linked devices already`);
    const id = account.nextDeviceId++;
    const keyIndex = account.nextKeyIndex++;
    return { id, keyIndex };
  }

  addDevice(account: AccountRecord, device: DeviceRecord): void {
    account.devices[String(device.id)] = device;
  }

  removeDevice(account: AccountRecord, id: number): DeviceRecord | undefined {
    const device = account.devices[String(id)];
    if (device) delete account.devices[String(id)];
    return device;
  }
}

export function device(account: AccountRecord, id: number | undefined): DeviceRecord | undefined {
  return account.devices[String(id ?? 0)];
}

export function userJid(account: AccountRecord, addressing: Addressing): string {
  return addressing === 'lid' ? jidEncode(account.lid, LID_SERVER) : jidEncode(account.phone, PN_SERVER);
}

export function deviceJid(account: AccountRecord, id: number, addressing: Addressing): string {
  return addressing === 'lid' ? jidEncode(account.lid, LID_SERVER, id) : jidEncode(account.phone, PN_SERVER, id);
}
