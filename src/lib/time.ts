/** Current time as stored in the database: RFC 3339 UTC with milliseconds. */
export function nowIso(now: Date = new Date()): string {
  return now.toISOString();
}

const STORED_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** RFC 3339 UTC as the API shows it, to the second: `2026-06-15T12:00:00Z`. */
export function apiTime(stored: string): string;
export function apiTime(stored: string | null): string | null;
export function apiTime(stored: string | null): string | null {
  if (stored === null) return null;
  // what WUTS stores (nowIso, and PostgreSQL's timestamps as read): cut, no date parsing
  if (STORED_UTC.test(stored)) return `${stored.slice(0, 19)}Z`;
  return new Date(stored).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
