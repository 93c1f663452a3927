import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

// The per-address login limit behind a reverse proxy: the client address is the one the
// trusted proxies saw, never what the client wrote at the left of X-Forwarded-For.

const ADDRESS_LIMIT = 3;
const PROXY = '10.30.0.1';

let byHops: TestApp;
let byAddresses: TestApp;
beforeAll(async () => {
  const limits = { loginMaxFailuresPerAccount: 1000, loginMaxFailuresPerAddress: ADDRESS_LIMIT, loginFailureWindowSeconds: 600 };
  byHops = await createTestApp({ ...limits, trustProxy: loadConfig({ WUTS_TRUST_PROXY: '1' }).trustProxy });
  byAddresses = await createTestApp({ ...limits, trustProxy: loadConfig({ WUTS_TRUST_PROXY: '10.30.0.0/24, 127.0.0.1' }).trustProxy });
});
afterAll(async () => {
  await byHops?.close();
  await byAddresses?.close();
});

let attempt = 0;
function wrongLogin(t: TestApp, remoteAddress: string, forwardedFor: string) {
  attempt += 1;
  return t.app.inject({
    method: 'POST',
    url: '/login',
    payload: { email: `ghost-${attempt}@example.test`, password: 'wrong-password' },
    headers: { 'x-forwarded-for': forwardedFor },
    remoteAddress,
  });
}

/** Statuses of `ADDRESS_LIMIT + 2` wrong logins whose forged leftmost X-Forwarded-For entry changes every time. */
async function forgedStatuses(t: TestApp, remoteAddress: string, realClient: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < ADDRESS_LIMIT + 2; i++) statuses.push((await wrongLogin(t, remoteAddress, `198.51.100.${i + 1}, ${realClient}`)).statusCode);
  return statuses;
}

const LIMITED = [...Array<number>(ADDRESS_LIMIT).fill(401), 429, 429];

describe('WUTS_TRUST_PROXY=1 (one proxy in front)', () => {
  it('limits a client by the address the proxy saw, whatever it forges at the left of X-Forwarded-For', async () => {
    expect(await forgedStatuses(byHops, PROXY, '203.0.113.7')).toEqual(LIMITED);
    const blocked = await wrongLogin(byHops, PROXY, '203.0.113.7');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('keeps other clients behind the same proxy apart', async () => {
    expect(await forgedStatuses(byHops, PROXY, '203.0.113.8')).toEqual(LIMITED);
    expect((await wrongLogin(byHops, PROXY, '203.0.113.9')).statusCode).toBe(401);
  });
});

describe('WUTS_TRUST_PROXY as trusted proxy addresses', () => {
  it('takes the address next to the trusted proxies, whatever the client forges', async () => {
    expect(await forgedStatuses(byAddresses, PROXY, '203.0.113.20')).toEqual(LIMITED);
    // The proxy appended itself to a forged list (a chain of two trusted hops): still the same client.
    expect((await wrongLogin(byAddresses, PROXY, `198.51.100.99, 203.0.113.20, 127.0.0.1`)).statusCode).toBe(429);
  });

  it('ignores X-Forwarded-For from a client that is not a trusted proxy', async () => {
    expect(await forgedStatuses(byAddresses, '192.0.2.50', '203.0.113.21')).toEqual(LIMITED);
  });
});
