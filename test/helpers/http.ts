import { expect } from 'vitest';

/** For tests against a real `wuts serve` process over HTTP. */
export interface ApiAnswer {
  status: number;
  body: any;
}

/** A request answered within `timeoutMs` (a connect waits up to 20 s for its first QR code: give it more). */
export async function api(baseUrl: string, method: string, path: string, token?: string, body?: unknown, timeoutMs = 10_000): Promise<ApiAnswer> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The answer's body, after checking its status. */
export async function ok(answer: Promise<ApiAnswer>, status: number): Promise<any> {
  const a = await answer;
  expect(a.status, JSON.stringify(a.body)).toBe(status);
  return a.body;
}
