import type { User } from '../api/types';

/** Who is signed in: a tenant user (email and password) or the platform operator (master token). */
export type Session = { kind: 'user'; token: string; user: User } | { kind: 'operator'; token: string };

// sessionStorage: the token lives as long as the browser tab, and is never shared with other tabs.
const KEY = 'wuts.session';

export function loadSession(): Session | null {
  try {
    const text = sessionStorage.getItem(KEY);
    return text ? (JSON.parse(text) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}
