import type { BinaryNode, WASocket } from '@whiskeysockets/baileys';

export type PairingResult = { ok: true; code: string } | { ok: false; reason: string };

/**
 * The id Baileys gives the next IQ: its tags are `${prefix}${counter}` with the counter
 * increasing by one per tag (Socket/socket.js, generateMessageTag, 7.0.0-rc14).
 */
export function nextMessageTag(tag: string): string | null {
  const match = /^(.*-)(\d+)$/.exec(tag);
  if (!match) return null;
  return `${match[1]}${Number(match[2]) + 1}`;
}

/**
 * Asks WhatsApp for a pairing code for `phone` (digits). Baileys' requestPairingCode only
 * sends the IQ and never looks at the answer, so an error from the server would go unnoticed
 * and a code nobody can use would be shown. Its IQ takes the next message tag synchronously
 * inside the call, so we take one tag just before it, derive the IQ's id, and wait for that
 * answer. No answer in time (not expected from WhatsApp) still reports the code.
 */
export async function requestPairingCode(socket: WASocket, phone: string, timeoutMs: number): Promise<PairingResult> {
  const digits = phone.replace(/\D/g, '');
  if (!digits) return { ok: false, reason: 'no phone number digits' };
  const iqId = nextMessageTag(socket.generateMessageTag());
  const answer = iqId ? socket.waitForMessage<BinaryNode>(iqId, timeoutMs).catch((err: unknown) => err as Error) : Promise.resolve(undefined);
  let code: string;
  try {
    code = await socket.requestPairingCode(digits);
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  const node = await answer;
  if (node instanceof Error) return { ok: false, reason: node.message };
  if (node?.attrs.type === 'error') {
    const error = Array.isArray(node.content) ? node.content.find((c) => c.tag === 'error') : undefined;
    return { ok: false, reason: `WhatsApp answered ${error?.attrs.code ?? 'an error'} ${error?.attrs.text ?? ''}`.trim() };
  }
  return { ok: true, code };
}
