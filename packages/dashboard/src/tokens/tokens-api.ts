import { api, query } from '../api/client';
import type { ListPage } from '../common/use-paged-list';

/** One of the caller's tokens, as GET /me/tokens shows it (never the token itself). */
export interface TokenInfo {
  id: string;
  name: string;
  kind: 'api' | 'session';
  last4: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  current: boolean;
}

export const listTokens = (cursor?: string): Promise<ListPage<TokenInfo>> =>
  api<{ tokens: TokenInfo[]; next_cursor: string | null }>('GET', `/me/tokens${query({ limit: 100, cursor })}`).then((a) => ({
    items: a.tokens,
    next: a.next_cursor,
  }));

export const createToken = (name: string, expiresInDays?: number) =>
  api<{ token: string; api_token: TokenInfo }>('POST', '/me/tokens', { name, ...(expiresInDays ? { expires_in_days: expiresInDays } : {}) });

export const revokeToken = (id: string) => api('DELETE', `/me/tokens/${id}`);
