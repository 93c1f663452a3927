import type { Kysely } from 'kysely';
import type { Actor } from '../auth/actor.js';
import type { Database } from '../db/schema.js';
import { newId } from '../lib/ids.js';
import { nowIso } from '../lib/time.js';
import { insertAudit } from './repo.js';

export interface AuditEntry {
  tenantId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  before?: object | null;
  after?: object | null;
}

/**
 * Records a change in the audit log, inside the caller's transaction. Callers pass public
 * views (never password or token hashes) as before/after.
 */
export async function recordAudit(db: Kysely<Database>, actor: Actor, entry: AuditEntry): Promise<void> {
  await insertAudit(db, entry.tenantId, {
    id: newId(),
    actor_type: actor.type,
    actor_user_id: actor.type === 'user' ? actor.userId : null,
    actor_email: actor.type === 'user' ? actor.email : null,
    actor_role: actor.type === 'user' ? actor.role : null,
    action: entry.action,
    target_type: entry.targetType,
    target_id: entry.targetId,
    before_json: entry.before ? JSON.stringify(entry.before) : null,
    after_json: entry.after ? JSON.stringify(entry.after) : null,
    created_at: nowIso(),
  });
}
