import { useEffect, useState } from 'react';

/**
 * Hash routing (`/#/devices`): the API owns the paths (`/devices`, `/messages`), so the
 * dashboard's own addresses live after the `#`.
 */
export interface Route {
  /** The path after `#`, e.g. `/chats/<device id>/<chat jid>`. */
  path: string;
  /** Its segments, decoded: `['chats', '<device id>', '<chat jid>']`. */
  segments: string[];
}

function currentRoute(): Route {
  const path = window.location.hash.replace(/^#/, '') || '/';
  const segments = path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
  return { path, segments };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

/** The href of a dashboard address, its segments encoded: href('chats', deviceId, jid). */
export function href(...segments: string[]): string {
  return '#/' + segments.map(encodeURIComponent).join('/');
}

export function navigate(...segments: string[]): void {
  window.location.hash = href(...segments).slice(1);
}
