import { executionAsyncResource } from 'node:async_hooks';
import { addTransactionCapability, type SignalDataTypeMap, type SignalKeyStore } from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

// Baileys gives every socket's Signal key store a transaction context held in an
// AsyncLocalStorage. WUTS's patch (patches/@whiskeysockets+baileys+7.0.0-rc14.patch) makes all
// key stores share one: before Node 24, each AsyncLocalStorage that ever ran adds work to every
// promise the process creates, so one per socket made a node with 1,000 devices spend most of
// its CPU there (bench/README.md, device density).

const logger = pino({ level: 'silent' });
const opts = { maxCommitRetries: 1, delayBetweenTriesMs: 1 };

function memoryStore(): { store: SignalKeyStore; data: Record<string, Record<string, unknown>> } {
  const data: Record<string, Record<string, unknown>> = {};
  const store: SignalKeyStore = {
    get: async (type, ids) => Object.fromEntries(ids.flatMap((id) => (data[type]?.[id] ? [[id, data[type][id]]] : []))) as never,
    set: async (update) => {
      for (const [type, values] of Object.entries(update)) Object.assign((data[type] ??= {}), values);
    },
  };
  return { store, data };
}

/**
 * How many AsyncLocalStorage instances put their store on a new async resource. Node before the
 * AsyncContextFrame (the default from 24) keeps one symbol-keyed property per enabled instance on
 * every resource; with AsyncContextFrame there are none, and the count stays 0.
 */
const storagesOnANewResource = () =>
  new Promise<number>((resolve) => setImmediate(() => resolve(Object.getOwnPropertySymbols(executionAsyncResource()).length)));

const session = (id: string): { [id: string]: SignalDataTypeMap['session'] } => ({ [id]: new Uint8Array([1, 2, 3]) });

describe("Baileys' Signal key transactions (patched: one AsyncLocalStorage for all sockets)", () => {
  it('adds at most one AsyncLocalStorage to every async resource, however many key stores ran a transaction', async () => {
    const before = await storagesOnANewResource();
    const stores = Array.from({ length: 50 }, () => addTransactionCapability(memoryStore().store, logger, opts));
    for (const keys of stores) await keys.transaction(async () => keys.set({ session: session('a') }), 'k');
    expect((await storagesOnANewResource()) - before).toBeLessThanOrEqual(1);
  });

  it('keeps the transactions of two key stores apart, one nested in the other', async () => {
    const a = memoryStore();
    const b = memoryStore();
    const keysA = addTransactionCapability(a.store, logger, opts);
    const keysB = addTransactionCapability(b.store, logger, opts);
    const seen: Record<string, unknown> = {};
    await keysA.transaction(async () => {
      await keysA.set({ session: session('in-a') });
      seen.bInTxBefore = keysB.isInTransaction();
      await keysB.transaction(async () => {
        await keysB.set({ session: session('in-b') });
        seen.aInTx = keysA.isInTransaction();
        seen.bInTx = keysB.isInTransaction();
        // each sees its own uncommitted write only
        seen.aSeesB = Object.keys(await keysA.get('session', ['in-b']));
        seen.bSeesA = Object.keys(await keysB.get('session', ['in-a']));
        seen.aSeesOwn = Object.keys(await keysA.get('session', ['in-a']));
      }, 'k');
      // B committed when its transaction ended; A has not yet
      seen.bCommitted = Object.keys(b.data.session ?? {});
      seen.aCommittedEarly = Object.keys(a.data.session ?? {});
    }, 'k');
    expect(seen).toEqual({
      bInTxBefore: false,
      aInTx: true,
      bInTx: true,
      aSeesB: [],
      bSeesA: [],
      aSeesOwn: ['in-a'],
      bCommitted: ['in-b'],
      aCommittedEarly: [],
    });
    expect(Object.keys(a.data.session ?? {})).toEqual(['in-a']);
    expect(keysA.isInTransaction()).toBe(false);
  });
});
