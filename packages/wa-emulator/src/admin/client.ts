import type { Static } from 'typebox';
import type { SendRequest } from '../phone/send-request.js';
import type { GroupChanges, GroupSendRequest } from '../group-service.js';
import type * as G from './group-schemas.js';
import type * as M from './message-schemas.js';
import type * as S from './schemas.js';
import type * as R from './restriction-schemas.js';

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

/** An account's reach-out time-lock: whether it holds, until when, WhatsApp's enforcement type. */
export type ReachoutTimelockRecord = Static<typeof R.ReachoutTimelockView>;

/** The media of a message sent or received, as a record shows it (`sha256` of the bytes, `state`, ...). */
export type MediaRecord = Static<typeof M.Media>;

/** The bytes of a message's media as the account's phone has them. */
export interface MediaFile {
  contentType: string;
  bytes: Buffer;
}

/** A group as an account sees it (participants and roles; invite code and pending requests for admins). */
export type GroupRecordView = Static<typeof G.Group>;
/** What happened to one phone of a participants change: `code` 200, or 403 (privacy), 404, 406, 409, 500. */
export type ParticipantOutcome = Static<typeof G.ParticipantOutcome>;
/** A pending request to join a group. */
export type JoinRequestRecord = Static<typeof G.JoinRequest>;
/** Who may add an account to groups, and its contacts. */
export type PrivacyRecord = Static<typeof G.Privacy>;
/** PATCH .../groups/{group}: subject, description (null removes it), announce, locked, ephemeral, member_add_mode, join_approval. */
export type GroupUpdate = GroupChanges;
/** A group message: what `send` takes without `to` and quotes, and `mentions` (phone numbers). */
export type GroupMessageBody = GroupSendRequest;
/** The answer of joinGroup. */
export interface JoinAnswer {
  state: 'joined' | 'requested' | 'already_participant';
  group_id: string;
  group?: GroupRecordView;
}

/** A companion device's connection counts: logins, connections replaced by a newer login (440), online now. */
export type DeviceConnectionsRecord = Static<typeof S.DeviceConnections>;

/** GET /admin/connections: every companion device's counts, and their sums. */
export interface ConnectionsReport {
  devices: DeviceConnectionsRecord[];
  totals: Static<typeof S.ConnectionTotals>;
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

