import type { ComponentType } from 'react';
import type { Ability } from '../auth/roles';
import type { MessageKey } from '../i18n/en';
import type { PageProps } from './page-props';
import { AuditPage } from '../audit/AuditPage';
import { ChatsPage } from '../chats/ChatsPage';
import { ContactsPage } from '../contacts/ContactsPage';
import { DevicesPage } from '../devices/DevicesPage';
import { TenantsPage } from '../tenants/TenantsPage';
import { TokensPage } from '../tokens/TokensPage';
import { UsersPage } from '../users/UsersPage';
import { WebhooksPage } from '../webhooks/WebhooksPage';

export interface PageEntry {
  /** The first segment of its address: `#/<segment>`. */
  segment: string;
  /** Its name in the nav (an i18n key). */
  label: MessageKey;
  /** Shown in the nav, and opened, only for sessions that have this ability (auth/roles.ts). */
  ability: Ability;
  component: ComponentType<PageProps>;
}

/** The nav, in order. A new page: a file under pages/ (or its own folder), and an entry here. */
export const PAGES: readonly PageEntry[] = [
  { segment: 'devices', label: 'nav.devices', ability: 'devices.read', component: DevicesPage },
  { segment: 'chats', label: 'nav.chats', ability: 'devices.read', component: ChatsPage },
  { segment: 'contacts', label: 'nav.contacts', ability: 'contacts.read', component: ContactsPage },
  { segment: 'users', label: 'nav.users', ability: 'users.read', component: UsersPage },
  { segment: 'webhooks', label: 'nav.webhooks', ability: 'webhooks.read', component: WebhooksPage },
  { segment: 'tokens', label: 'nav.tokens', ability: 'tokens.own', component: TokensPage },
  { segment: 'audit', label: 'nav.audit', ability: 'audit.read', component: AuditPage },
  { segment: 'tenants', label: 'nav.tenants', ability: 'tenants.manage', component: TenantsPage },
];
