import { expect } from 'vitest';
import type { DeviceConnectionsRecord } from '@wuts/wa-emulator';
import { ok } from './http.js';
import { poll, sleep, type Cluster, type ClusterNode } from './cluster.js';

// What the cluster tests check, over the harness of cluster.ts: messages sent through any node,
// what the peer's phone received, and the emulator's connection counts.

/** A message is out once it is at least sent. */
const DONE = new Set(['sent', 'delivered', 'read']);

/** A message WUTS accepted (202): its WUTS id, the WhatsApp id it was given, its text, its device. */
export interface Queued {
  id: string;
  waId: string;
  text: string;
  deviceId: string;
}

/** Runs `fn` over `items`, at most `limit` at once; answers the results in order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A tenant's calls through the cluster's nodes. */
export class TenantCalls {
  constructor(
    readonly cluster: Cluster,
    readonly token: string,
  ) {}

  /** POST /devices/{id}/messages through `via`: 202, queued. */
  async send(via: ClusterNode, deviceId: string, to: string, text: string): Promise<Queued> {
    const body = await ok(via.call('POST', `/devices/${deviceId}/messages`, this.token, { type: 'text', to, text }), 202);
    expect(body.message.wa_id).toEqual(expect.any(String));
    return { id: body.message.id, waId: body.message.wa_id, text, deviceId };
  }

  /**
   * The same, for a load that goes on while nodes stop: the message when the node accepted it,
   * `refused` when it answered anything else, `unknown` when no answer came (the connection was
   * refused or reset: it may have been stored all the same).
   */
  async trySend(via: ClusterNode, deviceId: string, to: string, text: string): Promise<Queued | 'refused' | 'unknown'> {
    try {
      const answer = await via.call('POST', `/devices/${deviceId}/messages`, this.token, { type: 'text', to, text });
      if (answer.status !== 202) return 'refused';
      return { id: answer.body.message.id, waId: answer.body.message.wa_id, text, deviceId };
    } catch {
      return 'unknown';
    }
  }

  /** Queues `perDevice` texts for each device through `via` (texts `${prefix} <device> #k`), round by round. */
  async queueBurst(via: ClusterNode, deviceIds: string[], to: string, prefix: string, perDevice: number): Promise<Queued[]> {
    const queued: Queued[] = [];
    for (let k = 1; k <= perDevice; k++) for (const d of deviceIds) queued.push(await this.send(via, d, to, `${prefix} ${d.slice(-6)} #${k}`));
    return queued;
  }

  /** Sets a device's pace of sending (null: the node's WUTS_SEND_INTERVAL_MS) through `via`. */
  async pace(via: ClusterNode, deviceId: string, ms: number | null): Promise<void> {
    await ok(via.call('PUT', `/devices/${deviceId}/send-interval`, this.token, { send_interval_ms: ms }), 200);
  }

  /**
   * Every message reaches sent or better within `timeoutMs` (read from the database), none fails;
   * then, through the API, each was sent once (one `sent` in its history) under the WhatsApp id
   * it was given when accepted.
   */
  async expectAllSent(messages: Queued[], timeoutMs: number): Promise<void> {
    const ids = messages.map((m) => m.id);
    await poll(`all ${messages.length} messages sent`, timeoutMs, async () => {
      const rows = (await this.cluster.pool.query<{ id: string; status: string }>('select id, status from messages where id = any($1)', [ids])).rows;
      expect(rows.filter((r) => r.status === 'failed' || r.status === 'cancelled')).toEqual([]);
      return rows.length === ids.length && rows.every((r) => DONE.has(r.status)) ? true : undefined;
    });
    const via = this.cluster.other();
    await mapLimit(messages, 8, async (q) => {
      const m = (await ok(via.call('GET', `/messages/${q.id}`, this.token), 200)).message;
      expect(m.wa_id, q.text).toBe(q.waId);
      const history: string[] = m.status_history.map((h: { status: string }) => h.status);
      expect(
        history.filter((s) => s === 'sent'),
        `${q.text}: ${JSON.stringify(history)}`,
      ).toHaveLength(1);
      expect(history).not.toContain('failed');
    });
  }
}

/**
 * The peer's phone has each message exactly once under its WhatsApp id and nothing else with
 * the text prefix but, at most once each, the `unknown` texts (sends that got no answer). The phone keeps one record per id (a resend with the same id changes
 * nothing: packages/wa-emulator/src/phone/phone-records.ts), so a message sent twice under two
 * ids shows as its text twice.
 */
export async function expectPeerHasEachOnce(cluster: Cluster, peer: string, messages: Queued[], prefix: string, unknown: string[] = []): Promise<void> {
  // texts whose send got no answer may be there, once at most
  const mayBe = new Set(unknown);
  const all = async () => (await cluster.admin.messages(peer, 500)).received.filter((r) => r.text?.startsWith(prefix));
  const received = async () => (await all()).filter((r) => !mayBe.has(r.text ?? ''));
  await poll(`${peer} has all ${messages.length}`, 20_000, async () => {
    const ids = new Set((await received()).map((r) => r.id));
    return messages.every((m) => ids.has(m.waId)) ? true : undefined;
  });
  await sleep(500); // a late duplicate has the time to show
  const got = await received();
  expect(got.map((r) => r.id).sort(), 'one record per message, nothing else').toEqual(messages.map((m) => m.waId).sort());
  expect(got.map((r) => r.text).sort(), 'no text twice').toEqual(messages.map((m) => m.text).sort());
  const extra = (await all()).filter((r) => mayBe.has(r.text ?? '')).map((r) => r.text);
  expect(extra.length, 'a text whose send got no answer at most once').toBe(new Set(extra).size);
}

/** How many `message` stanzas with this WhatsApp id the emulator received (the traffic log keeps the last 500 stanzas only). */
export async function messageStanzas(cluster: Cluster, waId: string): Promise<number> {
  return (await cluster.admin.traffic(500)).filter((t) => t.direction === 'in' && t.tag === 'message' && t.attrs.id === waId).length;
}

/** The emulator's connection counts of these phones' linked companions: phone -> its one entry. */
export async function connectionsOf(cluster: Cluster, phones: string[]): Promise<Map<string, DeviceConnectionsRecord>> {
  const wanted = new Set(phones);
  const entries = (await cluster.admin.connections()).devices.filter((d) => wanted.has(d.phone) && d.linked);
  const byPhone = new Map<string, DeviceConnectionsRecord>();
  for (const e of entries) {
    expect(byPhone.has(e.phone), `${e.phone} has one linked companion`).toBe(false);
    byPhone.set(e.phone, e);
  }
  return byPhone;
}

/** Each of these phones' companions logged in exactly once and was never replaced; online now. */
export async function expectLoggedInOnce(cluster: Cluster, phones: string[]): Promise<void> {
  const byPhone = await connectionsOf(cluster, phones);
  expect(phones.map((p) => byPhone.get(p)).map((e) => e && { phone: e.phone, online: e.online, logins: e.logins, replaced: e.replaced })).toEqual(
    phones.map((phone) => ({ phone, online: true, logins: 1, replaced: 0 })),
  );
}

/** Waits until the emulator shows these phones' companions online (true) or offline (false). */
export async function waitOnline(cluster: Cluster, phones: string[], online: boolean, timeoutMs = 15_000): Promise<void> {
  await poll(`${phones.join(', ')} ${online ? 'online' : 'offline'} at the emulator`, timeoutMs, async () => {
    const byPhone = await connectionsOf(cluster, phones);
    return phones.every((p) => (byPhone.get(p)?.online ?? false) === online) ? true : undefined;
  });
}
