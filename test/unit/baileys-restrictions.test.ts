import { describe, expect, it } from 'vitest';
import { capReport, timelockReport } from '../../src/whatsapp/baileys/restriction-watch.js';
import { ackRefusal } from '../../src/whatsapp/baileys/send-errors.js';
import { accountRestrictedReason } from '../../src/whatsapp/restrictions.js';

// Baileys' reports of account restrictions in WUTS's terms, and the documented failure reasons.

describe('timelockReport: connection.update reachoutTimeLock', () => {
  it('an active lock with its end and enforcement type', () => {
    const ends = new Date('2026-12-05T15:00:00Z');
    expect(timelockReport({ isActive: true, timeEnforcementEnds: ends, enforcementType: 'BIZ_QUALITY' as never })).toEqual({
      kind: 'reachout_timelock',
      active: true,
      until: ends,
      detail: 'BIZ_QUALITY',
    });
  });

  it('lifted, and an active lock without an end (or an invalid one)', () => {
    expect(timelockReport({ isActive: false, enforcementType: 'DEFAULT' as never })).toEqual({
      kind: 'reachout_timelock',
      active: false,
      until: null,
      detail: 'DEFAULT',
    });
    expect(timelockReport({ isActive: true })).toEqual({ kind: 'reachout_timelock', active: true, until: null, detail: null });
    expect(timelockReport({ isActive: true, timeEnforcementEnds: new Date(Number.NaN) })).toMatchObject({ active: true, until: null });
  });
});

describe('capReport: message-capping.update', () => {
  it('CAPPED is a restriction until the cycle ends, with the usage', () => {
    expect(capReport({ capping_status: 'CAPPED' as never, used_quota: 250, total_quota: 250, cycle_end_timestamp: '1796482800' })).toEqual({
      kind: 'new_chat_cap',
      active: true,
      until: new Date(1796482800 * 1000),
      detail: '250/250 messages to new chats',
    });
  });

  it('warnings and NONE are no restriction; a missing end is null', () => {
    expect(capReport({ capping_status: 'SECOND_WARNING' as never, used_quota: 240, total_quota: 250 })).toEqual({
      kind: 'new_chat_cap',
      active: false,
      until: null,
      detail: '240/250 messages to new chats',
    });
    expect(capReport({ capping_status: 'NONE' as never })).toEqual({ kind: 'new_chat_cap', active: false, until: null, detail: null });
  });
});

describe('account_restricted reasons', () => {
  it('name until when, and what still works', () => {
    expect(accountRestrictedReason({ kind: 'reachout_timelock', until: '2026-12-05T15:00:00.000Z' })).toBe(
      'account_restricted: WhatsApp does not let this account start new chats until 2026-12-05T15:00:00Z (reach-out time-lock); chats it already has still work',
    );
    expect(accountRestrictedReason({ kind: 'new_chat_cap', until: null })).toBe(
      'account_restricted: WhatsApp does not let this account start new chats for now (new-chat message cap); chats it already has still work',
    );
    expect(accountRestrictedReason(null)).toBe(
      'account_restricted: WhatsApp refused a message to a new chat: this account may not start new chats for now (463); chats it already has still work',
    );
  });

  it('a 463 ack: permanent, with what the session knows; in a group it stays a plain refusal', () => {
    const known = accountRestrictedReason({ kind: 'reachout_timelock', until: new Date('2026-12-05T15:00:00Z') });
    expect(ackRefusal('463', false, known)).toEqual({ reason: known, permanent: true });
    expect(ackRefusal('463', false)).toEqual({ reason: accountRestrictedReason(null), permanent: true });
    expect(ackRefusal('463', true, known)).toEqual({ reason: accountRestrictedReason(null), permanent: true });
  });
});
