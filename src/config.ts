import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSecretKey } from './lib/secret-box.js';

/** packages/dashboard/dist, found from this file whether it runs as src/config.ts (tests) or dist/src/config.js. */
function builtDashboardDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../packages/dashboard/dist'), path.resolve(here, '../../packages/dashboard/dist')];
  return candidates.find((dir) => fs.existsSync(path.dirname(dir))) ?? candidates[0]!;
}

/** Every operator setting, read from the environment once. See README "Settings". */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  /** PostgreSQL: how long opening a connection may take. */
  pgConnectTimeoutMs: number;
  /** PostgreSQL: the server cancels a statement running longer (migrations are not bound). */
  pgStatementTimeoutMs: number;
  dataDir: string;
  masterToken: string | undefined;
  /** The key that seals secrets at rest (32 bytes); undefined: generated into the data directory. */
  secretKey: Buffer | undefined;
  /** Older keys, accepted for opening only: a start re-seals their values with secretKey. */
  previousSecretKeys: Buffer[];
  waWsUrl: string | undefined;
  /** WhatsApp's media host (host[:port]) received media is downloaded from, whatever a message says. */
  waMediaHost: string;
  /** A CA certificate (PEM) WhatsApp's media host is trusted by, instead of the system's (the sandbox's own). */
  waMediaCaPem: string | undefined;
  allowPrivateWebhooks: boolean;
  logLevel: string;
  /** The built dashboard served at `/` (packages/dashboard/dist; not a setting: tests point it elsewhere). */
  dashboardDir: string;
  /** json: one JSON object per line (pino); pretty: one readable line per record, for a person at a terminal. */
  logFormat: 'json' | 'pretty';
  bodyLimitBytes: number;
  /** The largest file each media type may send (voice notes count as audio). */
  mediaMaxBytes: { image: number; video: number; audio: number; document: number; sticker: number };
  /** A media file given inline (base64 `data`) is at most this big; the send's body limit follows from it. */
  inlineMediaMaxBytes: number;
  /** Time fetching a media file given by URL may take, whole. */
  mediaFetchTimeoutMs: number;
  /** Tries to download a received file before it counts as failed. */
  mediaDownloadAttempts: number;
  /** The encoder that turns other audio into voice notes (OGG/Opus); voice notes in other formats are refused without it. */
  ffmpegPath: string;
  /** Time a client has to send a whole request, headers and body (408 or closed beyond). */
  requestTimeoutMs: number;
  /** Time a client has to send a request's headers (at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /** Open connections per node; beyond, new ones are dropped at once. */
  maxConnections: number;
  /** Bearer token for GET /metrics only; undefined: /metrics answers loopback addresses only. */
  metricsToken: string | undefined;
  maxUsersPerTenant: number;
  maxTokensPerUser: number;
  sessionTtlHours: number;
  /** Token identities kept in memory per node (least recently used dropped beyond); 0: every request reads the database. */
  authCacheEntries: number;
  /** A kept identity is read again from the database once this old, whatever happened. */
  authCacheMaxAgeMs: number;
  /** PostgreSQL: how long a change of a token, user or tenant waits for the other nodes to drop what they kept. */
  authSyncTimeoutMs: number;
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerAddress: number;
  loginFailureWindowSeconds: number;
  trustProxy: TrustProxy;
  maxWebhooksPerTenant: number;
  webhookTimeoutMs: number;
  /** Delay before each attempt, in ms: the first is the wait before attempt 1. */
  webhookRetryScheduleMs: number[];
  webhookConcurrency: number;
  webhookConcurrencyPerWebhook: number;
  webhookDisableAfterMs: number;
  webhookSecretGraceMs: number;
  eventRetentionDays: number;
  maxStreamsPerTenant: number;
  maxDevicesPerTenant: number;
  connectAttemptsPerMinute: number;
  qrRequestsPerMinute: number;
  /** Pause between two sends of one device, before jitter (a device may override it). */
  sendIntervalMs: number;
  /** The pause varies by up to this share, up or down, so sends do not look machine-timed. */
  sendJitterPercent: number;
  /** Messages of one device written to WhatsApp before the previous ones were acknowledged, when its pace is 0. */
  sendWindow: number;
  messageTtlSeconds: number;
  sendMaxAttempts: number;
  /** Tries to store a received message before it is parked in the dead-letter table. */
  inboundStoreAttempts: number;
  sendAckTimeoutMs: number;
  maxQueuedPerDevice: number;
  checkNumbersPerMinute: number;
  webhookTestsPerMinute: number;
  deliveryRetriesPerMinute: number;
  idempotencyHours: number;
  /** At SIGTERM, how long deliveries, sends and requests in flight may take before they are abandoned. */
  shutdownGraceMs: number;
  /** Run the WhatsApp emulator in-process as a sandbox, on this port (undefined: off). */
  emulatorPort: number | undefined;
  /** the sandbox emulator's admin API wants it as a bearer token when set */
  emulatorAdminToken: string | undefined;
  /** Start the sandbox although devices hold sessions linked on another WhatsApp endpoint (they stay disconnected). */
  emulatorWithRealSessions: boolean;
  /** Where media bytes live: files under WUTS_DATA_DIR/media, or an S3-compatible bucket. */
  mediaStore: MediaStoreSettings;
  /** The cluster: this node's id (undefined: `<hostname>:<port>` once bound), role and capacity, heartbeat and lease times. */
  cluster: ClusterSettings;
  /** Largest media file accepted by one upload (POST /media). */
  mediaMaxUploadBytes: number;
  /** An uploaded media id may be used (and is kept) this long. */
  mediaUploadTtlHours: number;
  /** Bytes of media a tenant may store, each blob counted once; 0: no limit. */
  mediaQuotaBytesPerTenant: number;
  /** Media older than this is deleted by the sweep; 0: kept until deleted otherwise. */
  mediaRetentionDays: number;
}

