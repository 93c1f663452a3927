import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

// WUTS_TRUST_PROXY: false, a number of proxies, or trusted proxy addresses; never "trust all".

const trustProxy = (value: string | undefined) => loadConfig({ WUTS_TRUST_PROXY: value }).trustProxy;

function refusal(value: string): string {
  try {
    loadConfig({ WUTS_TRUST_PROXY: value });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return 'accepted';
}

describe('WUTS_TRUST_PROXY', () => {
  it('is off by default and for false, no and 0', () => {
    for (const value of [undefined, '', ' ', 'false', 'FALSE', 'no', '0']) expect(trustProxy(value), String(value)).toBe(false);
  });

  it('takes a number as the count of proxies in front of WUTS', () => {
    expect(trustProxy('1')).toEqual({ hops: 1 });
    expect(trustProxy(' 2 ')).toEqual({ hops: 2 });
    expect(trustProxy('10')).toEqual({ hops: 10 });
  });

  it('takes a comma-separated list of proxy addresses, CIDRs and proxy-addr names', () => {
    expect(trustProxy('10.0.0.5')).toEqual({ addresses: ['10.0.0.5'] });
    expect(trustProxy('10.0.0.5, 192.168.0.0/16,::1,fd00::/8 ,loopback,uniquelocal')).toEqual({
      addresses: ['10.0.0.5', '192.168.0.0/16', '::1', 'fd00::/8', 'loopback', 'uniquelocal'],
    });
  });

  it('refuses true, which trusted the client-supplied start of X-Forwarded-For, in one line naming the variable and the new forms', () => {
    for (const value of ['true', 'TRUE', 'yes']) {
      const message = refusal(value);
      expect(message).toBe(
        `WUTS_TRUST_PROXY=${value} is refused: it trusted the client-supplied start of X-Forwarded-For; give the number of proxies in front of WUTS (e.g. 1) or their addresses and CIDRs (e.g. 10.0.0.5,192.168.0.0/16)`,
      );
    }
  });

  it('refuses what is neither a count nor addresses, naming the bad entry', () => {
    for (const [value, bad] of [
      ['10.0.0.256', '10.0.0.256'],
      ['10.0.0.1,', ''],
      ['10.0.0.0/33', '10.0.0.0/33'],
      ['fd00::/129', 'fd00::/129'],
      ['0.0.0.0/0', '0.0.0.0/0'],
      ['::/0', '::/0'],
      ['10.0.0.0/8/1', '10.0.0.0/8/1'],
      ['10.0.0.0/x', '10.0.0.0/x'],
      ['proxy.example.test', 'proxy.example.test'],
      ['1.5', '1.5'],
      ['-1', '-1'],
    ]) {
      expect(refusal(value!), value).toBe(
        `WUTS_TRUST_PROXY must be false, the number of proxies in front of WUTS (e.g. 1) or their addresses and CIDRs (e.g. 10.0.0.5,192.168.0.0/16); "${bad}" is neither`,
      );
    }
  });

  it('refuses a count of proxies outside 1 to 10', () => {
    expect(refusal('11')).toBe('WUTS_TRUST_PROXY as a number of proxies must be between 1 and 10, got 11');
    expect(refusal('00')).toBe('WUTS_TRUST_PROXY as a number of proxies must be between 1 and 10, got 00');
  });
});
