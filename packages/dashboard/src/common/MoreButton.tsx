/** "Load more" under a paginated list, shown while there is a next page. */
export function MoreButton({ list, label }: { list: { hasMore: boolean; loading: boolean; loadMore(): void }; label: string }) {
  if (!list.hasMore) return null;
  return (
    <button type="button" className="more" data-testid="load-more" disabled={list.loading} onClick={() => list.loadMore()}>
      {label}
    </button>
  );
}
