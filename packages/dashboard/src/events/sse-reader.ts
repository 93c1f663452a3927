/** One message of a `text/event-stream`. */
export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * Splits a text/event-stream body into messages as chunks arrive (comments and `retry:` are
 * ignored). EventSource cannot send an Authorization header, so the stream is read with fetch.
 */
export class SseParser {
  private buffer = '';
  private id: string | null = null;
  private event = '';
  private data: string[] = [];

  push(chunk: string, emit: (message: SseMessage) => void): void {
    this.buffer += chunk;
    let newline = this.buffer.search(/\r\n|\r|\n/);
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith('\r\n', newline) ? 2 : 1;
      this.buffer = this.buffer.slice(newline + width);
      this.line(line, emit);
      newline = this.buffer.search(/\r\n|\r|\n/);
    }
  }

  private line(line: string, emit: (message: SseMessage) => void): void {
    if (line === '') {
      if (this.data.length > 0) emit({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id') this.id = value;
  }
}
