import { api, query } from '../api/client';
import type { ListPage } from '../common/use-paged-list';

/** A person a device exchanged messages with or checked (GET /devices/{id}/contacts). */
export interface Contact {
  jid: string;
  phone: string | null;
  lid: string | null;
  name: string | null;
  on_whatsapp: boolean | null;
  checked_at: string | null;
  updated_at: string;
}

export const listContacts = (deviceId: string, cursor?: string): Promise<ListPage<Contact>> =>
  api<{ contacts: Contact[]; next_cursor: string | null }>('GET', `/devices/${deviceId}/contacts${query({ limit: 500, cursor })}`).then((a) => ({
    items: a.contacts,
    next: a.next_cursor,
  }));

/** Whether a contact matches what was typed: its name (any case), or digits of its phone number. */
export function contactMatches(contact: Contact, search: string): boolean {
  const text = search.trim().toLowerCase();
  if (!text) return true;
  if (contact.name?.toLowerCase().includes(text) || contact.jid.toLowerCase().includes(text)) return true;
  const digits = text.replace(/\D/g, '');
  return digits.length > 0 && (contact.phone ?? '').includes(digits);
}
