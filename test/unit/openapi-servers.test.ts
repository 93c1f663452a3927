import { describe, expect, it } from 'vitest';
import { withServers } from '../../src/http/openapi.js';

describe('withServers', () => {
  const doc = { openapi: '3.1.0', info: { title: 'WUTS', version: '0.1.0' }, paths: {} };

  it('names the origin from the protocol and the Host, after openapi and info', () => {
    const named = withServers(doc, 'https', 'api.acme.com.br');
    expect(named.servers).toEqual([{ url: 'https://api.acme.com.br' }]);
    expect(Object.keys(named)).toEqual(['openapi', 'info', 'servers', 'paths']);
    expect(withServers(doc, 'http', '10.0.0.5:8080').servers).toEqual([{ url: 'http://10.0.0.5:8080' }]);
    expect(withServers(doc, 'http', '[2001:db8::1]:8080').servers).toEqual([{ url: 'http://[2001:db8::1]:8080' }]);
    expect(doc).not.toHaveProperty('servers');
  });

  it('falls back to the relative server without a usable Host or protocol', () => {
    for (const [protocol, host] of [
      ['http', undefined],
      ['http', ''],
      ['http', 'acme.test/path'],
      ['http', 'user@acme.test'],
      ['http', 'acme.test:80:80'],
      ['javascript', 'acme.test'],
    ] as const) {
      expect(withServers(doc, protocol, host).servers, `${protocol} ${host}`).toEqual([{ url: '/' }]);
    }
  });
});
