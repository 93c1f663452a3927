import { Placeholder } from '../pages/Placeholder';
import type { PageProps } from '../pages/page-props';

export function ChatsPage(_props: PageProps) {
  return <Placeholder title="nav.chats" />;
}
