import { expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app.js';
import { PASSWORD } from './factories.js';

/** The error envelope, exactly. */
export function expectError(res: LightMyRequestResponse, status: number, code?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json();
  expect(Object.keys(body).sort()).toEqual(['code', 'error', 'success']);
  expect(body.success).toBe(false);
  expect(typeof body.error).toBe('string');
  expect(body.error.length).toBeGreaterThan(0);
  if (code !== undefined) expect(body.code).toBe(code);
  else expect(typeof body.code).toBe('string');
}

/** Strings that must never appear in any answer. */
export const SECRET_MARKERS = ['password_hash', 'token_hash', '$argon2', PASSWORD];

/** Fails when a response body contains a secret marker or any of `foreign` (another tenant's ids/emails). */
export function expectClean(res: LightMyRequestResponse, foreign: readonly string[] = []): void {
  for (const needle of [...SECRET_MARKERS, ...foreign]) {
    expect(res.body.toLowerCase().includes(needle.toLowerCase()), `answer of ${res.statusCode} contains "${needle}": ${res.body}`).toBe(false);
  }
}

export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

type CallArgs = Parameters<TestApp['call']>;

/**
 * `t.call`, scanning every answer for secrets and for the strings `foreign()` returns (ids and
 * emails of a tenant the caller must never see).
 */
export function scanningCaller(t: TestApp, foreign: () => readonly string[] = () => []) {
  return async (...args: CallArgs): Promise<LightMyRequestResponse> => {
    const res = await t.call(...args);
    expectClean(res, foreign());
    return res;
  };
}
