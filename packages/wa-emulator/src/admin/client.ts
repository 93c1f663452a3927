import type { Static } from 'typebox';
import type { SendRequest } from '../phone/send-request.js';
import type * as M from './message-schemas.js';
import type * as S from './schemas.js';

// A typed client of the emulator's admin API over fetch, for tests, benchmarks and tools.
// It imports types only: no Baileys, no Fastify, nothing of the emulator is loaded with it.

/** An account as the admin API shows it. */
export type EmulatorAccount = Static<typeof S.Account>;
/** A device of an account (0 is its phone). */
export type EmulatorDevice = Static<typeof S.Device>;
/** A message an account received, edits, deletes, reactions and votes applied. */
export type ReceivedRecord = Static<typeof M.Received>;
/** A message an account sent, with its status (pending, sent, delivered, read, played, failed). */
export type SentRecord = Static<typeof M.Sent>;
/** A stanza waiting in a device's offline queue (tag, id, sender, age; `nack` when the device refused it). */
export type QueuedStanzaRecord = Static<typeof S.QueuedStanza>;
/** One stanza of the traffic log (tags and attributes, no payload). */
export type TrafficRecord = Static<typeof S.TrafficItem>;
/** The body of POST /admin/accounts/{phone}/messages: `to`, and the content named by `type` (default text). */
export type SendMessageBody = SendRequest;

/** What an account received and sent, newest last. */
export interface AccountMessages {
  received: ReceivedRecord[];
  sent: SentRecord[];
}

/** The answer of a reaction, edit, delete or vote: the id of the message the phone sent, and the target as it now stands. */
export type ActionAnswer = { action_id: string } & ({ direction: 'sent'; message: SentRecord } | { direction: 'received'; message: ReceivedRecord });

export interface EmulatorInfo {
  ws_url: string;
  /** hex; a client may set WA_CERT_DETAILS.PUBLIC_KEY to it */
  cert_root_public_key: string;
  /** https base URL of the media host */
  media_url: string;
}

/** The media of a message sent or received, as a record shows it (`sha256` of the bytes, `state`, ...). */
export type MediaRecord = Static<typeof M.Media>;

/** The bytes of a message's media as the account's phone has them. */
export interface MediaFile {
  contentType: string;
  bytes: Buffer;
}

/** An admin call as it was answered: the HTTP status and the parsed JSON body. */
export interface AdminAnswer<T> {
  status: number;
  body: T;
}

/** A non-2xx answer: its status, the API's error `code` (account_not_found, wrong_code, ...) and the whole body. */
export class EmulatorAdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
    this.name = 'EmulatorAdminError';
  }
}

export interface EmulatorAdminClientOptions {
  /** each call fails after this long (default 60 s: creating an account waits for its phone, linking for the device) */
  timeoutMs?: number;
  /** the emulator's admin token (`--admin-token`, WUTS_EMULATOR_ADMIN_TOKEN): sent as `Authorization: Bearer <token>` */
  token?: string;
}

const enc = encodeURIComponent;

/**
 * The emulator's admin API. `target` is its base URL (http://host:port) or anything with a
 * `url`, such as what startEmulator answers. The typed methods throw EmulatorAdminError on
 * any non-2xx answer; `request` never throws on a status.
 */
export class EmulatorAdminClient {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly token: string | undefined;

  constructor(target: string | { url: string }, options: EmulatorAdminClientOptions = {}) {
    this.url = (typeof target === 'string' ? target : target.url).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.token = options.token;
  }

