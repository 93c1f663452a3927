import { describe, expect, it } from 'vitest';
import type { MessageStatus } from '../../src/db/schema.js';
import { stepsForward } from '../../src/messages/status-machine.js';

// Outbound messages move queued → sent → delivered → read, one recorded step at a time; a
// receipt that skips steps records the skipped ones too. Nothing moves backwards, and failed,
// cancelled and received (inbound) messages never take a step.
const STATUSES: readonly MessageStatus[] = ['queued', 'sent', 'delivered', 'read', 'failed', 'cancelled', 'received'];

/** The only pairs with steps; every other pair of the 7 × 7 has none. */
const FORWARD: Record<string, MessageStatus[]> = {
  'queued→sent': ['sent'],
  'queued→delivered': ['sent', 'delivered'],
  'queued→read': ['sent', 'delivered', 'read'],
  'sent→delivered': ['delivered'],
  'sent→read': ['delivered', 'read'],
  'delivered→read': ['read'],
};

const rows = STATUSES.flatMap((from) => STATUSES.map((to) => ({ from, to, steps: FORWARD[`${from}→${to}`] ?? [] })));

describe('stepsForward: every pair of statuses', () => {
  it('has 49 pairs, 6 of them with steps', () => {
    expect(rows).toHaveLength(49);
    expect(rows.filter((r) => r.steps.length > 0)).toHaveLength(6);
  });

  it.each(rows.map((r) => [`${r.from} → ${r.to}: [${r.steps.join(', ')}]`, r] as const))('%s', (_name, { from, to, steps }) => {
    expect(stepsForward(from, to)).toEqual(steps);
  });

  it('answers a new array each time (callers may keep it)', () => {
    const a = stepsForward('queued', 'read');
    a.pop();
    expect(stepsForward('queued', 'read')).toEqual(['sent', 'delivered', 'read']);
  });
});
