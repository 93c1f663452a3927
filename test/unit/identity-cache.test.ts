import { describe, expect, it } from 'vitest';
import { IdentityCache } from '../../src/auth/identity-cache.js';
import type { TokenIdentityRow } from '../../src/auth/token-repo.js';

const row = (tenant: string, token: string): TokenIdentityRow => ({
  token_id: token,
  expires_at: null,
  last_used_at: null,
  user_id: `user-${token}`,
  tenant_id: tenant,
  role: 'agent',
  email: `${token}@example.test`,
  user_active: true,
  tenant_active: true,
});

describe('IdentityCache', () => {
  it('keeps at most maxEntries, dropping the least recently used', () => {
    const cache = new IdentityCache(2, 60_000);
    cache.store('a', row('t', 'a'), cache.epoch, 0);
    cache.store('b', row('t', 'b'), cache.epoch, 0);
    expect(cache.get('a', 1)?.token_id).toBe('a'); // a is now the most recent
    cache.store('c', row('t', 'c'), cache.epoch, 2);
    expect(cache.size).toBe(2);
    expect(cache.get('b', 3)).toBeUndefined();
    expect(cache.get('a', 3)?.token_id).toBe('a');
    expect(cache.get('c', 3)?.token_id).toBe('c');
  });

  it('forgets an entry once it is maxAgeMs old', () => {
    const cache = new IdentityCache(10, 1_000);
    cache.store('a', row('t', 'a'), cache.epoch, 5_000);
    expect(cache.get('a', 5_999)?.token_id).toBe('a');
    expect(cache.get('a', 6_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("drops one tenant's entries and keeps the others'", () => {
    const cache = new IdentityCache(10, 60_000);
    cache.store('a', row('t1', 'a'), cache.epoch, 0);
    cache.store('b', row('t2', 'b'), cache.epoch, 0);
    cache.dropTenant('t1');
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.get('b', 1)?.token_id).toBe('b');
  });

  it('does not keep what a read that started before a drop found', () => {
    const cache = new IdentityCache(10, 60_000);
    const before = cache.epoch; // a database read starts
    cache.dropTenant('t1'); // a change is applied meanwhile
    cache.store('a', row('t1', 'a'), before, 0); // the read ends with what it saw before the change
    expect(cache.get('a', 1)).toBeUndefined();
    cache.store('a', row('t1', 'a'), cache.epoch, 0);
    expect(cache.get('a', 1)?.token_id).toBe('a');
  });

  it('keeps nothing with maxEntries 0', () => {
    const cache = new IdentityCache(0, 60_000);
    cache.store('a', row('t', 'a'), cache.epoch, 0);
    expect(cache.get('a', 1)).toBeUndefined();
  });
});
