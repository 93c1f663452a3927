/** One message of a `text/event-stream` body: its fields, and its comment lines (`: ...`). */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comments: string[];
}

function parseBlock(block: string): SseMessage {
  const message: SseMessage = { comments: [] };
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    const value = (colon < 0 ? '' : line.slice(colon + 1)).replace(/^ /, '');
    if (colon === 0) message.comments.push(value);
    else if (colon > 0) {
      const field = line.slice(0, colon);
      if (field === 'data') message.data = message.data === undefined ? value : `${message.data}\n${value}`;
      else if (field === 'id' || field === 'event') message[field] = value;
    }
  }
  return message;
}

/**
 * Reads a Server-Sent Events body, calling `onMessage` for each message, until the stream ends,
 * breaks or its request is aborted (all three just end the reading).
 */
export async function readSse(body: ReadableStream<Uint8Array> | null, onMessage: (message: SseMessage) => void): Promise<void> {
  if (!body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        onMessage(parseBlock(block));
      }
    }
  } catch {
    // aborted or broken: the reading ends
  }
}
