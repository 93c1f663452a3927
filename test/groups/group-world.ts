import { expect } from 'vitest';
import { EmulatorAdminClient, EmulatorAdminError, type GroupRecordView } from '@wuts/wa-emulator';
import type { MessagingWorld, TenantWithDevice } from '../messages/world.js';

/** Helpers of the group end-to-end suites: WUTS's group API, and the groups as the emulator's accounts see them. */

export const admin = (w: MessagingWorld) => new EmulatorAdminClient(w.emu);

/** A group route of the device: `/devices/{id}/groups[/<group>][/<rest>]`. */
export const groupPath = (a: TenantWithDevice, group?: string, rest = ''): string => `/devices/${a.deviceId}/groups${group ? `/${group}` : ''}${rest}`;

/** Calls a group route and expects `status`; answers the JSON body. */
export async function groupCall(w: MessagingWorld, token: string, method: string, path: string, status: number, body?: unknown): Promise<any> {
  const res = await w.t.call(method as 'GET', path, token, body);
  expect(res.statusCode, `${method} ${path}: ${res.body}`).toBe(status);
  return res.json();
}

/** The group as an emulator account sees it, or null when the account is not in it. */
export async function peerView(w: MessagingWorld, phone: string, groupJid: string): Promise<GroupRecordView | null> {
  try {
    return await admin(w).group(phone, groupJid);
  } catch (err) {
    if (err instanceof EmulatorAdminError && (err.status === 403 || err.status === 404)) return null;
    throw err;
  }
}

export const roleIn = (view: GroupRecordView | null, phone: string): string | undefined => view?.participants.find((p) => p.phone === phone)?.role;
