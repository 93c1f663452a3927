/** The event types a webhook may subscribe to (README "Events and webhooks"), by family. */
export const EVENT_FAMILIES: readonly { family: string; types: readonly string[] }[] = [
  {
    family: 'message.*',
    types: ['message.received', 'message.sent', 'message.status', 'message.receipt', 'message.edited', 'message.deleted', 'message.reaction', 'message.media'],
  },
  { family: 'device.*', types: ['device.qr', 'device.connected', 'device.disconnected', 'device.logged_out', 'device.restricted', 'device.unrestricted'] },
  { family: 'group.*', types: ['group.created', 'group.updated', 'group.participants', 'group.join_request'] },
  { family: 'chat.*', types: ['chat.presence'] },
  { family: 'user.*', types: ['user.created', 'user.updated', 'user.deleted'] },
  { family: 'tenant.*', types: ['tenant.updated'] },
];
