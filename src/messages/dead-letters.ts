import type { Static } from 'typebox';
import type { Actor } from '../auth/actor.js';
import { authorize } from '../auth/policy.js';
import { recordAudit } from '../audit/record.js';
import type { Deps } from '../deps.js';
import { AppError, notFound } from '../lib/errors.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type Page } from '../lib/pagination.js';
import { apiTime } from '../lib/time.js';
import type { InboundMessage } from '../whatsapp/messages.js';
import * as repo from './dead-letter-repo.js';
import type { DeadLetterSchema } from './dead-letter-schemas.js';
import { storeReceived } from './inbound-store.js';

export type ApiDeadLetter = Static<typeof DeadLetterSchema>;

function toApi(row: repo.DeadLetterRow): ApiDeadLetter {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    device_id: row.device_id,
    chat_jid: row.chat_jid,
    wa_id: row.wa_id,
    from_me: row.from_me,
    error: row.error,
    attempts: Number(row.attempts),
    message: JSON.parse(row.message_json) as Record<string, unknown>,
    created_at: apiTime(row.created_at),
  };
}

/** Received messages that could not be stored, oldest first; all tenants or one. */
export async function listDeadLetters(
  deps: Deps,
  actor: Actor,
  query: { limit?: number | undefined; cursor?: string | undefined; tenant_id?: string | undefined },
): Promise<Page<ApiDeadLetter>> {
  authorize(actor, 'dead_letters.manage');
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const rows = await repo.listDeadLetters(deps.db.kysely, { tenantId: query.tenant_id, afterId: decodeCursor(query.cursor) }, limit + 1);
  const page = toPage(rows, limit);
  return { items: page.items.map(toApi), nextCursor: page.nextCursor };
}

/**
 * Stores a parked message again (once its cause is fixed), with its event; the row goes once
 * it is stored. A message stored meanwhile (WhatsApp delivered it again) is not stored twice.
 */
export async function retryDeadLetter(deps: Deps, actor: Actor, id: string): Promise<void> {
  authorize(actor, 'dead_letters.manage');
  const row = await repo.findDeadLetter(deps.db.kysely, id);
  if (!row) throw notFound('dead letter');
  try {
    await storeReceived(deps, row.tenant_id, row.device_id, JSON.parse(row.message_json) as InboundMessage);
  } catch (err) {
    throw new AppError(503, 'store_failed', `the message could not be stored: ${(err as Error).message}`.slice(0, 500));
  }
  await deps.db.kysely.transaction().execute(async (trx) => {
    if (!(await repo.deleteDeadLetter(trx, id))) return;
    await recordAudit(trx, actor, { tenantId: row.tenant_id, action: 'dead_letter.retry', targetType: 'dead_letter', targetId: id, before: toApi(row) });
  });
}

/** Drops a parked message for good. */
export async function dropDeadLetter(deps: Deps, actor: Actor, id: string): Promise<void> {
  authorize(actor, 'dead_letters.manage');
  const row = await repo.findDeadLetter(deps.db.kysely, id);
  if (!row) throw notFound('dead letter');
  await deps.db.kysely.transaction().execute(async (trx) => {
    if (!(await repo.deleteDeadLetter(trx, id))) throw notFound('dead letter');
    await recordAudit(trx, actor, { tenantId: row.tenant_id, action: 'dead_letter.delete', targetType: 'dead_letter', targetId: id, before: toApi(row) });
  });
}

/** How many parked messages wait, all tenants (for /metrics: no actor, the scrape is authorized by its own token). */
export async function countDeadLetters(deps: Deps): Promise<number> {
  return repo.countDeadLetters(deps.db.kysely);
}
