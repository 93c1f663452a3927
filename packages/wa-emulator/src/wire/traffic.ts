import type { BinaryNode } from '../baileys.js';

export interface TrafficEntry {
  at: string;
  direction: 'in' | 'out';
  /** the device jid of the connection, or a connection number before login */
  peer: string;
  tag: string;
  attrs: Record<string, string>;
  /** first child tag, which names what an iq or ib is about */
  child?: string;
}

/** The last N stanzas in and out, for debugging (bounded ring buffer; no payload bytes). */
export class TrafficLog {
  private readonly entries: TrafficEntry[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  record(direction: TrafficEntry['direction'], peer: string, node: BinaryNode): void {
    const first = Array.isArray(node.content) ? node.content[0] : undefined;
    const entry: TrafficEntry = { at: new Date().toISOString(), direction, peer, tag: node.tag, attrs: { ...node.attrs } };
    if (first) entry.child = first.tag;
    if (this.entries.length < this.capacity) this.entries.push(entry);
    else this.entries[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Newest first. */
  recent(limit: number): TrafficEntry[] {
    const ordered = this.entries.length < this.capacity ? [...this.entries] : [...this.entries.slice(this.next), ...this.entries.slice(0, this.next)];
    return ordered.reverse().slice(0, limit);
  }
}
