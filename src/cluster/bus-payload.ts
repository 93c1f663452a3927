/**
 * The bus signals one node publishes in one notification, version 1, as JSON:
 * `{"v":1,"n":"<node id>","e":1,"m":1,"s":[device ids],"p":[device ids],"w":[[tenant id, webhook id or null]]}`
 * e: events committed, m: media downloads wake, s: sender wakes, p: send pace changes,
 * w: webhooks changed; a field is left out when it has nothing to say.
 */
export const BUS_PAYLOAD_VERSION = 1;

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
export const MAX_PAYLOAD_BYTES = 7999;

export interface SignalBatch {
  events: boolean;
  media: boolean;
  senders: Iterable<string>;
  paces: Iterable<string>;
  webhooks: Iterable<readonly [string, string | null]>;
}

export interface ReceivedSignals {
  nodeId: string;
  events: boolean;
  media: boolean;
  senders: string[];
  paces: string[];
  webhooks: Array<[string, string | null]>;
}

/**
 * The batch as payloads of at most `maxBytes` each (several when it does not fit in one; the
 * flags ride in the first); none when the batch is empty. An item that fits in no payload on
 * its own is given to `tooLarge`.
 */
export function encodeSignals(nodeId: string, batch: SignalBatch, maxBytes = MAX_PAYLOAD_BYTES, tooLarge: (item: string) => void = () => {}): string[] {
  const head = `{"v":${BUS_PAYLOAD_VERSION},"n":${JSON.stringify(nodeId)}`;
  const headBytes = Buffer.byteLength(head);
  const payloads: string[] = [];
  let body = head + (batch.events ? ',"e":1' : '') + (batch.media ? ',"m":1' : '');
  let bytes = Buffer.byteLength(body);
  /** Nothing but the head yet: no payload to send. */
  let empty = !batch.events && !batch.media;
  let openList: string | null = null;

  const finish = () => {
    payloads.push(body + (openList !== null ? ']}' : '}'));
    body = head;
    bytes = headBytes;
    empty = true;
    openList = null;
  };
  const add = (key: string, item: string): void => {
    const itemBytes = Buffer.byteLength(item);
    // `,"k":[` opens a list (after the `]` of the one before); 2: the `]}` that closes list and object
    const opening = `,"${key}":[`;
    const prefix = openList === key ? ',' : openList !== null ? ']' + opening : opening;
    if (bytes + prefix.length + itemBytes + 2 <= maxBytes) {
      body += prefix + item;
      bytes += prefix.length + itemBytes;
      empty = false;
      openList = key;
      return;
    }
    if (headBytes + opening.length + itemBytes + 2 > maxBytes) return tooLarge(item);
    finish();
    add(key, item);
  };

  for (const id of batch.senders) add('s', JSON.stringify(id));
  for (const id of batch.paces) add('p', JSON.stringify(id));
  for (const pair of batch.webhooks) add('w', JSON.stringify(pair));
  if (!empty) finish();
  return payloads;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function isWebhookPairs(value: unknown): value is Array<[string, string | null]> {
  return (
    Array.isArray(value) && value.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && (typeof p[1] === 'string' || p[1] === null))
  );
}

/** The signals in a payload, or why it is not one this version reads. */
export function decodeSignals(payload: string): ReceivedSignals | { error: string } {
  let message: unknown;
  try {
    message = JSON.parse(payload);
  } catch {
    return { error: 'not JSON' };
  }
  if (typeof message !== 'object' || message === null) return { error: 'not an object' };
  const m = message as Record<string, unknown>;
  if (m.v !== BUS_PAYLOAD_VERSION) return { error: `version ${JSON.stringify(m.v)}` };
  const { n, s = [], p = [], w = [] } = m;
  if (typeof n !== 'string' || !isStringArray(s) || !isStringArray(p) || !isWebhookPairs(w)) return { error: 'malformed' };
  return { nodeId: n, events: m.e === 1, media: m.m === 1, senders: s, paces: p, webhooks: w };
}
