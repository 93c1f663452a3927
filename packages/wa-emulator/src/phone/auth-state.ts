import { BufferJSON, initAuthCreds, proto, type AuthenticationCreds, type AuthenticationState, type SignalDataTypeMap } from '../baileys.js';
import type { SerializedAuth } from '../model.js';

export interface MemoryAuthState {
  state: AuthenticationState;
  /** the live creds and keys, as one JSON-able object (Buffers via BufferJSON) */
  data: SerializedAuth;
}

/**
 * Baileys auth state (creds and Signal keys) held in memory. `data` is live: persisting it
 * with BufferJSON and passing the parsed copy back restores the same client.
 */
export function makeMemoryAuthState(saved?: SerializedAuth, onChange?: () => void): MemoryAuthState {
  const data: SerializedAuth = saved ?? { creds: initAuthCreds(), keys: {} };
  const creds = data.creds as AuthenticationCreds;
  const state: AuthenticationState = {
    creds,
    keys: {
      get: async (type, ids) => {
        const bucket = data.keys[type] ?? {};
        const out: { [id: string]: SignalDataTypeMap[typeof type] } = {};
        for (const id of ids) {
          let value = bucket[id];
          if (value === undefined || value === null) continue;
          if (type === 'app-state-sync-key') value = proto.Message.AppStateSyncKeyData.fromObject(value as object);
          out[id] = value as SignalDataTypeMap[typeof type];
        }
        return out;
      },
      set: async (update) => {
        for (const type of Object.keys(update) as (keyof SignalDataTypeMap)[]) {
          const bucket = (data.keys[type] ??= {});
          for (const [id, value] of Object.entries(update[type] ?? {})) {
            if (value === null || value === undefined) delete bucket[id];
            else bucket[id] = value;
          }
        }
        onChange?.();
      },
    },
  };
  return { state, data };
}

/** A deep copy through JSON, as a restart from a database or a file would give. */
export function cloneAuth(data: SerializedAuth): SerializedAuth {
  return JSON.parse(JSON.stringify(data, BufferJSON.replacer), BufferJSON.reviver) as SerializedAuth;
}
