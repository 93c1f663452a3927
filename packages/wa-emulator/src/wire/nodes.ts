import type { BinaryNode } from '../baileys.js';

/** The server's own jid: what server-sent stanzas come from. */
export const SERVER_JID = 's.whatsapp.net';

/** Seconds since the epoch, as the `t` attribute of stanzas carries them. */
export const unixNow = (): string => String(Math.floor(Date.now() / 1000));

export function iqResult(request: BinaryNode, content?: BinaryNode[]): BinaryNode {
  return { tag: 'iq', attrs: { id: request.attrs.id ?? '', type: 'result', from: SERVER_JID }, ...(content ? { content } : {}) };
}

export function iqError(request: BinaryNode, code: number, text: string): BinaryNode {
  return {
    tag: 'iq',
    attrs: { id: request.attrs.id ?? '', type: 'error', from: SERVER_JID },
    content: [{ tag: 'error', attrs: { code: String(code), text } }],
  };
}

export function children(node: BinaryNode | undefined, tag?: string): BinaryNode[] {
  if (!node || !Array.isArray(node.content)) return [];
  return tag ? node.content.filter((c) => c.tag === tag) : node.content;
}

export function bytes(node: BinaryNode | undefined): Buffer | undefined {
  const content = node?.content;
  if (content instanceof Uint8Array) return Buffer.from(content);
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  return undefined;
}

export function uintBE(value: number, size: number): Buffer {
  const out = Buffer.alloc(size);
  out.writeUIntBE(value, 0, size);
  return out;
}
