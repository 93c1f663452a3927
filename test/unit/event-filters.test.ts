import { describe, expect, it } from 'vitest';
import { eventVersion, filterMatches, isKnownFilter } from '../../src/events/catalog.js';

// Webhook event filters and `?types=` on the live stream: exact types or families (`message.*`).

describe('isKnownFilter', () => {
  it.each([
    ['user.created', true],
    ['tenant.updated', true],
    ['device.qr', true],
    ['message.received', true],
    ['webhook.test', true],
    ['chat.presence', true],
    ['device.restricted', true],
    ['device.unrestricted', true],
    ['device.restriction', false],
    ['message.*', true],
    ['device.*', true],
    ['user.*', true],
    ['tenant.*', true],
    ['chat.*', true],
    ['webhook.*', true],
    ['message.unknown', false],
    ['group.created', true],
    ['group.join_request', true],
    ['group.*', true],
    ['group.deleted', false],
    ['groups.*', false],
    ['*', false],
    ['.*', false],
    ['message', false],
    ['message.', false],
    ['messages.*', false],
    ['', false],
  ])('%j: %s', (filter, expected) => {
    expect(isKnownFilter(filter)).toBe(expected);
  });
});

describe('filterMatches', () => {
  it.each([
    [null, 'message.received', true],
    [[], 'message.received', true],
    [['message.received'], 'message.received', true],
    [['message.received'], 'message.sent', false],
    [['message.*'], 'message.sent', true],
    [['message.*'], 'messages.sent', false],
    [['message.*'], 'device.connected', false],
    [['device.qr', 'user.*'], 'user.deleted', true],
    [['device.qr', 'user.*'], 'device.qr', true],
    [['device.qr', 'user.*'], 'device.connected', false],
    [['device.*'], 'device.logged_out', true],
    [['device.*'], 'device.restricted', true],
    [['device.*'], 'device.unrestricted', true],
    [['device.restricted'], 'device.unrestricted', false],
    [['device.unrestricted'], 'device.restricted', false],
  ] as const)('%j lets %s through: %s', (filters, type, expected) => {
    expect(filterMatches(filters === null ? null : [...filters], type)).toBe(expected);
  });
});

describe('eventVersion', () => {
  it('is 1 for the types of the catalog, and refuses others', () => {
    expect(eventVersion('message.received')).toBe(1);
    expect(eventVersion('user.created')).toBe(1);
    expect(eventVersion('group.participants')).toBe(1);
    expect(eventVersion('device.restricted')).toBe(1);
    expect(eventVersion('device.unrestricted')).toBe(1);
    expect(() => eventVersion('group.deleted')).toThrow('unknown event type group.deleted');
  });
});
