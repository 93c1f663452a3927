import type { BinaryNode } from './baileys.js';
import type { KeyPair } from './noise.js';

/** Everything the emulator persists. Buffers survive JSON through Baileys' BufferJSON. */
export interface EmulatorState {
  version: 1;
  serverStatic: KeyPair;
  certRoot: KeyPair;
  accounts: Record<string, AccountRecord>;
}

export interface AccountRecord {
  phone: string;
  lid: string;
  name: string;
  /** the account's identity: signs the ADV identity of every linked device */
  identity: KeyPair;
  createdAt: string;
  nextDeviceId: number;
  nextKeyIndex: number;
  devices: Record<string, DeviceRecord>;
  /** auth state (creds and Signal keys) of the internal Baileys client acting as the phone */
  phoneAuth?: SerializedAuth;
  received: ReceivedMessage[];
  sent: SentMessage[];
}

export type DeviceKind = 'phone' | 'companion';

export interface DeviceRecord {
  id: number;
  kind: DeviceKind;
  keyIndex: number;
  platform: string;
  noiseKey: Uint8Array;
  identityKey: Uint8Array;
  registrationId: number;
  signedPreKey?: SignedPreKey;
  /** one-time pre-keys by id (public halves); consumed by bundle fetches */
  preKeys: Record<string, Uint8Array>;
  linkedAt: string;
  /** stanzas waiting for this device's ack; sent again at its next login */
  queue: QueuedStanza[];
}

export interface SignedPreKey {
  id: number;
  public: Uint8Array;
  signature: Uint8Array;
}

export interface QueuedStanza {
  /** `${tag}|${id}|${from}`: what the client's <ack> names */
  key: string;
  node: BinaryNode;
  at: number;
}

export interface SerializedAuth {
  creds: unknown;
  keys: Record<string, Record<string, unknown>>;
}

export interface ReceivedMessage {
  id: string;
  from: string;
  fromJid: string;
  text: string | null;
  type: string;
  timestamp: string;
  read: boolean;
  /** the chat key as the phone's client knows it, to send the read receipt */
  remoteJid: string;
}

export type SentStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'played' | 'failed';

export interface SentMessage {
  id: string;
  to: string;
  toJid: string;
  text: string;
  status: SentStatus;
  timestamp: string;
  updatedAt: string;
  error?: string;
}

/** Bounds on everything a client or an admin caller can make grow. */
export const LIMITS = {
  accounts: 10_000,
  devicesPerAccount: 8,
  queuePerDevice: 1_000,
  preKeysPerDevice: 2_000,
  storedMessagesPerAccount: 1_000,
  trafficEntries: 500,
  frameBytes: 4 * 1024 * 1024,
  httpBodyBytes: 64 * 1024,
  textChars: 4_096,
  pairingRefs: 6,
  /** devices waiting for a pairing code to be typed, per account (the oldest goes first) */
  codePairingsPerAccount: 3,
  codePairingTtlMs: 3 * 60_000,
  /** wrong codes typed before the request is dropped */
  codePairingAttempts: 5,
  usyncUsers: 500,
  keyFetchUsers: 500,
} as const;
