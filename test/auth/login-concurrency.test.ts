import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { PASSWORD, createTenant } from '../helpers/factories.js';

const ACCOUNT_LIMIT = 5;
const WINDOW_SECONDS = 4;
const PARALLEL = 19;

let t: TestApp;
beforeAll(async () => {
  // The address limit is far away, so that only the account limit is at work here.
  t = await createTestApp({ loginMaxFailuresPerAccount: ACCOUNT_LIMIT, loginMaxFailuresPerAddress: 1000, loginFailureWindowSeconds: WINDOW_SECONDS });
});
afterAll(async () => {
  await t.close();
});

function loginFrom(address: string, email: string, password: string) {
  return t.app.inject({ method: 'POST', url: '/login', payload: { email, password }, remoteAddress: address });
}

function statusCounts(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

describe('the login limit under parallel requests', () => {
  it(`answers exactly the limit's number of 401 to ${PARALLEL} parallel wrong passwords, then 429 (also to the right password) until the window ends`, async () => {
    const tenant = await createTenant(t);
    const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => loginFrom(`10.20.0.${i + 1}`, tenant.adminEmail, `wrong-${i}`)));
    expect(statusCounts(answers.map((a) => a.statusCode))).toEqual({ 401: ACCOUNT_LIMIT, 429: PARALLEL - ACCOUNT_LIMIT });
    for (const a of answers.filter((x) => x.statusCode === 429)) {
      expect(a.json()).toEqual({ success: false, error: 'too many failed logins; try again later', code: 'rate_limited' });
      const retryAfter = Number(a.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
    }

    const locked = await loginFrom('10.20.1.1', tenant.adminEmail, PASSWORD);
    expect(locked.statusCode).toBe(429);
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);

    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
    expect((await loginFrom('10.20.1.1', tenant.adminEmail, PASSWORD)).statusCode).toBe(200);
  });

  it(`counts ${PARALLEL} parallel wrong current passwords of PUT /me/password the same way, shared with logins`, async () => {
    const tenant = await createTenant(t);
    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        t.call('PUT', '/me/password', tenant.adminToken, { current_password: `wrong-${i}`, new_password: 'a-new-password' }),
      ),
    );
    expect(statusCounts(answers.map((a) => a.statusCode))).toEqual({ 403: ACCOUNT_LIMIT, 429: PARALLEL - ACCOUNT_LIMIT });
    for (const a of answers.filter((x) => x.statusCode === 429)) expect(Number(a.headers['retry-after'])).toBeGreaterThan(0);
    expect((await loginFrom('10.21.0.1', tenant.adminEmail, PASSWORD)).statusCode).toBe(429);
  });

  it('does not count successful logins against the address', async () => {
    const strict = await createTestApp({ loginMaxFailuresPerAccount: 5, loginMaxFailuresPerAddress: 2, loginFailureWindowSeconds: 600 });
    try {
      const own = await createTenant(strict);
      for (let i = 0; i < 4; i++) {
        const res = await strict.app.inject({
          method: 'POST',
          url: '/login',
          payload: { email: own.adminEmail, password: PASSWORD },
          remoteAddress: '10.22.0.1',
        });
        expect(res.statusCode).toBe(200);
      }
    } finally {
      await strict.close();
    }
  });
});
