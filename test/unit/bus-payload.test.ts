import { describe, expect, it } from 'vitest';
import { decodeSignals, encodeSignals, MAX_PAYLOAD_BYTES } from '../../src/cluster/bus-payload.js';
import { newId } from '../../src/lib/ids.js';

const EMPTY = { events: false, media: false, senders: [], paces: [], webhooks: [] };

describe('bus payload (version 1)', () => {
  it('encodes a batch in one compact payload and decodes it back', () => {
    const batch = {
      events: true,
      media: true,
      senders: ['d1', 'd2'],
      paces: ['d3'],
      webhooks: [
        ['t1', 'w1'],
        ['t2', null],
      ] as const,
    };
    const payloads = encodeSignals('node-a', batch);
    expect(payloads).toEqual(['{"v":1,"n":"node-a","e":1,"m":1,"s":["d1","d2"],"p":["d3"],"w":[["t1","w1"],["t2",null]]}']);
    expect(decodeSignals(payloads[0]!)).toEqual({
      nodeId: 'node-a',
      events: true,
      media: true,
      senders: ['d1', 'd2'],
      paces: ['d3'],
      webhooks: [
        ['t1', 'w1'],
        ['t2', null],
      ],
    });
  });

  it('leaves out what has nothing to say, and makes no payload of an empty batch', () => {
    expect(encodeSignals('n', { ...EMPTY, senders: ['d1'] })).toEqual(['{"v":1,"n":"n","s":["d1"]}']);
    expect(encodeSignals('n', { ...EMPTY, events: true })).toEqual(['{"v":1,"n":"n","e":1}']);
    expect(encodeSignals('n', EMPTY)).toEqual([]);
  });

  it('splits a batch over the limit into payloads under it, each readable, nothing lost or repeated', () => {
    const senders = Array.from({ length: 700 }, () => newId());
    const paces = Array.from({ length: 300 }, () => newId());
    const webhooks = Array.from({ length: 200 }, (_, i) => [newId(), i % 2 ? newId() : null] as const);
    const payloads = encodeSignals(newId(), { events: true, media: false, senders, paces, webhooks });
    expect(payloads.length).toBeGreaterThan(4);
    const decoded = payloads.map((p) => {
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
      const d = decodeSignals(p);
      if ('error' in d) throw new Error(d.error);
      return d;
    });
    expect(decoded.map((d) => d.events)).toEqual([true, ...Array(payloads.length - 1).fill(false)]);
    expect(decoded.flatMap((d) => d.senders)).toEqual(senders);
    expect(decoded.flatMap((d) => d.paces)).toEqual(paces);
    expect(decoded.flatMap((d) => d.webhooks)).toEqual(webhooks);
  });

  it('fills each payload up to the limit exactly, never past it', () => {
    for (const max of [40, 41, 42, 50, 77]) {
      const senders = Array.from({ length: 30 }, (_, i) => `d${i}`);
      const payloads = encodeSignals('n', { ...EMPTY, senders }, max);
      for (const p of payloads) expect(p.length).toBeLessThanOrEqual(max);
      // each but the last is full: one more id would not have fitted
      for (const p of payloads.slice(0, -1)) expect(p.length + ',"d29"'.length).toBeGreaterThan(max);
      expect(payloads.flatMap((p) => (decodeSignals(p) as { senders: string[] }).senders)).toEqual(senders);
    }
  });

  it('gives an item too large for any payload to its caller, and sends the rest', () => {
    const tooLarge: string[] = [];
    const payloads = encodeSignals('n', { ...EMPTY, senders: ['d1', 'x'.repeat(100), 'd2'] }, 60, (item) => tooLarge.push(item));
    expect(tooLarge).toEqual([JSON.stringify('x'.repeat(100))]);
    expect(payloads).toEqual(['{"v":1,"n":"n","s":["d1","d2"]}']);
  });

  it('refuses what it cannot read, saying why', () => {
    expect(decodeSignals('nope')).toEqual({ error: 'not JSON' });
    expect(decodeSignals('42')).toEqual({ error: 'not an object' });
    expect(decodeSignals('{"v":2,"n":"a"}')).toEqual({ error: 'version 2' });
    expect(decodeSignals('{"n":"a"}')).toEqual({ error: 'version undefined' });
    expect(decodeSignals('{"v":1}')).toEqual({ error: 'malformed' });
    expect(decodeSignals('{"v":1,"n":"a","s":[1]}')).toEqual({ error: 'malformed' });
    expect(decodeSignals('{"v":1,"n":"a","w":[["t"]]}')).toEqual({ error: 'malformed' });
  });
});
