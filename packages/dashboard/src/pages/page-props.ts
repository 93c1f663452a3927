/** What a page receives: the route's segments after its own (`#/chats/a/b` gives `['a', 'b']`). */
export interface PageProps {
  params: string[];
}