export interface ClusterSettings {
  nodeId: string | undefined;
  /** `devices`: holds devices' WhatsApp connections and answers the API; `api`: answers the API only. */
  role: 'devices' | 'api';
  /** Devices this node holds at most. */
  capacity: number;
  heartbeatMs: number;
  /** A lease not renewed for this long may be taken by another node. */
  leaseMs: number;
}

/** An S3-compatible bucket for media (WUTS_S3_*). */
export interface S3Settings {
  /** `https://...` of an S3-compatible service; undefined: AWS's own endpoint for the region. */
  endpoint: string | undefined;
  bucket: string;
  region: string;
  /** Both or neither; neither: the AWS SDK's default credential chain (environment, profile, instance role). */
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  /** `endpoint/bucket/key` addressing instead of `bucket.endpoint/key` (MinIO and most self-hosted services). */
  forcePathStyle: boolean;
}

export type MediaStoreSettings = { kind: 'fs' } | ({ kind: 's3' } & S3Settings);

/**
 * Which X-Forwarded-For entries name the client: none (false), those added by the last `hops`
 * proxies, or those added by proxies at `addresses` (IPs, CIDRs, or proxy-addr's names
 * loopback, linklocal, uniquelocal).
 */
export type TrustProxy = false | { hops: number } | { addresses: string[] };

export interface SettingDoc {
  name: string;
  defaultText: string;
  meaning: string;
}

const MIB = 1_048_576;

