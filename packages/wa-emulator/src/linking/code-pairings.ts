import type { BinaryNode } from '../baileys.js';
import { LIMITS } from '../model.js';
import type { WireSession } from '../wire/session.js';

export interface PendingCodePairing {
  /** link_code_pairing_ref answered to the companion */
  ref: string;
  phone: string;
  session: WireSession;
  /** salt 32 | iv 16 | AES-CTR(companion ephemeral public key) */
  wrappedCompanionEphemeral: Buffer;
  noiseKey: Buffer;
  platform: string;
  createdAt: number;
  /** wrong codes tried against it so far */
  attempts: number;
  /** the phone is checking a code against it */
  busy: boolean;
  /** set while the phone waits for companion_finish: true when the key bundle opened */
  onFinish: ((reg: BinaryNode) => boolean) | undefined;
  /** set while the phone waits: the request went away (connection closed, expired) */
  onDrop: (() => void) | undefined;
}

/** Pending pairing-code requests: by phone (newest last) and by ref; bounded per account, expiring. */
export class CodePairings {
  private readonly byPhone = new Map<string, PendingCodePairing[]>();
  private readonly byRef = new Map<string, PendingCodePairing>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds a request; a device asking again replaces its previous one; the oldest of the account goes past the bound. */
  add(pending: PendingCodePairing): void {
    this.dropSession(pending.session);
    const list = this.live(pending.phone);
    list.push(pending);
    while (list.length > LIMITS.codePairingsPerAccount) {
      const dropped = list.shift();
      if (dropped) {
        this.byRef.delete(dropped.ref);
        dropped.onDrop?.();
      }
    }
    this.byPhone.set(pending.phone, list);
    this.byRef.set(pending.ref, pending);
  }

  /** Live requests for a phone, newest first. */
  forPhone(phone: string): PendingCodePairing[] {
    return [...this.live(phone)].reverse();
  }

  get(ref: string): PendingCodePairing | undefined {
    const pending = this.byRef.get(ref);
    return pending && !this.expired(pending) ? pending : undefined;
  }

  remove(pending: PendingCodePairing): void {
    pending.onDrop?.();
    this.byRef.delete(pending.ref);
    const list = (this.byPhone.get(pending.phone) ?? []).filter((p) => p !== pending);
    if (list.length) this.byPhone.set(pending.phone, list);
    else this.byPhone.delete(pending.phone);
  }

  /** The connection closed or is being linked: its request is gone. */
  dropSession(session: WireSession): void {
    for (const pending of [...this.byRef.values()]) if (pending.session === session) this.remove(pending);
  }

  get size(): number {
    return this.byRef.size;
  }

  private expired(pending: PendingCodePairing): boolean {
    return this.now() - pending.createdAt > LIMITS.codePairingTtlMs || pending.session.state !== 'pairing';
  }

  private live(phone: string): PendingCodePairing[] {
    const list = this.byPhone.get(phone) ?? [];
    const live = list.filter((p) => !this.expired(p));
    for (const p of list) {
      if (live.includes(p)) continue;
      this.byRef.delete(p.ref);
      p.onDrop?.();
    }
    if (live.length) this.byPhone.set(phone, live);
    else this.byPhone.delete(phone);
    return live;
  }
}
