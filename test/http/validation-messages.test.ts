import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/assertions.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';
import { closedPort } from '../helpers/ports.js';
import { createDevice } from '../messages/api-helpers.js';

/**
 * A 400 for invalid input names the field and what it must be, in the usual envelope
 * {success: false, error, code: "invalid_request"}: what a newcomer needs to fix the request.
 */
let t: TestApp;
let tenant: TenantFixture;
let deviceId: string;

beforeAll(async () => {
  t = await createTestApp({ waWsUrl: `ws://127.0.0.1:${await closedPort()}/ws/chat` });
  tenant = await createTenant(t);
  deviceId = await createDevice(t, tenant.adminToken, 'Sales');
});
afterAll(async () => {
  await t.close();
});

async function errorOf(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, headers?: Record<string, string>): Promise<string> {
  const res = await t.call(method, url, tenant.adminToken, body, headers);
  expectError(res, 400, 'invalid_request');
  return res.json().error;
}

describe('validation errors name the field and the expected form', () => {
  it('an unknown field is named, with the allowed fields when they are few', async () => {
    expect(await errorOf('POST', `/devices/${deviceId}/messages`, { type: 'text', to: '5511987654321', message: 'hi' })).toBe('unknown field "message"');
    expect(await errorOf('POST', '/devices', { name: 'x', label: 'y' })).toBe('unknown field "label" (allowed: name)');
    expect(
      await errorOf('POST', `/devices/${deviceId}/messages`, { type: 'location', to: '5511987654321', location: { latitude: 1, longitude: 2, zoom: 3 } }),
    ).toBe('unknown field "location.zoom" (allowed: latitude, longitude, name, address)');
  });

  it('a missing field is named, nested ones by their path', async () => {
    expect(await errorOf('POST', '/devices', {})).toBe('missing field "name"');
    expect(await errorOf('POST', `/devices/${deviceId}/messages`, { to: '5511987654321', text: 'hi' })).toBe('missing field "type"');
    expect(await errorOf('POST', `/devices/${deviceId}/messages`, { type: 'location', to: '5511987654321', location: { latitude: 1 } })).toBe(
      'missing field "location.longitude"',
    );
  });

  it('a wrong type names the field and the expected type', async () => {
    expect(await errorOf('POST', '/devices', { name: 5 })).toBe('field "name" must be a string');
    expect(await errorOf('POST', `/devices/${deviceId}/messages`, { type: 'text', to: '5511987654321', text: 'hi', link_preview: 'yes' })).toBe(
      'field "link_preview" must be true or false',
    );
    expect(await errorOf('PUT', `/devices/${deviceId}/send-interval`, { send_interval_ms: 'fast' })).toBe(
      'field "send_interval_ms" must be a whole number or null',
    );
  });

  it('a value out of its set or range says what is allowed', async () => {
    const type = await errorOf('POST', `/devices/${deviceId}/messages`, { type: 'txt', to: '5511987654321', text: 'hi' });
    expect(type).toMatch(/^field "type" must be one of: text, location, contact, poll, /);
    expect(await errorOf('PUT', `/devices/${deviceId}/send-interval`, { send_interval_ms: -5 })).toBe('field "send_interval_ms" must be at least 0');
    expect(await errorOf('POST', `/devices/${deviceId}/messages`, { type: 'text', to: '5511987654321', text: '' })).toBe('field "text" must not be empty');
    expect(await errorOf('POST', `/devices/${deviceId}/check-numbers`, { numbers: [] })).toBe('field "numbers" must not be empty');
  });

  it('a pattern or format failure names the field and the expected form', async () => {
    expect(await errorOf('POST', `/devices/${deviceId}/connect`, { phone_number: '12ab' })).toBe(
      'field "phone_number" must be a phone number in digits with the country code (6 to 15 digits, such as 5511987654321)',
    );
    expect(await errorOf('POST', '/users', { email: 'not-an-email', password: 'password-123', role: 'agent' })).toBe('field "email" must be an email address');
    expect(await errorOf('POST', `/devices/${deviceId}/messages`, { type: 'image', to: '5511987654321', media: { url: 'ftp://example.com/a.jpg' } })).toBe(
      'field "media.url" must be an http:// or https:// URL',
    );
    expect(await errorOf('POST', `/devices/${deviceId}/messages`, { type: 'image', to: '5511987654321', media: {} })).toBe(
      'field "media" must have at least 1 field: exactly one of url, data or id',
    );
  });

  it('path and query parameters are named as such', async () => {
    expect(await errorOf('GET', '/messages/nope')).toBe('path parameter "id" must be a UUID (such as 0193a0e0-5b1c-7d2e-8f3a-4b5c6d7e8f90)');
    expect(await errorOf('GET', '/devices?limit=0')).toBe('query parameter "limit" must be at least 1');
    expect(await errorOf('POST', `/devices/${deviceId}/disconnect?force=1`)).toBe('unknown query parameter "force": this request takes none');
  });

  it('a missing or non-object body says so', async () => {
    expect(await errorOf('POST', '/devices')).toBe('a JSON body is required');
    expect(await errorOf('POST', '/devices', '', { 'content-type': 'application/json' })).toBe('a JSON body is required');
    expect(await errorOf('POST', '/devices', '[1]', { 'content-type': 'application/json' })).toBe('the body must be a JSON object');
  });
});
