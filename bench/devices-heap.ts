// Helper of bench/devices.ts: what a connected device keeps on the JS heap. Two V8 heap
// snapshots (before the devices connect, after) are summarised by constructor name (objects)
// or by kind (strings, code, arrays, ...), and the difference is printed per device.
import fs from 'node:fs';

interface Bucket {
  count: number;
  bytes: number;
}

interface SnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/**
 * Self sizes of a .heapsnapshot, grouped: objects by constructor name, the rest by kind. Arrays
 * and native buffers, which have no useful name of their own, are grouped by what holds them
 * (the constructor of their first retainer and the property it holds them by).
 */
export function summariseSnapshot(file: string): Map<string, Bucket> {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as SnapshotJson;
  const { meta } = json.snapshot;
  const fields = meta.node_fields;
  const types = meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const edgeCountAt = fields.indexOf('edge_count');
  const edgeWidth = meta.edge_fields.length;
  const edgeTypeAt = meta.edge_fields.indexOf('type');
  const edgeNameAt = meta.edge_fields.indexOf('name_or_index');
  const edgeToAt = meta.edge_fields.indexOf('to_node');
  const edgeTypes = meta.edge_types[0];
  const { nodes, edges, strings } = json;

  // the first strong retainer of each node: [retainer node index, edge name]
  const retainer = new Map<number, [number, string]>();
  for (let i = 0, e = 0; i < nodes.length; i += width) {
    const count = nodes[i + edgeCountAt]!;
    for (let k = 0; k < count; k++, e += edgeWidth) {
      const type = edgeTypes[edges[e + edgeTypeAt]!];
      if (type === 'weak' || type === 'shortcut') continue;
      const to = edges[e + edgeToAt]!;
      if (retainer.has(to)) continue;
      const nameOrIndex = edges[e + edgeNameAt]!;
      retainer.set(to, [i, type === 'element' || type === 'hidden' ? '[]' : (strings[nameOrIndex] ?? '?')]);
    }
  }
  const label = (i: number) => {
    const type = types[nodes[i + typeAt]!] ?? '?';
    const name = strings[nodes[i + nameAt]!] ?? '?';
    return type === 'object' || type === 'closure' ? name.slice(0, 40) : `(${type})`;
  };

  const out = new Map<string, Bucket>();
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]!] ?? '?';
    const name = strings[nodes[i + nameAt]!] ?? '?';
    let key = type === 'object' ? name : type === 'native' ? `(native) ${name.slice(0, 40)}` : `(${type})`;
    if (type === 'array' || type === 'native') {
      const r = retainer.get(i);
      if (r) key += ` <- ${label(r[0])}.${r[1]}`;
    }
    const bucket = out.get(key) ?? { count: 0, bytes: 0 };
    bucket.count++;
    bucket.bytes += nodes[i + sizeAt]!;
    out.set(key, bucket);
  }
  return out;
}

/** The largest growths between two summaries, per device. */
export function heapDiffLines(title: string, before: Map<string, Bucket>, after: Map<string, Bucket>, devices: number, top = 15): string[] {
  const rows = [...after.entries()].map(([key, a]) => {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    return { key, bytes: a.bytes - b.bytes, count: a.count - b.count };
  });
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  rows.sort((x, y) => y.bytes - x.bytes);
  const kb = (n: number) => (n / devices / 1024).toFixed(1).padStart(8);
  return [
    `${title}: ${kb(total).trim()} KB per device in all; largest:`,
    ...rows.slice(0, top).map((r) => `  ${kb(r.bytes)} KB  ${(r.count / devices).toFixed(0).padStart(6)} objects/device  ${r.key}`),
  ];
}
