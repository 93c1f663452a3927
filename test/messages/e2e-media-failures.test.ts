import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closedPort } from '../helpers/ports.js';
import { createAccount, phoneSend, startWorld, tenantWithDevice, waitForEvent, waitForStored, type MessagingWorld, type TenantWithDevice } from './world.js';

/**
 * A received file WhatsApp's media host will not give: the message is stored and announced at
 * once (pending), the download is tried WUTS_MEDIA_DOWNLOAD_ATTEMPTS times, then the file counts
 * as failed: `message.media` says so and GET /messages/{id}/media answers 404. The media host
 * here is a closed port on 127.0.0.1, so every try fails.
 */
const A = '15553670001';
const B = '15553670002';
const JPEG = fs.readFileSync('test/fixtures/photo.jpg');

let w: MessagingWorld;
let a: TenantWithDevice;

beforeAll(async () => {
  w = await startWorld({ waMediaHost: `127.0.0.1:${await closedPort()}`, mediaDownloadAttempts: 2 });
  await createAccount(w.emu, A, 'WUTS A');
  await createAccount(w.emu, B, 'Peer B');
  a = await tenantWithDevice(w, A);
}, 60_000);
afterAll(async () => w?.close(), 60_000);

it('a file that cannot be downloaded is tried again, then fails with a message.media event; the message itself is kept', async () => {
  const sent = await phoneSend(w, B, { to: A, type: 'image', media: { data: JPEG.toString('base64') }, caption: 'unreachable' });
  const stored = await waitForStored(w, a.token, a.deviceId, B, 'the image message', (m) => m.wa_id === sent.id);
  expect(stored.content.media).toMatchObject({ state: 'pending', caption: 'unreachable', download_path: null });
  const received = await waitForEvent(w, 'message.received', (d) => d.message?.wa_id === sent.id);
  expect(received.data.message.content.media.state).toBe('pending');

  const failed = await waitForEvent(w, 'message.media', (d) => d.message?.wa_id === sent.id, 'message.media (failed)', 20_000);
  expect(failed.data.message.content.media).toMatchObject({ state: 'failed', download_path: null, caption: 'unreachable' });
  const row = await w.t.deps.db.kysely
    .selectFrom('media_files')
    .select(['state', 'attempts', 'error'])
    .where('id', '=', stored.content.media.id)
    .executeTakeFirstOrThrow();
  expect(row.state).toBe('failed');
  expect(Number(row.attempts)).toBe(2);
  expect(row.error).toMatch(/download/i);
  const res = await w.t.call('GET', `/messages/${stored.id}/media`, a.token);
  expect(res.statusCode).toBe(404);
  // the message and its place in the chat stay
  const history = (await w.t.call('GET', `/devices/${a.deviceId}/chats/${B}/messages`, a.token)).json().messages;
  expect(history.map((m: any) => m.id)).toContain(stored.id);
});
