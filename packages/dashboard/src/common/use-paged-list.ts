import { useCallback, useEffect, useMemo, useRef, useState } from 'react';

/** One page of a keyset-paginated list: its items and the cursor of the next page (null at the end). */
export interface ListPage<T> {
  items: T[];
  next: string | null;
}

export interface PagedList<T> {
  /** null until the first page arrived. */
  items: T[] | null;
  hasMore: boolean;
  loading: boolean;
  error: unknown;
  clearError(): void;
  /** Reads the first page again (after a change, a filter, a reconnect). */
  reload(): void;
  /** Appends the next page. */
  loadMore(): void;
  /** Changes the items in place (a live event, an action's answer). */
  update(change: (items: T[]) => T[]): void;
}

/**
 * A list read page by page with `fetchPage(cursor)`. A new `fetchPage` (its filters changed)
 * reads the first page again; answers to an older request are dropped.
 */
export function usePagedList<T>(fetchPage: (cursor: string | undefined) => Promise<ListPage<T>>): PagedList<T> {
  const [items, setItems] = useState<T[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const generation = useRef(0);

  const load = useCallback(
    (cursor: string | undefined) => {
      const mine = ++generation.current;
      setLoading(true);
      fetchPage(cursor).then(
        (page) => {
          if (mine !== generation.current) return;
          setItems((current) => (cursor ? [...(current ?? []), ...page.items] : page.items));
          setNext(page.next);
          setLoading(false);
        },
        (e: unknown) => {
          if (mine !== generation.current) return;
          setError(e);
          setLoading(false);
        },
      );
    },
    [fetchPage],
  );

  useEffect(() => load(undefined), [load]);

  const actions = useMemo(
    () => ({
      clearError: () => setError(null),
      reload: () => load(undefined),
      update: (change: (items: T[]) => T[]) => setItems((current) => (current ? change(current) : current)),
    }),
    [load],
  );
  return {
    items,
    hasMore: next !== null,
    loading,
    error,
    ...actions,
    loadMore: () => {
      if (next) load(next);
    },
  };
}