/** The contents of a PEM file a setting names; a file that cannot be read or holds no certificate stops the start. */
function readPemSetting(env: Env, name: string): string | undefined {
  const file = env[name]?.trim();
  if (!file) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${name}: cannot read ${file}: ${(err as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`${name}: ${file} holds no PEM certificate`);
  return text;
}

/** The documented list, printed by `wuts --help` and mirrored in the README. */
export const SETTINGS: SettingDoc[] = [
  { name: 'PORT', defaultText: '8080', meaning: 'TCP port the API listens on' },
  { name: 'HOST', defaultText: '0.0.0.0', meaning: 'address the API listens on' },
  { name: 'DATABASE_URL', defaultText: 'unset: SQLite under WUTS_DATA_DIR', meaning: 'postgres://... to use PostgreSQL' },
  { name: 'WUTS_PG_CONNECT_TIMEOUT_SECONDS', defaultText: '10', meaning: 'PostgreSQL: time opening a connection may take before it fails' },
  {
    name: 'WUTS_PG_STATEMENT_TIMEOUT_SECONDS',
    defaultText: '30',
    meaning: 'PostgreSQL: the server cancels a statement running longer (migrations excepted)',
  },
  { name: 'WUTS_DATA_DIR', defaultText: './data', meaning: 'embedded database, generated master token and generated secret key' },
  {
    name: 'WUTS_MASTER_TOKEN',
    defaultText: 'unset: generated into WUTS_DATA_DIR/master-token (mode 0600)',
    meaning: "the platform operator's token (at least 32 characters)",
  },
  {
    name: 'WUTS_SECRET_KEY',
    defaultText: 'unset: generated into WUTS_DATA_DIR/secret-key (mode 0600)',
    meaning:
      'the key that encrypts webhook secrets and WhatsApp sessions at rest: 32 random bytes as 64 hex digits or base64 (openssl rand -base64 32); set the same key on every node sharing PostgreSQL, and back it up',
  },
  {
    name: 'WUTS_SECRET_KEY_PREVIOUS',
    defaultText: 'unset',
    meaning: 'after a key rotation: the old key(s), comma-separated, accepted only to open values; the start re-seals them with WUTS_SECRET_KEY',
  },
  { name: 'WUTS_WA_WS_URL', defaultText: "WhatsApp's own", meaning: 'WebSocket URL Baileys connects to (the emulator for a sandbox or tests)' },
  {
    name: 'WUTS_WA_MEDIA_HOST',
    defaultText: 'mmg.whatsapp.net',
    meaning: "the host (and port) received media is downloaded from, whatever host a message names; the emulator's media host for a sandbox or tests",
  },
  {
    name: 'WUTS_WA_MEDIA_CA_FILE',
    defaultText: "unset: the system's CAs",
    meaning:
      "a PEM certificate file the media host is trusted by instead of the system's CAs (the emulator's, from its GET /admin/media/ca.pem); set by WUTS_EMULATOR=true itself",
  },
  { name: 'WUTS_ALLOW_PRIVATE_WEBHOOKS', defaultText: 'false', meaning: 'allow webhook URLs on loopback and private networks' },
  {
    name: 'LOG_LEVEL',
    defaultText: 'info',
    meaning: 'pino level: fatal, error, warn, info, debug (also each HTTP request), trace, silent; the start-up lines show at warn and error too',
  },
  { name: 'WUTS_LOG_FORMAT', defaultText: 'json', meaning: 'json: one JSON object per line; pretty: one readable line per record (for a terminal)' },
  { name: 'WUTS_BODY_LIMIT_BYTES', defaultText: '1048576', meaning: 'largest accepted request body; larger answers 413' },
  { name: 'WUTS_MAX_IMAGE_BYTES', defaultText: '16777216', meaning: 'largest image a message may send (16 MiB, as WhatsApp)' },
  { name: 'WUTS_MAX_VIDEO_BYTES', defaultText: '67108864', meaning: 'largest video a message may send (64 MiB)' },
  { name: 'WUTS_MAX_AUDIO_BYTES', defaultText: '16777216', meaning: 'largest audio or voice note a message may send (16 MiB, as WhatsApp)' },
  { name: 'WUTS_MAX_DOCUMENT_BYTES', defaultText: '104857600', meaning: 'largest document a message may send (100 MiB, as WhatsApp)' },
  { name: 'WUTS_MAX_STICKER_BYTES', defaultText: '1048576', meaning: 'largest sticker a message may send (1 MiB)' },
  {
    name: 'WUTS_INLINE_MEDIA_MAX_BYTES',
    defaultText: '16777216',
    meaning:
      'largest file a send may carry inline (media.data, base64); the body limit of POST /devices/{id}/messages grows to fit it. Bigger files go by URL or POST /media',
  },
  { name: 'WUTS_MEDIA_FETCH_TIMEOUT_SECONDS', defaultText: '60', meaning: 'time fetching a media file given by URL (media.url) may take, whole' },
  {
    name: 'WUTS_FFMPEG_PATH',
    defaultText: 'ffmpeg (from the PATH)',
    meaning: 'the encoder that turns MP3, AAC, WAV and other audio sent as a voice note into OGG/Opus; without it such voice notes are refused (400)',
  },
  {
    name: 'WUTS_MEDIA_DOWNLOAD_ATTEMPTS',
    defaultText: '5',
    meaning: 'tries to download a received file (2 s apart, doubling, at most 5 min) before it counts as failed (message.media with state failed)',
  },
  {
    name: 'WUTS_REQUEST_TIMEOUT_SECONDS',
    defaultText: '30',
    meaning:
      'time a client has to send a whole request (headers and body); then 408 or the connection is closed. An answer already started (the event stream) is not cut',
  },
  { name: 'WUTS_HEADERS_TIMEOUT_SECONDS', defaultText: '10', meaning: "time a client has to send a request's headers (at most the request timeout)" },
  {
    name: 'WUTS_KEEP_ALIVE_TIMEOUT_SECONDS',
    defaultText: '72',
    meaning: 'an idle keep-alive connection is closed after this long (longer than the 60 s of common load balancers)',
  },
  { name: 'WUTS_MAX_CONNECTIONS', defaultText: '10000', meaning: 'open connections per node (event streams included); beyond, new connections are dropped' },
  {
    name: 'WUTS_METRICS_TOKEN',
    defaultText: 'unset: /metrics answers only loopback addresses',
    meaning: 'bearer token for GET /metrics only (at least 32 characters); the master token does not open /metrics',
  },
  { name: 'WUTS_MAX_USERS_PER_TENANT', defaultText: '100', meaning: 'users a tenant may have' },
  { name: 'WUTS_MAX_TOKENS_PER_USER', defaultText: '50', meaning: 'API tokens (POST /me/tokens) a user may hold, and login sessions kept per user' },
  { name: 'WUTS_SESSION_TTL_HOURS', defaultText: '168', meaning: 'lifetime of a token issued by POST /login' },
  {
    name: 'WUTS_AUTH_CACHE_ENTRIES',
    defaultText: '10000',
    meaning:
      'token identities (token, user, role, tenant) each node keeps in memory, the least recently used dropped beyond; 0: every request reads the database',
  },
  {
    name: 'WUTS_AUTH_CACHE_MAX_AGE_SECONDS',
    defaultText: '60',
    meaning: 'a kept identity is read again from the database once this old (a safety net: changes drop it at once)',
  },
  {
    name: 'WUTS_AUTH_SYNC_TIMEOUT_MS',
    defaultText: '2000',
    meaning:
      'PostgreSQL: the longest a revocation, deactivation, role change or suspension waits for the other nodes to acknowledge it; a node that cannot hear the others for this long reads identities from the database',
  },
  { name: 'WUTS_LOGIN_MAX_FAILURES_PER_ACCOUNT', defaultText: '5', meaning: 'failed logins per email within the window before 429' },
  { name: 'WUTS_LOGIN_MAX_FAILURES_PER_ADDRESS', defaultText: '20', meaning: 'failed logins per client address within the window before 429' },
  { name: 'WUTS_LOGIN_FAILURE_WINDOW_SECONDS', defaultText: '900', meaning: 'window of the login failure limits' },
  {
    name: 'WUTS_TRUST_PROXY',
    defaultText: 'false',
    meaning:
      'behind reverse proxies, which X-Forwarded-For entries to believe: the number of proxies in front (e.g. 1), or their addresses and CIDRs (e.g. 10.0.0.5,192.168.0.0/16); true is refused',
  },
  { name: 'WUTS_MAX_WEBHOOKS_PER_TENANT', defaultText: '10', meaning: 'webhooks a tenant may have' },
  { name: 'WUTS_WEBHOOK_TIMEOUT_SECONDS', defaultText: '15', meaning: 'time a webhook receiver has to answer' },
  {
    name: 'WUTS_WEBHOOK_RETRY_SCHEDULE',
    defaultText: '0,5,300,1800,7200,18000,36000,36000',
    meaning: 'seconds before each delivery attempt (with 10% jitter); after the last, the delivery fails',
  },
  { name: 'WUTS_WEBHOOK_CONCURRENCY', defaultText: '32', meaning: 'webhook requests in flight per node' },
  { name: 'WUTS_WEBHOOK_CONCURRENCY_PER_WEBHOOK', defaultText: '4', meaning: 'requests in flight to one webhook per node' },
  { name: 'WUTS_WEBHOOK_DISABLE_AFTER_HOURS', defaultText: '72', meaning: 'a webhook failing without a success for this long is disabled' },
  { name: 'WUTS_WEBHOOK_SECRET_GRACE_HOURS', defaultText: '24', meaning: 'after a secret rotation, how long the old secret also signs' },
  { name: 'WUTS_EVENT_RETENTION_DAYS', defaultText: '7', meaning: 'events (and their delivery records) kept after every delivery finished' },
  { name: 'WUTS_MAX_DEVICES_PER_TENANT', defaultText: '10', meaning: 'WhatsApp devices a tenant may have' },
  { name: 'WUTS_CONNECT_ATTEMPTS_PER_MINUTE', defaultText: '10', meaning: 'POST /devices/{id}/connect calls per device per minute (429 beyond)' },
  { name: 'WUTS_QR_REQUESTS_PER_MINUTE', defaultText: '60', meaning: 'GET /devices/{id}/qr calls per device per minute (429 beyond)' },
  {
    name: 'WUTS_SEND_INTERVAL_MS',
    defaultText: '1000',
    meaning: 'pause between two messages sent by one device (a device may override it: PUT /devices/{id}/send-interval)',
  },
  { name: 'WUTS_SEND_JITTER_PERCENT', defaultText: '30', meaning: 'the pause varies randomly by up to this percentage, up or down' },
  {
    name: 'WUTS_SEND_WINDOW',
    defaultText: '4',
    meaning: 'messages of a device whose pace is 0 written to WhatsApp before the server acknowledged the previous ones (1: one at a time)',
  },
  { name: 'WUTS_MESSAGE_TTL_SECONDS', defaultText: '86400', meaning: 'a queued message not sent within this time fails as expired (per message: ttl_seconds)' },
  {
    name: 'WUTS_SEND_MAX_ATTEMPTS',
    defaultText: '10',
    meaning: 'attempts to send a message after transient errors (with exponential backoff) before it fails',
  },
  {
    name: 'WUTS_INBOUND_STORE_ATTEMPTS',
    defaultText: '5',
    meaning:
      'tries to store a received message (0.25 s apart, doubling) before it is parked in the dead-letter table; WhatsApp is told it arrived only once it is kept',
  },
  {
    name: 'WUTS_SEND_ACK_TIMEOUT_SECONDS',
    defaultText: '30',
    meaning: "time WhatsApp's server has to acknowledge a sent message before the attempt counts as failed",
  },
  {
    name: 'WUTS_MAX_QUEUED_PER_DEVICE',
    defaultText: '10000',
    meaning: "messages waiting in one device's queue; beyond, POST /devices/{id}/messages answers 429",
  },
  { name: 'WUTS_CHECK_NUMBERS_PER_MINUTE', defaultText: '10', meaning: 'POST /devices/{id}/check-numbers calls per device per minute (429 beyond)' },
  { name: 'WUTS_WEBHOOK_TESTS_PER_MINUTE', defaultText: '10', meaning: 'POST /webhooks/{id}/test calls per webhook per minute (429 beyond)' },
  { name: 'WUTS_DELIVERY_RETRIES_PER_MINUTE', defaultText: '60', meaning: 'POST /deliveries/{id}/retry calls per tenant per minute (429 beyond)' },
  { name: 'WUTS_IDEMPOTENCY_HOURS', defaultText: '24', meaning: 'how long an Idempotency-Key and its answer are kept' },
  { name: 'WUTS_EMULATOR', defaultText: 'false', meaning: 'run the WhatsApp emulator in-process as a sandbox; WUTS_WA_WS_URL then points at it' },
  { name: 'WUTS_EMULATOR_PORT', defaultText: '7080', meaning: "the sandbox emulator's port (on 127.0.0.1), with WUTS_EMULATOR=true" },
  {
    name: 'WUTS_EMULATOR_ADMIN_TOKEN',
    defaultText: 'unset: no token (the emulator listens on loopback only)',
    meaning:
      "when set (at least 32 characters), the emulator's admin API (sandbox or wuts emulator) wants it as Authorization: Bearer; required by wuts emulator off loopback",
  },
  {
    name: 'WUTS_EMULATOR_WITH_REAL_SESSIONS',
    defaultText: 'false',
    meaning:
      'with WUTS_EMULATOR=true: start although devices hold WhatsApp sessions linked on another endpoint (WhatsApp itself); they stay disconnected, their sessions kept. Without it such a start is refused',
  },
  {
    name: 'WUTS_SANDBOX_DIR',
    defaultText: './data/sandbox',
    meaning: 'wuts sandbox only: its data directory (it ignores WUTS_DATA_DIR and DATABASE_URL, and never touches a deployment)',
  },
  {
    name: 'WUTS_SHUTDOWN_GRACE_SECONDS',
    defaultText: '10',
    meaning: 'at SIGTERM, time the webhook deliveries and sends in flight have to finish; the rest are sent again after the next start',
  },
  {
    name: 'WUTS_NODE_ID',
    defaultText: '<hostname>:<port>',
    meaning:
      "this node's id in the cluster (PostgreSQL); a node started again with the same id takes its own devices back at once instead of waiting for their leases to run out. Two running nodes must never share one",
  },
  {
    name: 'WUTS_NODE_ROLE',
    defaultText: 'devices',
    meaning: 'devices: holds WhatsApp connections and answers the API; api: answers the API only (holds no device)',
  },
  { name: 'WUTS_NODE_CAPACITY', defaultText: '1000', meaning: 'WhatsApp devices this node holds at most' },
  {
    name: 'WUTS_CLUSTER_HEARTBEAT_MS',
    defaultText: '5000',
    meaning: 'how often a node renews its heartbeat and its device leases, and looks for devices to take or hand over',
  },
  {
    name: 'WUTS_CLUSTER_LEASE_MS',
    defaultText: '20000',
    meaning:
      "a device lease not renewed for this long is taken over by another node (at least 3 heartbeats): a dead node's devices reconnect elsewhere within this plus a heartbeat",
  },
  { name: 'WUTS_MAX_STREAMS_PER_TENANT', defaultText: '10', meaning: 'live event streams (/events/stream) open at once per tenant per node' },
  {
    name: 'WUTS_MEDIA_STORE',
    defaultText: 'fs',
    meaning: 'where media bytes live: fs (files under WUTS_DATA_DIR/media) or s3 (an S3-compatible bucket, WUTS_S3_*)',
  },
  {
    name: 'WUTS_S3_ENDPOINT',
    defaultText: "unset: AWS's own endpoint for the region",
    meaning: 'with WUTS_MEDIA_STORE=s3: the http(s) URL of an S3-compatible service',
  },
  { name: 'WUTS_S3_BUCKET', defaultText: 'none (required with s3)', meaning: 'with WUTS_MEDIA_STORE=s3: the bucket media is kept in' },
  { name: 'WUTS_S3_REGION', defaultText: 'us-east-1', meaning: "with WUTS_MEDIA_STORE=s3: the bucket's region" },
  {
    name: 'WUTS_S3_ACCESS_KEY_ID',
    defaultText: "unset: the AWS SDK's default credentials (environment, profile, instance role)",
    meaning: 'with WUTS_MEDIA_STORE=s3: the access key id (with WUTS_S3_SECRET_ACCESS_KEY)',
  },
  { name: 'WUTS_S3_SECRET_ACCESS_KEY', defaultText: 'unset', meaning: 'with WUTS_MEDIA_STORE=s3: the secret access key (with WUTS_S3_ACCESS_KEY_ID)' },
  {
    name: 'WUTS_S3_FORCE_PATH_STYLE',
    defaultText: 'false',
    meaning: 'with WUTS_MEDIA_STORE=s3: address the bucket as endpoint/bucket (MinIO and most self-hosted services) instead of bucket.endpoint',
  },
  { name: 'WUTS_MEDIA_MAX_UPLOAD_BYTES', defaultText: '104857600', meaning: 'largest media file one upload (POST /media) may carry; larger answers 413' },
  {
    name: 'WUTS_MEDIA_UPLOAD_TTL_HOURS',
    defaultText: '24',
    meaning: 'an uploaded media id may be used this long, then it is gone (404) and its bytes deleted',
  },
  {
    name: 'WUTS_MEDIA_QUOTA_BYTES_PER_TENANT',
    defaultText: '5368709120',
    meaning: 'bytes of media a tenant may keep, identical files counted once (413 beyond); 0: no limit',
  },
  { name: 'WUTS_MEDIA_RETENTION_DAYS', defaultText: '30', meaning: 'media older than this is deleted with its bytes; 0: kept forever' },
];

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function clusterSetting(env: Env): ClusterSettings {
  const nodeId = env.WUTS_NODE_ID?.trim() || undefined;
  if (nodeId !== undefined && !/^[A-Za-z0-9._:-]{1,100}$/.test(nodeId))
    throw new ConfigError(`WUTS_NODE_ID must be 1 to 100 letters, digits, '.', '_', ':' or '-', got "${nodeId}"`);
  const role = env.WUTS_NODE_ROLE?.trim().toLowerCase() || 'devices';
  if (role !== 'devices' && role !== 'api') throw new ConfigError(`WUTS_NODE_ROLE must be devices or api, got "${env.WUTS_NODE_ROLE}"`);
  const heartbeatMs = intSetting(env, 'WUTS_CLUSTER_HEARTBEAT_MS', 5000, 100, 60_000);
  const leaseMs = intSetting(env, 'WUTS_CLUSTER_LEASE_MS', 20_000, 300, 600_000);
  if (leaseMs < 3 * heartbeatMs)
    throw new ConfigError(`WUTS_CLUSTER_LEASE_MS (${leaseMs}) must be at least 3 heartbeats (WUTS_CLUSTER_HEARTBEAT_MS x 3 = ${3 * heartbeatMs})`);
  return { nodeId, role, capacity: intSetting(env, 'WUTS_NODE_CAPACITY', 1000, 1, 1_000_000), heartbeatMs, leaseMs };
}

function intSetting(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolSetting(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function scheduleSetting(env: Env, name: string, fallback: number[]): number[] {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length < 1 || parts.length > 20 || parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) {
    throw new ConfigError(`${name} must be 1 to 20 comma-separated numbers of seconds, got "${raw}"`);
  }
  return parts.map((p) => Math.round(Number(p) * 1000));
}

const TRUST_PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const TRUST_PROXY_FORMS = 'the number of proxies in front of WUTS (e.g. 1) or their addresses and CIDRs (e.g. 10.0.0.5,192.168.0.0/16)';

function isTrustedProxyEntry(entry: string): boolean {
  if (TRUST_PROXY_NAMES.includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  // A /0 would trust every address, as `true` did.
  return /^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= (version === 4 ? 32 : 128);
}

function trustProxySetting(env: Env): TrustProxy {
  const name = 'WUTS_TRUST_PROXY';
  const raw = env[name]?.trim() ?? '';
  const lower = raw.toLowerCase();
  if (['', 'false', 'no', '0'].includes(lower)) return false;
  if (['true', 'yes'].includes(lower)) {
    throw new ConfigError(`${name}=${raw} is refused: it trusted the client-supplied start of X-Forwarded-For; give ${TRUST_PROXY_FORMS}`);
  }
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops < 1 || hops > 10) throw new ConfigError(`${name} as a number of proxies must be between 1 and 10, got ${raw}`);
    return { hops };
  }
  const addresses = raw.split(',').map((entry) => entry.trim());
  const bad = addresses.find((entry) => !isTrustedProxyEntry(entry));
  if (bad !== undefined) throw new ConfigError(`${name} must be false, ${TRUST_PROXY_FORMS}; "${bad}" is neither`);
  return { addresses };
}

/** A secret taken from the environment: at least 32 characters, no spaces. */
function tokenSetting(env: Env, name: string): string | undefined {
  const value = env[name] || undefined;
  if (value !== undefined && (value.length < 32 || /\s/.test(value))) throw new ConfigError(`${name} must be at least 32 characters with no spaces`);
  return value;
}

const KEY_FORMAT = '32 bytes as 64 hex digits or as base64 (e.g. the output of openssl rand -base64 32)';

function secretKeySetting(env: Env): { current: Buffer | undefined; previous: Buffer[] } {
  const raw = env.WUTS_SECRET_KEY?.trim() || undefined;
  const current = raw === undefined ? undefined : parseSecretKey(raw);
  if (raw !== undefined && !current) throw new ConfigError(`WUTS_SECRET_KEY must be ${KEY_FORMAT}`);
  const previousRaw = env.WUTS_SECRET_KEY_PREVIOUS?.trim() || undefined;
  if (previousRaw === undefined) return { current, previous: [] };
  if (!current) throw new ConfigError('WUTS_SECRET_KEY_PREVIOUS needs WUTS_SECRET_KEY: the new key that replaces them');
  const previous = previousRaw.split(',').map((part, i) => {
    const key = parseSecretKey(part);
    if (!key) throw new ConfigError(`WUTS_SECRET_KEY_PREVIOUS must be comma-separated keys of ${KEY_FORMAT}; entry ${i + 1} is not`);
    return key;
  });
  if (previous.some((k) => k.equals(current))) throw new ConfigError('WUTS_SECRET_KEY_PREVIOUS must not repeat WUTS_SECRET_KEY');
  return { current, previous };
}

const S3_SETTINGS = [
  'WUTS_S3_ENDPOINT',
  'WUTS_S3_BUCKET',
  'WUTS_S3_REGION',
  'WUTS_S3_ACCESS_KEY_ID',
  'WUTS_S3_SECRET_ACCESS_KEY',
  'WUTS_S3_FORCE_PATH_STYLE',
] as const;

/** WUTS_MEDIA_STORE and the WUTS_S3_* settings; a bad combination names the setting to fix. */
function mediaStoreSetting(env: Env): MediaStoreSettings {
  const kind = (env.WUTS_MEDIA_STORE?.trim() || 'fs').toLowerCase();
  const value = (name: (typeof S3_SETTINGS)[number]) => env[name]?.trim() || undefined;
  if (kind === 'fs') {
    const stray = S3_SETTINGS.find((name) => value(name) !== undefined);
    if (stray) throw new ConfigError(`${stray} is set but WUTS_MEDIA_STORE is fs: set WUTS_MEDIA_STORE=s3 to keep media in S3, or unset ${stray}`);
    return { kind: 'fs' };
  }
  if (kind !== 's3') throw new ConfigError(`WUTS_MEDIA_STORE must be fs or s3, got "${env.WUTS_MEDIA_STORE}"`);
  const bucket = value('WUTS_S3_BUCKET');
  if (!bucket) throw new ConfigError('WUTS_S3_BUCKET is required when WUTS_MEDIA_STORE=s3');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError(`WUTS_S3_BUCKET must be a bucket name (3 to 63 lower-case letters, digits, dots and hyphens), got "${bucket}"`);
  }
  const endpoint = value('WUTS_S3_ENDPOINT');
  if (endpoint !== undefined && (!/^https?:\/\/[^\s]+$/.test(endpoint) || !URL.canParse(endpoint))) {
    throw new ConfigError(`WUTS_S3_ENDPOINT must be an http:// or https:// URL, got "${endpoint}"`);
  }
  const region = value('WUTS_S3_REGION') ?? 'us-east-1';
  if (!/^[a-z0-9-]{1,64}$/.test(region)) throw new ConfigError(`WUTS_S3_REGION must be a region name such as us-east-1, got "${region}"`);
  const accessKeyId = value('WUTS_S3_ACCESS_KEY_ID');
  const secretAccessKey = value('WUTS_S3_SECRET_ACCESS_KEY');
  if (accessKeyId && !secretAccessKey) throw new ConfigError('WUTS_S3_SECRET_ACCESS_KEY is required when WUTS_S3_ACCESS_KEY_ID is set');
  if (secretAccessKey && !accessKeyId) throw new ConfigError('WUTS_S3_ACCESS_KEY_ID is required when WUTS_S3_SECRET_ACCESS_KEY is set');
  return { kind: 's3', endpoint, bucket, region, accessKeyId, secretAccessKey, forcePathStyle: boolSetting(env, 'WUTS_S3_FORCE_PATH_STYLE', false) };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql:// (leave it unset for the embedded SQLite)');
  }
  const masterToken = tokenSetting(env, 'WUTS_MASTER_TOKEN');
  const metricsToken = tokenSetting(env, 'WUTS_METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken === masterToken) throw new ConfigError('WUTS_METRICS_TOKEN must differ from WUTS_MASTER_TOKEN');
  const secretKeys = secretKeySetting(env);
  const requestTimeoutSeconds = intSetting(env, 'WUTS_REQUEST_TIMEOUT_SECONDS', 30, 1, 3600);
  const headersTimeoutSeconds = intSetting(env, 'WUTS_HEADERS_TIMEOUT_SECONDS', Math.min(10, requestTimeoutSeconds), 1, 3600);
  if (headersTimeoutSeconds > requestTimeoutSeconds) {
    throw new ConfigError(`WUTS_HEADERS_TIMEOUT_SECONDS must not exceed WUTS_REQUEST_TIMEOUT_SECONDS (${requestTimeoutSeconds}), got ${headersTimeoutSeconds}`);
  }
  const waWsUrl = env.WUTS_WA_WS_URL?.trim() || undefined;
  if (waWsUrl && (!/^wss?:\/\/[^\s]+$/.test(waWsUrl) || !URL.canParse(waWsUrl))) {
    throw new ConfigError(`WUTS_WA_WS_URL must be a ws:// or wss:// URL, got "${waWsUrl}"`);
  }
  const waMediaHost = env.WUTS_WA_MEDIA_HOST?.trim() || 'mmg.whatsapp.net';
  if (!/^[a-zA-Z0-9.-]+(:[0-9]{1,5})?$/.test(waMediaHost))
    throw new ConfigError(`WUTS_WA_MEDIA_HOST must be a host name with an optional port, got "${waMediaHost}"`);
  const waMediaCaPem = readPemSetting(env, 'WUTS_WA_MEDIA_CA_FILE');
  const logLevel = (env.LOG_LEVEL?.trim() || 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  const logFormat = (env.WUTS_LOG_FORMAT?.trim() || 'json').toLowerCase();
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new ConfigError(`WUTS_LOG_FORMAT must be json or pretty, got "${env.WUTS_LOG_FORMAT}"`);
  const host = env.HOST?.trim() || '0.0.0.0';
  return {
    port: intSetting(env, 'PORT', 8080, 0, 65535),
    host,
    databaseUrl,
    waMediaHost,
    waMediaCaPem,
    pgConnectTimeoutMs: intSetting(env, 'WUTS_PG_CONNECT_TIMEOUT_SECONDS', 10, 1, 600) * 1000,
    pgStatementTimeoutMs: intSetting(env, 'WUTS_PG_STATEMENT_TIMEOUT_SECONDS', 30, 1, 86_400) * 1000,
    dataDir: path.resolve(env.WUTS_DATA_DIR?.trim() || './data'),
    masterToken,
    secretKey: secretKeys.current,
    previousSecretKeys: secretKeys.previous,
    waWsUrl,
    allowPrivateWebhooks: boolSetting(env, 'WUTS_ALLOW_PRIVATE_WEBHOOKS', false),
    logLevel,
    dashboardDir: builtDashboardDir(),
    logFormat,
    bodyLimitBytes: intSetting(env, 'WUTS_BODY_LIMIT_BYTES', 1_048_576, 1024, 100 * 1_048_576),
    mediaMaxBytes: {
      image: intSetting(env, 'WUTS_MAX_IMAGE_BYTES', 16 * MIB, 1024, 2048 * MIB),
      video: intSetting(env, 'WUTS_MAX_VIDEO_BYTES', 64 * MIB, 1024, 2048 * MIB),
      audio: intSetting(env, 'WUTS_MAX_AUDIO_BYTES', 16 * MIB, 1024, 2048 * MIB),
      document: intSetting(env, 'WUTS_MAX_DOCUMENT_BYTES', 100 * MIB, 1024, 2048 * MIB),
      sticker: intSetting(env, 'WUTS_MAX_STICKER_BYTES', MIB, 1024, 100 * MIB),
    },
    inlineMediaMaxBytes: intSetting(env, 'WUTS_INLINE_MEDIA_MAX_BYTES', 16 * MIB, 1024, 100 * MIB),
    mediaFetchTimeoutMs: intSetting(env, 'WUTS_MEDIA_FETCH_TIMEOUT_SECONDS', 60, 1, 3600) * 1000,
    mediaDownloadAttempts: intSetting(env, 'WUTS_MEDIA_DOWNLOAD_ATTEMPTS', 5, 1, 20),
    ffmpegPath: env.WUTS_FFMPEG_PATH?.trim() || 'ffmpeg',
    requestTimeoutMs: requestTimeoutSeconds * 1000,
    headersTimeoutMs: headersTimeoutSeconds * 1000,
    keepAliveTimeoutMs: intSetting(env, 'WUTS_KEEP_ALIVE_TIMEOUT_SECONDS', 72, 1, 3600) * 1000,
    maxConnections: intSetting(env, 'WUTS_MAX_CONNECTIONS', 10_000, 1, 1_000_000),
    metricsToken,
    maxUsersPerTenant: intSetting(env, 'WUTS_MAX_USERS_PER_TENANT', 100, 1, 1_000_000),
    maxTokensPerUser: intSetting(env, 'WUTS_MAX_TOKENS_PER_USER', 50, 1, 10_000),
    sessionTtlHours: intSetting(env, 'WUTS_SESSION_TTL_HOURS', 168, 1, 24 * 366),
    authCacheEntries: intSetting(env, 'WUTS_AUTH_CACHE_ENTRIES', 10_000, 0, 1_000_000),
    authCacheMaxAgeMs: intSetting(env, 'WUTS_AUTH_CACHE_MAX_AGE_SECONDS', 60, 1, 86_400) * 1000,
    authSyncTimeoutMs: intSetting(env, 'WUTS_AUTH_SYNC_TIMEOUT_MS', 2000, 200, 60_000),
    loginMaxFailuresPerAccount: intSetting(env, 'WUTS_LOGIN_MAX_FAILURES_PER_ACCOUNT', 5, 1, 10_000),
    loginMaxFailuresPerAddress: intSetting(env, 'WUTS_LOGIN_MAX_FAILURES_PER_ADDRESS', 20, 1, 100_000),
    loginFailureWindowSeconds: intSetting(env, 'WUTS_LOGIN_FAILURE_WINDOW_SECONDS', 900, 1, 86_400 * 7),
    trustProxy: trustProxySetting(env),
    maxWebhooksPerTenant: intSetting(env, 'WUTS_MAX_WEBHOOKS_PER_TENANT', 10, 1, 1000),
    webhookTimeoutMs: intSetting(env, 'WUTS_WEBHOOK_TIMEOUT_SECONDS', 15, 1, 120) * 1000,
    webhookRetryScheduleMs: scheduleSetting(
      env,
      'WUTS_WEBHOOK_RETRY_SCHEDULE',
      [0, 5, 300, 1800, 7200, 18000, 36000, 36000].map((s) => s * 1000),
    ),
    webhookConcurrency: intSetting(env, 'WUTS_WEBHOOK_CONCURRENCY', 32, 1, 1000),
    webhookConcurrencyPerWebhook: intSetting(env, 'WUTS_WEBHOOK_CONCURRENCY_PER_WEBHOOK', 4, 1, 100),
    webhookDisableAfterMs: intSetting(env, 'WUTS_WEBHOOK_DISABLE_AFTER_HOURS', 72, 1, 24 * 90) * 3_600_000,
    webhookSecretGraceMs: intSetting(env, 'WUTS_WEBHOOK_SECRET_GRACE_HOURS', 24, 0, 24 * 30) * 3_600_000,
    eventRetentionDays: intSetting(env, 'WUTS_EVENT_RETENTION_DAYS', 7, 1, 3650),
    maxStreamsPerTenant: intSetting(env, 'WUTS_MAX_STREAMS_PER_TENANT', 10, 1, 1000),
    maxDevicesPerTenant: intSetting(env, 'WUTS_MAX_DEVICES_PER_TENANT', 10, 1, 10_000),
    connectAttemptsPerMinute: intSetting(env, 'WUTS_CONNECT_ATTEMPTS_PER_MINUTE', 10, 1, 1000),
    qrRequestsPerMinute: intSetting(env, 'WUTS_QR_REQUESTS_PER_MINUTE', 60, 1, 10_000),
    sendIntervalMs: intSetting(env, 'WUTS_SEND_INTERVAL_MS', 1000, 0, 600_000),
    sendJitterPercent: intSetting(env, 'WUTS_SEND_JITTER_PERCENT', 30, 0, 100),
    sendWindow: intSetting(env, 'WUTS_SEND_WINDOW', 4, 1, 64),
    messageTtlSeconds: intSetting(env, 'WUTS_MESSAGE_TTL_SECONDS', 86_400, 10, 30 * 86_400),
    sendMaxAttempts: intSetting(env, 'WUTS_SEND_MAX_ATTEMPTS', 10, 1, 100),
    inboundStoreAttempts: intSetting(env, 'WUTS_INBOUND_STORE_ATTEMPTS', 5, 1, 20),
    sendAckTimeoutMs: intSetting(env, 'WUTS_SEND_ACK_TIMEOUT_SECONDS', 30, 1, 600) * 1000,
    maxQueuedPerDevice: intSetting(env, 'WUTS_MAX_QUEUED_PER_DEVICE', 10_000, 1, 10_000_000),
    checkNumbersPerMinute: intSetting(env, 'WUTS_CHECK_NUMBERS_PER_MINUTE', 10, 1, 10_000),
    webhookTestsPerMinute: intSetting(env, 'WUTS_WEBHOOK_TESTS_PER_MINUTE', 10, 1, 10_000),
    deliveryRetriesPerMinute: intSetting(env, 'WUTS_DELIVERY_RETRIES_PER_MINUTE', 60, 1, 100_000),
    idempotencyHours: intSetting(env, 'WUTS_IDEMPOTENCY_HOURS', 24, 24, 24 * 30),
    shutdownGraceMs: intSetting(env, 'WUTS_SHUTDOWN_GRACE_SECONDS', 10, 0, 600) * 1000,
    emulatorPort: boolSetting(env, 'WUTS_EMULATOR', false) ? intSetting(env, 'WUTS_EMULATOR_PORT', 7080, 0, 65535) : undefined,
    emulatorAdminToken: tokenSetting(env, 'WUTS_EMULATOR_ADMIN_TOKEN'),
    emulatorWithRealSessions: boolSetting(env, 'WUTS_EMULATOR_WITH_REAL_SESSIONS', false),
    mediaStore: mediaStoreSetting(env),
    // S3 copies an object of at most 5 GB in one request (the move from the upload's temporary key).
    mediaMaxUploadBytes: intSetting(env, 'WUTS_MEDIA_MAX_UPLOAD_BYTES', 100 * 1_048_576, 1024, 4 * 1024 * 1_048_576),
    mediaUploadTtlHours: intSetting(env, 'WUTS_MEDIA_UPLOAD_TTL_HOURS', 24, 1, 24 * 365),
    mediaQuotaBytesPerTenant: intSetting(env, 'WUTS_MEDIA_QUOTA_BYTES_PER_TENANT', 5 * 1024 * 1_048_576, 0, Number.MAX_SAFE_INTEGER),
    mediaRetentionDays: intSetting(env, 'WUTS_MEDIA_RETENTION_DAYS', 30, 0, 36_500),
    cluster: clusterSetting(env),
  };
}
