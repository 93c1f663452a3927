import type { Static } from 'typebox';
import { apiTime } from '../lib/time.js';
import type { RestrictionRow } from './restriction-repo.js';
import type { RestrictionSchema } from './schemas.js';

export type ApiRestriction = Static<typeof RestrictionSchema>;

/** Whether it holds at `now` (one whose `until` passed no longer does, even before the sweep removes it). */
export function inForce(row: Pick<RestrictionRow, 'until'>, now = Date.now()): boolean {
  return row.until === null || Date.parse(row.until) > now;
}

export function toApiRestriction(row: RestrictionRow): ApiRestriction {
  return { kind: row.kind, until: apiTime(row.until), reason: row.reason, detail: row.detail, since: apiTime(row.since) };
}

/** The device view's `restriction`: the one in force, or null. */
export function restrictionView(row: RestrictionRow | undefined): ApiRestriction | null {
  return row && inForce(row) ? toApiRestriction(row) : null;
}