  /** Any admin call (`path` from /admin/...), answered as it came: status and JSON body. */
  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<AdminAnswer<T>> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, body: parsed as T };
  }

  /** Any admin call; answers the body of a 2xx answer, throws EmulatorAdminError on any other. */
  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.request<T>(method, path, body);
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    const error = answer.body as { code?: unknown; error?: unknown } | undefined;
    const code = typeof error?.code === 'string' ? error.code : undefined;
    throw new EmulatorAdminError(answer.status, code, answer.body, `emulator ${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }

  /** POST /admin/accounts: a new account (phone: 6-15 digits); answers once its phone client is online. */
  async createAccount(phone: string, name?: string): Promise<EmulatorAccount> {
    return (await this.call<{ account: EmulatorAccount }>('POST', '/admin/accounts', { phone, name })).account;
  }

  async accounts(): Promise<EmulatorAccount[]> {
    return (await this.call<{ accounts: EmulatorAccount[] }>('GET', '/admin/accounts')).accounts;
  }

  async account(phone: string): Promise<EmulatorAccount> {
    return (await this.call<{ account: EmulatorAccount }>('GET', `/admin/accounts/${enc(phone)}`)).account;
  }

  /** POST /admin/link: the account's phone scans the QR text a device shows; answers the linked device. */
  async link(qr: string, phone: string): Promise<EmulatorDevice> {
    return (await this.call<{ device: EmulatorDevice }>('POST', '/admin/link', { qr, phone })).device;
  }

  /** POST /admin/pair: the account's phone types the pairing code a device asked for (requestPairingCode). */
  async pair(phone: string, code: string): Promise<EmulatorDevice> {
    return (await this.call<{ device: EmulatorDevice }>('POST', '/admin/pair', { phone, code })).device;
  }

  /** The account's devices: 0 (its phone) and the linked companions. */
  async devices(phone: string): Promise<EmulatorDevice[]> {
    return (await this.call<{ devices: EmulatorDevice[] }>('GET', `/admin/accounts/${enc(phone)}/devices`)).devices;
  }

  /** Unlinks a companion: its client closes as logged out (401). */
  async unlink(phone: string, device: number): Promise<void> {
    await this.call('DELETE', `/admin/accounts/${enc(phone)}/devices/${device}`);
  }

  /** What waits for a device, oldest first: stanzas it has not acked or receipted yet (NACKed ones included), sent again at its next login. */
  async queue(phone: string, device: number): Promise<QueuedStanzaRecord[]> {
    return (await this.call<{ queue: QueuedStanzaRecord[] }>('GET', `/admin/accounts/${enc(phone)}/devices/${device}/queue`)).queue;
  }

  /** Sends from the account's phone (end-to-end encrypted); a send the client could not complete answers status failed. */
  async send(phone: string, message: SendMessageBody): Promise<SentRecord> {
    return (await this.call<{ message: SentRecord }>('POST', `/admin/accounts/${enc(phone)}/messages`, message)).message;
  }

  /** What the account received and sent (at most `limit` of each, newest last; the API's default is 50). */
  async messages(phone: string, limit?: number): Promise<AccountMessages> {
    const query = limit === undefined ? '' : `?limit=${limit}`;
    const { received, sent } = await this.call<AccountMessages>('GET', `/admin/accounts/${enc(phone)}/messages${query}`);
    return { received, sent };
  }

  /** Marks received messages read (all unread when `ids` is absent) and sends read receipts; answers the ids marked. */
  async markRead(phone: string, ids?: string[]): Promise<string[]> {
    return (await this.call<{ read: string[] }>('POST', `/admin/accounts/${enc(phone)}/read`, ids === undefined ? {} : { ids })).read;
  }

  /** Reacts to a message the account received or sent; `''` removes its reaction. */
  react(phone: string, id: string, emoji: string): Promise<ActionAnswer> {
    return this.action(phone, id, 'react', { emoji });
  }

  /** Edits a text the account sent. */
  edit(phone: string, id: string, text: string): Promise<ActionAnswer> {
    return this.action(phone, id, 'edit', { text });
  }

  /** Deletes for everyone a message the account sent. */
  deleteMessage(phone: string, id: string): Promise<ActionAnswer> {
    return this.action(phone, id, 'delete');
  }

  /** Votes on a poll by option names; `[]` withdraws the vote. */
  vote(phone: string, id: string, options: string[]): Promise<ActionAnswer> {
    return this.action(phone, id, 'vote', { options });
  }

  /** The last stanzas in and out, newest first. */
  async traffic(limit?: number): Promise<TrafficRecord[]> {
    return (await this.call<{ traffic: TrafficRecord[] }>('GET', `/admin/traffic${limit === undefined ? '' : `?limit=${limit}`}`)).traffic;
  }

  /** The wire URL, the certificate root key and the media host's URL. */
  async info(): Promise<EmulatorInfo> {
    const { ws_url, cert_root_public_key, media_url } = await this.call<EmulatorInfo>('GET', '/admin/info');
    return { ws_url, cert_root_public_key, media_url };
  }

  /** GET /admin/accounts/{phone}/messages/{id}/media: the file the account sent, or received and decrypted. */
  async media(phone: string, id: string): Promise<MediaFile> {
    const res = await this.raw('GET', `/admin/accounts/${enc(phone)}/messages/${enc(id)}/media`);
    return { contentType: res.headers.get('content-type') ?? '', bytes: Buffer.from(await res.arrayBuffer()) };
  }

  /** GET /admin/media/ca.pem: the media host's certificate, to trust (mediaTrust, NODE_EXTRA_CA_CERTS). */
  async mediaCaPem(): Promise<string> {
    return (await this.raw('GET', '/admin/media/ca.pem')).text();
  }

  /** POST /admin/media/expire: the media host answers 404 for that blob from now on; answers its direct path. */
  async expireMedia(target: { direct_path: string } | { phone: string; message_id: string }): Promise<string> {
    return (await this.call<{ direct_path: string }>('POST', '/admin/media/expire', target)).direct_path;
  }

  /** A call whose 2xx answer is not JSON; any other status throws EmulatorAdminError. */
  private async raw(method: string, path: string): Promise<Response> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: this.token === undefined ? {} : { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (res.ok) return res;
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    const code = typeof (body as { code?: unknown } | undefined)?.code === 'string' ? (body as { code: string }).code : undefined;
    throw new EmulatorAdminError(res.status, code, body, `emulator ${method} ${path}: ${res.status} ${text}`);
  }

  private action(phone: string, id: string, action: 'react' | 'edit' | 'delete' | 'vote', body?: unknown): Promise<ActionAnswer> {
    return this.call<ActionAnswer>('POST', `/admin/accounts/${enc(phone)}/messages/${enc(id)}/${action}`, body);
  }
}
