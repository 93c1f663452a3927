import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, configureApiClient } from '../api/client';
import type { User } from '../api/types';
import { loadSession, saveSession, type Session } from './session';

/** Why the app signed the user out by itself: an i18n key suffix (`signout.reason.<code>`). */
export type SignOutReason = string | null;

interface AuthState {
  session: Session | null;
  /** Set when the API ended the session (token expired or revoked, tenant suspended). */
  signOutReason: SignOutReason;
  signIn(session: Session): void;
  signOut(): Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [signOutReason, setSignOutReason] = useState<SignOutReason>(null);
  const sessionRef = useRef(session);
  sessionRef.current = session;

  const end = useCallback((reason: SignOutReason) => {
    saveSession(null);
    sessionRef.current = null;
    setSession(null);
    setSignOutReason(reason);
  }, []);

  // Configured during render, before any child effect can call the API.
  configureApiClient({ token: () => sessionRef.current?.token ?? null, onAuthFailure: (code) => end(code) });

  const signIn = useCallback((next: Session) => {
    saveSession(next);
    sessionRef.current = next;
    setSignOutReason(null);
    setSession(next);
  }, []);

  const signOut = useCallback(async () => {
    const current = sessionRef.current;
    end(null);
    // A login session's token is revoked; the operator's master token is not a session.
    if (current?.kind === 'user') await api('POST', '/logout', undefined, current.token).catch(() => undefined);
  }, [end]);

  // A reload re-reads the user (its role may have changed) and signs out when the token is gone.
  useEffect(() => {
    const current = sessionRef.current;
    if (current?.kind !== 'user') return;
    api<{ user: User }>('GET', '/me')
      .then(({ user }) => signIn({ ...current, user }))
      .catch(() => undefined);
  }, [signIn]);

  const value = useMemo(() => ({ session, signOutReason, signIn, signOut }), [session, signOutReason, signIn, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error('useAuth outside AuthProvider');
  return state;
}