  /**
   * POST /admin/accounts: a new account (phone: 6-15 digits); answers once its phone client is
   * online, or at once with `startPhone: false` (the phone then starts at its first use).
   */
  async createAccount(phone: string, name?: string, opts: { startPhone?: boolean } = {}): Promise<EmulatorAccount> {
    const body = { phone, name, ...(opts.startPhone === false ? { start_phone: false } : {}) };
    return (await this.call<{ account: EmulatorAccount }>('POST', '/admin/accounts', body)).account;
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

  /** Logins and replaced connections (440) of every companion device since the start or the last resetConnections. */
  async connections(): Promise<ConnectionsReport> {
    const { devices, totals } = await this.call<ConnectionsReport>('GET', '/admin/connections');
    return { devices, totals };
  }

  /** Zeroes the counts of connections(). */
  async resetConnections(): Promise<void> {
    await this.call('POST', '/admin/connections/reset');
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

  /** The groups the account is a participant of. */
  async groups(phone: string): Promise<GroupRecordView[]> {
    return (await this.call<{ groups: GroupRecordView[] }>('GET', `/admin/accounts/${enc(phone)}/groups`)).groups;
  }

  /** A group the account is a participant of (`id`: its jid or the digits before @g.us). */
  async group(phone: string, id: string): Promise<GroupRecordView> {
    return (await this.call<{ group: GroupRecordView }>('GET', this.groupPath(phone, id))).group;
  }

  /** Creates a group (the account is its superadmin) with the participants it may add; one outcome per phone asked. */
  async createGroup(
    phone: string,
    subject: string,
    participants: string[],
    options: { addressing_mode?: 'lid' | 'pn' } = {},
  ): Promise<{ group: GroupRecordView; participants: ParticipantOutcome[] }> {
    const { group, participants: outcomes } = await this.call<{ group: GroupRecordView; participants: ParticipantOutcome[] }>(
      'POST',
      `/admin/accounts/${enc(phone)}/groups`,
      { subject, participants, ...options },
    );
    return { group, participants: outcomes };
  }

  /** add, remove, promote or demote participants; one outcome per phone (an add refused by privacy: code 403). */
  async groupParticipants(phone: string, id: string, action: 'add' | 'remove' | 'promote' | 'demote', participants: string[]): Promise<ParticipantOutcome[]> {
    return (await this.call<{ participants: ParticipantOutcome[] }>('POST', `${this.groupPath(phone, id)}/participants`, { action, participants }))
      .participants;
  }

  /** Changes the subject, description or settings; answers the group as it now stands. */
  async updateGroup(phone: string, id: string, changes: GroupUpdate): Promise<GroupRecordView> {
    return (await this.call<{ group: GroupRecordView }>('PATCH', this.groupPath(phone, id), changes)).group;
  }

  /** The invite code (admins). */
  async groupInviteCode(phone: string, id: string): Promise<string> {
    return (await this.call<{ code: string }>('GET', `${this.groupPath(phone, id)}/invite`)).code;
  }

  /** A new invite code (admins); the old one stops working. */
  async revokeGroupInvite(phone: string, id: string): Promise<string> {
    return (await this.call<{ code: string }>('POST', `${this.groupPath(phone, id)}/invite/revoke`)).code;
  }

  /** Joins by invite code, or asks to join when the group needs approval (`state: requested`). */
  async joinGroup(phone: string, code: string): Promise<JoinAnswer> {
    const { state, group_id, group } = await this.call<JoinAnswer>('POST', `/admin/accounts/${enc(phone)}/groups/join`, { code });
    return { state, group_id, ...(group ? { group } : {}) };
  }

  /** Pending requests to join (admins). */
  async groupRequests(phone: string, id: string): Promise<JoinRequestRecord[]> {
    return (await this.call<{ requests: JoinRequestRecord[] }>('GET', `${this.groupPath(phone, id)}/requests`)).requests;
  }

  /** Approves or rejects requests to join (admins); one outcome per phone. */
  async answerGroupRequests(phone: string, id: string, action: 'approve' | 'reject', participants: string[]): Promise<ParticipantOutcome[]> {
    return (await this.call<{ participants: ParticipantOutcome[] }>('POST', `${this.groupPath(phone, id)}/requests`, { action, participants })).participants;
  }

  /** Withdraws the account's own request to join. */
  async cancelGroupRequest(phone: string, id: string): Promise<void> {
    await this.call('DELETE', `${this.groupPath(phone, id)}/requests`);
  }

  async leaveGroup(phone: string, id: string): Promise<void> {
    await this.call('POST', `${this.groupPath(phone, id)}/leave`);
  }

  /** Sends to the group from the account's phone, optionally mentioning phones; the record keeps per-participant receipts. */
  async sendGroup(phone: string, id: string, message: GroupMessageBody): Promise<SentRecord> {
    return (await this.call<{ message: SentRecord }>('POST', `${this.groupPath(phone, id)}/messages`, message)).message;
  }

  /** The group messages the account received and sent (newest last). */
  /** Hides (or shows) the account's phone number in LID-addressed chats and groups: receivers then know its LID only. */
  async setPhoneNumberHidden(phone: string, hidden: boolean): Promise<boolean> {
    return (await this.call<{ hidden: boolean }>('PUT', `/admin/accounts/${enc(phone)}/phone-number-privacy`, { hidden })).hidden;
  }

  /** Puts the account under WhatsApp's reach-out time-lock until `until`: its messages to new chats are refused (463). */
  async setReachoutTimelock(phone: string, lock: { until: Date | string; enforcementType?: string; notify?: boolean }): Promise<ReachoutTimelockRecord> {
    const body = {
      until: typeof lock.until === 'string' ? lock.until : lock.until.toISOString(),
      ...(lock.enforcementType ? { enforcement_type: lock.enforcementType } : {}),
      ...(lock.notify === undefined ? {} : { notify: lock.notify }),
    };
    return (await this.call<{ timelock: ReachoutTimelockRecord }>('PUT', `/admin/accounts/${enc(phone)}/reachout-timelock`, body)).timelock;
  }

  /** Lifts the account's reach-out time-lock (its connected devices are told, unless notify is false). */
  async liftReachoutTimelock(phone: string, opts: { notify?: boolean } = {}): Promise<ReachoutTimelockRecord> {
    const query = opts.notify === undefined ? '' : `?notify=${opts.notify}`;
    return (await this.call<{ timelock: ReachoutTimelockRecord }>('DELETE', `/admin/accounts/${enc(phone)}/reachout-timelock${query}`)).timelock;
  }

  async reachoutTimelock(phone: string): Promise<ReachoutTimelockRecord> {
    return (await this.call<{ timelock: ReachoutTimelockRecord }>('GET', `/admin/accounts/${enc(phone)}/reachout-timelock`)).timelock;
  }

  async groupMessages(phone: string, id: string, limit?: number): Promise<AccountMessages> {
    const query = limit === undefined ? '' : `?limit=${limit}`;
    const { received, sent } = await this.call<AccountMessages>('GET', `${this.groupPath(phone, id)}/messages${query}`);
    return { received, sent };
  }

  async privacy(phone: string): Promise<PrivacyRecord> {
    return (await this.call<{ privacy: PrivacyRecord }>('GET', `/admin/accounts/${enc(phone)}/privacy`)).privacy;
  }

  /** Who may add the account to groups (everyone, contacts, nobody); `contacts` replaces its contact list. */
  async setPrivacy(phone: string, groupAdd: PrivacyRecord['group_add'], contacts?: string[]): Promise<PrivacyRecord> {
    return (
      await this.call<{ privacy: PrivacyRecord }>('PUT', `/admin/accounts/${enc(phone)}/privacy`, { group_add: groupAdd, ...(contacts ? { contacts } : {}) })
    ).privacy;
  }

  private groupPath(phone: string, id: string): string {
    return `/admin/accounts/${enc(phone)}/groups/${enc(id)}`;
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
