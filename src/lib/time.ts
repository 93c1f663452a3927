/** Current time as stored in the database: RFC 3339 UTC with milliseconds. */
export function nowIso(now: Date = new Date()): string {
  return now.toISOString();
}

/** RFC 3339 UTC as the API shows it, to the second: `2026-06-15T12:00:00Z`. */
export function apiTime(stored: string): string;
export function apiTime(stored: string | null): string | null;
export function apiTime(stored: string | null): string | null {
  if (stored === null) return null;
  return new Date(stored).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
