import { Placeholder } from './Placeholder';
import type { PageProps } from './page-props';

// To be built (see README.md, "Adding a page").
export function WebhooksPage(_props: PageProps) {
  return <Placeholder title="nav.webhooks" />;
}
