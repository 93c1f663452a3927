import {
  BufferJSON,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { SessionStore } from '../provider.js';
import { BoundedKeyCache, KnownAbsentKeys } from './key-cache.js';

/**
 * One session's Baileys auth state over WUTS's SessionStore. Creds and keys are opaque JSON
 * strings (Buffers through BufferJSON). Every write is tracked so the session can wait for
 * them before it reports its close, and once sealed (the socket closed) later writes are
 * dropped: a stray write must not overwrite the next session's creds or bring back rows
 * that a logout cleared.
 */
export interface SessionAuth {
  state: AuthenticationState;
  /** The live creds object Baileys mutates. */
  creds: AuthenticationCreds;
  /** Queues a write of the whole creds; writes coalesce but none is lost. */
  saveCreds(): void;
  /** Settles when every write requested so far has settled. */
  flush(): Promise<void>;
  /** No more writes from this session; the key cache is dropped. */
  seal(): void;
}

export const serialise = (value: unknown): string => JSON.stringify(value, BufferJSON.replacer);
export const deserialise = <T>(json: string): T => JSON.parse(json, BufferJSON.reviver) as T;

/** True once the device completed a link (QR or pairing code) with this account. */
export function isLinked(creds: AuthenticationCreds): boolean {
  return Boolean(creds.me?.id && (creds.account || creds.registered));
}

export async function loadSessionAuth(store: SessionStore, logger: Logger): Promise<SessionAuth> {
  const saved = await store.readCreds();
  const creds = saved ? deserialise<AuthenticationCreds>(saved) : initAuthCreds();
  if (creds.me && !isLinked(creds)) {
    // A pairing code was requested and never completed: Baileys would try to log in as that
    // phone number (and get 401). Start a fresh registration instead.
    delete creds.me;
    delete creds.pairingCode;
  }

  let sealed = false;
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    void p.then(
      () => inFlight.delete(p),
      () => inFlight.delete(p),
    );
    return p;
  };

  // Keys read and not found, until written: Baileys' cache keeps only what exists, and it asks
  // again for the same missing keys (an unknown LID mapping, a privacy token) on every send.
  const absent = new KnownAbsentKeys();
  const rawKeys: SignalKeyStore = {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const wanted = ids.filter((id) => !absent.has(type, id));
      const found = wanted.length ? await store.readKeys(type, wanted) : new Map<string, string>();
      for (const id of wanted) if (!found.has(id)) absent.add(type, id);
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const [id, json] of found) {
        let value: unknown = deserialise(json);
        if (type === 'app-state-sync-key' && value) value = proto.Message.AppStateSyncKeyData.fromObject(value as object);
        out[id] = value as SignalDataTypeMap[T];
      }
      return out;
    },
    async set(data: SignalDataSet) {
      const entries: { type: string; id: string; value: string | null }[] = [];
      for (const type of Object.keys(data) as (keyof SignalDataTypeMap)[]) {
        for (const [id, value] of Object.entries(data[type] ?? {})) {
          absent.delete(type, id);
          entries.push({ type, id, value: value === null || value === undefined ? null : serialise(value) });
        }
      }
      if (entries.length === 0) return;
      if (sealed) {
        logger.debug({ keys: entries.length }, 'key write after the session closed: dropped');
        return;
      }
      await track(store.writeKeys(entries));
    },
  };
  const cache = new BoundedKeyCache();

  let credsQueued = false;
  let credsChain: Promise<void> = Promise.resolve();
  const saveCreds = () => {
    if (sealed) {
      logger.debug('creds write after the session closed: dropped');
      return;
    }
    if (credsQueued) return; // the queued write serialises the creds when it runs: it carries this change too
    credsQueued = true;
    credsChain = track(
      credsChain.then(async () => {
        credsQueued = false;
        try {
          await store.writeCreds(serialise(creds));
        } catch (err) {
          logger.error({ err }, 'saving WhatsApp creds failed');
        }
      }),
    );
  };

  return {
    state: { creds, keys: makeCacheableSignalKeyStore(rawKeys, logger, cache) },
    creds,
    saveCreds,
    async flush() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    seal() {
      sealed = true;
      cache.flushAll();
      absent.clear();
    },
  };
}
