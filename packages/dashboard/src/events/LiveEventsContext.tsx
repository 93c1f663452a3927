import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { LiveEvent } from '../api/types';
import { LiveEvents, type LiveState } from './live-events';

const LiveEventsContext = createContext<LiveEvents | null>(null);

/** Opens one event stream for the signed-in user, shared by every page. */
export function LiveEventsProvider({ token, children }: { token: string; children: ReactNode }) {
  const [events, setEvents] = useState<LiveEvents | null>(null);
  useEffect(() => {
    const live = new LiveEvents(token);
    live.start();
    setEvents(live);
    return () => live.stop();
  }, [token]);
  return <LiveEventsContext.Provider value={events}>{children}</LiveEventsContext.Provider>;
}

/**
 * Calls `handler` for each live event whose type is listed (`device.*` matches a family; no
 * list: every event). The latest handler is used, so it may read current state freely.
 */
export function useLiveEvent(types: readonly string[] | null, handler: (event: LiveEvent) => void): void {
  const events = useContext(LiveEventsContext);
  const handlerRef = useRef(handler);
  handlerRef.current = handler;
  const key = types?.join(',') ?? '';
  useEffect(() => {
    if (!events) return;
    const wanted = key ? key.split(',') : null;
    return events.subscribe((event) => {
      if (wanted && !wanted.some((type) => (type.endsWith('.*') ? event.type.startsWith(type.slice(0, -1)) : event.type === type))) return;
      handlerRef.current(event);
    });
  }, [events, key]);
}

/** The stream's state (live, connecting, offline), for the shell's indicator. */
export function useLiveState(): LiveState {
  const events = useContext(LiveEventsContext);
  const [state, setState] = useState<LiveState>(events?.state ?? 'connecting');
  useEffect(() => {
    if (!events) return;
    setState(events.state);
    return events.onState(setState);
  }, [events]);
  return state;
}
