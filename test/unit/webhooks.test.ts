import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { envelopeJson, toEnvelope } from '../../src/events/envelope.js';
import { SECRET_PREFIX, generateSecret, signature, signedHeaders } from '../../src/webhooks/signing.js';
import { checkWebhookTarget, forbiddenAddressReason, literalAddress } from '../../src/webhooks/ssrf.js';

// Signatures are checked against the `standardwebhooks` npm package and the Standard Webhooks
// specification's own example, never against WUTS's code.

describe('webhook signing (Standard Webhooks)', () => {
  it("signs the specification's example exactly", () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    expect(signature(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('makes secrets of whsec_ and base64 of 32 random bytes', () => {
    expect(SECRET_PREFIX).toBe('whsec_');
    const secrets = Array.from({ length: 50 }, () => generateSecret());
    for (const s of secrets) {
      expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32);
    }
    expect(new Set(secrets).size).toBe(50);
  });

  it('agrees with the standardwebhooks package on any secret, id, time and body', () => {
    for (let i = 0; i < 50; i++) {
      const secret = generateSecret();
      const id = `evt_${randomBytes(8).toString('hex')}`;
      const timestamp = 1_700_000_000 + i * 7919;
      const body = JSON.stringify({ n: i, text: 'olá 👋', nested: { list: [1, 2, 3] } });
      expect(signature(secret, id, timestamp, body)).toBe(new Webhook(secret).sign(id, new Date(timestamp * 1000), body));
    }
  });

  it('sends the three headers, which the package verifies', () => {
    const secret = generateSecret();
    const timestamp = Math.floor(Date.now() / 1000);
    const body = '{"type":"message.received"}';
    const headers = signedHeaders([secret], 'evt_1', timestamp, body);
    expect(headers).toEqual({
      'webhook-id': 'evt_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': new Webhook(secret).sign('evt_1', new Date(timestamp * 1000), body),
    });
    expect(new Webhook(secret).verify(body, headers)).toEqual({ type: 'message.received' });
  });

  it('signs with both secrets during a rotation; each verifies alone', () => {
    const [oldSecret, newSecret] = [generateSecret(), generateSecret()];
    const timestamp = Math.floor(Date.now() / 1000);
    const body = '{"a":1}';
    const headers = signedHeaders([oldSecret, newSecret], 'evt_2', timestamp, body);
    expect(headers['webhook-signature']!.split(' ')).toEqual([signature(oldSecret, 'evt_2', timestamp, body), signature(newSecret, 'evt_2', timestamp, body)]);
    expect(new Webhook(oldSecret).verify(body, headers)).toEqual({ a: 1 });
    expect(new Webhook(newSecret).verify(body, headers)).toEqual({ a: 1 });
  });

  it('a changed body, id or time, or another secret, does not verify', () => {
    const secret = generateSecret();
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = signedHeaders([secret], 'evt_3', timestamp, '{"a":1}');
    expect(() => new Webhook(secret).verify('{"a":2}', headers)).toThrow();
    expect(() => new Webhook(secret).verify('{"a":1}', { ...headers, 'webhook-id': 'evt_4' })).toThrow();
    expect(() => new Webhook(secret).verify('{"a":1}', { ...headers, 'webhook-timestamp': String(timestamp + 1) })).toThrow();
    expect(() => new Webhook(generateSecret()).verify('{"a":1}', headers)).toThrow();
  });
});

describe('forbiddenAddressReason', () => {
  // Both ends of each blocked range and the addresses just outside it.
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.255.255.255', 'unspecified'],
    ['1.0.0.0', null],
    ['9.255.255.255', null],
    ['10.0.0.0', 'private'],
    ['10.255.255.255', 'private'],
    ['11.0.0.0', null],
    ['100.63.255.255', null],
    ['100.64.0.0', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['100.128.0.0', null],
    ['126.255.255.255', null],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.255', 'loopback'],
    ['128.0.0.0', null],
    ['169.253.255.255', null],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['169.254.0.0', 'link-local (cloud metadata)'],
    ['169.255.0.0', null],
    ['172.15.255.255', null],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', null],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['192.0.1.0', null],
    ['192.0.2.1', 'documentation'],
    ['192.88.99.1', '6to4 relay'],
    ['192.167.255.255', null],
    ['192.168.0.1', 'private'],
    ['192.168.255.255', 'private'],
    ['192.169.0.0', null],
    ['198.17.255.255', null],
    ['198.18.0.0', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.20.0.0', null],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['223.255.255.255', null],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['8.8.8.8', null],
    ['1.1.1.1', null],
    ['93.184.215.14', null],
  ])('IPv4 %s: %s', (address, reason) => {
    expect(forbiddenAddressReason(address)).toBe(reason);
  });

  it.each([
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::2', 'IPv4-compatible'],
    ['::7f00:1', 'IPv4-compatible'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:7f00:1', 'IPv4-mapped'],
    ['::ffff:8.8.8.8', 'IPv4-mapped'],
    ['64:ff9b::7f00:1', 'NAT64'],
    ['64:ff9b:1::1', 'NAT64 (local)'],
    ['100::1', 'discard'],
    ['2001::1', 'Teredo'],
    ['2001:0:ffff::1', 'Teredo'],
    ['2001:db8::1', 'documentation'],
    ['3fff::', 'documentation'],
    ['3fff::1', 'documentation'],
    ['3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation'],
    ['3fff:1000::', null],
    ['3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff', null],
    ['2001:2::', 'benchmarking'],
    ['2001:2::1', 'benchmarking'],
    ['2001:2:0:ffff:ffff:ffff:ffff:ffff', 'benchmarking'],
    ['2001:2:1::', null],
    ['2001:1:ffff:ffff:ffff:ffff:ffff:ffff', null],
    ['2002::1', '6to4'],
    ['fc00::1', 'unique local (private)'],
    ['fdff:ffff::1', 'unique local (private)'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['2606:4700::1111', null],
    ['2001:4860:4860::8888', null],
    ['2a00:1450:4001::200e', null],
    ['fbff:ffff::1', null],
  ])('IPv6 %s: %s', (address, reason) => {
    expect(forbiddenAddressReason(address)).toBe(reason);
  });

  it.each(['example.com', '', '127.1', '2130706433', '[::1]', '1.2.3.4.5'])('%j is not an IP address', (value) => {
    expect(forbiddenAddressReason(value)).toBe('not an IP address');
  });
});

describe('literalAddress', () => {
  it.each([
    ['http://127.0.0.1/hook', '127.0.0.1'],
    ['http://2130706433/hook', '127.0.0.1'],
    ['http://0x7f000001/hook', '127.0.0.1'],
    ['http://0177.0.0.1/hook', '127.0.0.1'],
    ['http://127.1/hook', '127.0.0.1'],
    ['http://[::1]:8080/hook', '::1'],
    ['http://[::ffff:127.0.0.1]/hook', '::ffff:7f00:1'],
    ['https://example.com/hook', undefined],
    ['https://1.2.3.4.example.com/hook', undefined],
  ])('%s → %s', (url, expected) => {
    expect(literalAddress(new URL(url))).toBe(expected);
  });
});

describe('checkWebhookTarget without DNS (literals, schemes, local names)', () => {
  it.each([
    ['not a url', false, 'is not a valid URL'],
    ['ftp://example.com/hook', false, 'must use http or https'],
    ['file:///etc/passwd', false, 'must use http or https'],
    ['ftp://example.com/hook', true, 'must use http or https'],
    ['https://user:secret@example.com/hook', false, 'must not contain credentials'],
    ['https://user@example.com/hook', true, 'must not contain credentials'],
    ['http://127.0.0.1/hook', false, 'points to a loopback address'],
    ['http://2130706433/hook', false, 'points to a loopback address'],
    ['http://[::1]/hook', false, 'points to a loopback address'],
    ['http://[::ffff:10.0.0.1]/hook', false, 'points to a IPv4-mapped address'],
    ['http://169.254.169.254/latest/meta-data/', false, 'points to a link-local (cloud metadata) address'],
    ['http://10.1.2.3/hook', false, 'points to a private address'],
    ['http://localhost:8080/hook', false, 'points to a loopback address'],
    ['http://LOCALHOST./hook', false, 'points to a loopback address'],
    ['http://api.localhost/hook', false, 'points to a loopback address'],
    ['https://93.184.215.14/hook', false, null],
    ['https://[2606:4700::1111]/x', false, null],
    ['http://127.0.0.1/hook', true, null],
    ['http://localhost:8080/hook', true, null],
  ] as const)('%s (private allowed: %s) → %s', async (url, allowPrivate, expected) => {
    expect(await checkWebhookTarget(url, allowPrivate)).toBe(expected);
  });
});

describe('webhook body', () => {
  it('is the envelope as JSON.stringify writes it, whatever the data', () => {
    const datas: object[] = [
      {},
      { text: 'olá 👋 "quoted" \\ back\u2028line' },
      { n: 1.5e-7, big: 9007199254740991, tiny: -0.000001, list: [null, true, { a: [] }] },
    ];
    for (const [i, data] of datas.entries()) {
      const row = {
        id: `0190000${i}-0000-7000-8000-000000000000`,
        tenant_id: '01900000-0000-7000-8000-00000000000a',
        device_id: i === 0 ? null : '01900000-0000-7000-8000-00000000000b',
        type: 'message.received',
        version: 1,
        data_json: JSON.stringify(data),
        created_at: '2026-12-05T10:11:12.345Z',
      };
      expect(envelopeJson(row)).toBe(JSON.stringify(toEnvelope(row)));
      expect(JSON.parse(envelopeJson(row))).toEqual({ ...toEnvelope(row), data });
    }
  });
});
