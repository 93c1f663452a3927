import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { SecretBox } from '../lib/secret-box.js';
import type { ClaimedWebhook } from './claims-repo.js';
import { findWebhook } from './repo.js';
import { openWebhookSecrets } from './secrets.js';

/** What the dispatcher sends with: the webhook's target and its secrets, opened once. */
export interface CachedWebhook {
  row: ClaimedWebhook;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresMs: number | null;
}

function sameRow(a: ClaimedWebhook, b: ClaimedWebhook): boolean {
  return (
    a.url === b.url &&
    a.enabled === b.enabled &&
    a.secret === b.secret &&
    a.previous_secret === b.previous_secret &&
    a.previous_secret_expires_at === b.previous_secret_expires_at &&
    a.updated_at === b.updated_at
  );
}

/**
 * The webhooks the dispatcher sends to, kept in memory so that a delivery costs no read of its
 * webhook and no opening of its secrets. Every claim brings the webhook's row and replaces an
 * entry that differs from it; between claims (the deliveries queued behind a claimed one) an
 * entry holds until `invalidate` drops it, which every change of a webhook calls (through the
 * event bus), so the next delivery after a change reads the webhook again.
 */
export class WebhookCache {
  private readonly entries = new Map<string, CachedWebhook>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: SecretBox,
  ) {}

  /** The entry for a webhook row read with a claim (rebuilt when the row changed). */
  fromClaim(row: ClaimedWebhook): CachedWebhook {
    const held = this.entries.get(row.id);
    if (held && sameRow(held.row, row)) return held;
    const open = openWebhookSecrets(this.secrets, row);
    const entry: CachedWebhook = {
      row,
      secret: open.secret,
      previousSecret: open.previousSecret,
      previousSecretExpiresMs: row.previous_secret_expires_at === null ? null : Date.parse(row.previous_secret_expires_at),
    };
    this.entries.set(row.id, entry);
    return entry;
  }

  /** The webhook as it is now: from memory, or read again after a change (undefined once deleted). */
  async current(tenantId: string, id: string): Promise<CachedWebhook | undefined> {
    const held = this.entries.get(id);
    if (held) return held;
    const row = await findWebhook(this.db, tenantId, id);
    return row ? this.fromClaim(row) : undefined;
  }

  /** Drops one webhook, or every webhook of the tenant (id null): their next delivery reads them again. */
  invalidate(tenantId: string, id: string | null): void {
    if (id !== null) {
      this.entries.delete(id);
      return;
    }
    for (const [key, entry] of this.entries) if (entry.row.tenant_id === tenantId) this.entries.delete(key);
  }

  /** Drops every webhook (changes made on other nodes may have been missed). */
  clear(): void {
    this.entries.clear();
  }

  /** The current secret, and the previous one while its grace period lasts. */
  static signingSecrets(entry: CachedWebhook, nowMs: number): string[] {
    return entry.previousSecret !== null && entry.previousSecretExpiresMs !== null && entry.previousSecretExpiresMs > nowMs
      ? [entry.secret, entry.previousSecret]
      : [entry.secret];
  }
}
