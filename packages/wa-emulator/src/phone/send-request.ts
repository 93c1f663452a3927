import { BadRequestError } from '../errors.js';
import type { OutgoingContent } from './message-content.js';

/** The body of POST /admin/accounts/:phone/messages, as the schema lets it through. */
export interface SendRequest {
  to: string;
  type?: 'text' | 'location' | 'contact' | 'poll';
  text?: string;
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  contact?: { name: string; vcard: string };
  poll?: { name: string; options: string[]; selectable_count?: number };
  quoted_id?: string;
  /** a quoted id sent as it is, not looked up (hostile-peer tests) */
  unchecked_quoted_id?: string;
  /** the message's own id, as given (hostile-peer tests) */
  unchecked_id?: string;
}

/** Which message a send quotes: one of the account's (looked up), or any id at all (unchecked). */
export type QuoteRequest = { id: string; unchecked: boolean } | undefined;

export function quoteOf(req: SendRequest): QuoteRequest {
  if (req.quoted_id !== undefined && req.unchecked_quoted_id !== undefined)
    throw new BadRequestError('invalid_message', 'quoted_id and unchecked_quoted_id exclude each other');
  if (req.unchecked_quoted_id !== undefined) return { id: req.unchecked_quoted_id, unchecked: true };
  return req.quoted_id !== undefined ? { id: req.quoted_id, unchecked: false } : undefined;
}

const CONTENT_FIELDS = ['text', 'location', 'contact', 'poll'] as const;

/** What the phone sends for a request: the field named by `type` (default text), and no other. */
export function outgoingContent(req: SendRequest): OutgoingContent {
  const type = req.type ?? 'text';
  const extra = CONTENT_FIELDS.filter((f) => f !== type && req[f] !== undefined);
  if (extra.length > 0) throw new BadRequestError('invalid_message', `a ${type} message takes no ${extra.join(', ')}`);
  switch (type) {
    case 'text':
      if (req.text === undefined) throw new BadRequestError('invalid_message', 'a text message needs text');
      return { type, text: req.text };
    case 'location':
      if (!req.location) throw new BadRequestError('invalid_message', 'a location message needs location: {latitude, longitude, name?, address?}');
      return { type, location: req.location };
    case 'contact':
      if (!req.contact) throw new BadRequestError('invalid_message', 'a contact message needs contact: {name, vcard}');
      return { type, contact: req.contact };
    case 'poll': {
      const poll = req.poll;
      if (!poll) throw new BadRequestError('invalid_message', 'a poll message needs poll: {name, options, selectable_count?}');
      if (new Set(poll.options).size !== poll.options.length) throw new BadRequestError('invalid_poll', 'poll options must be distinct');
      const selectableCount = poll.selectable_count ?? 1;
      if (selectableCount > poll.options.length)
        throw new BadRequestError('invalid_poll', `selectable_count ${selectableCount} is more than the ${poll.options.length} options`);
      return { type, poll: { name: poll.name, options: poll.options, selectableCount } };
    }
  }
}
