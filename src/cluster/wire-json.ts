/** JSON for commands between nodes: Buffers (group pictures) travel as base64 and come back as Buffers. */
const BUFFER_TAG = '$buffer';

export function encodeWire(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    return Buffer.isBuffer(raw) ? { [BUFFER_TAG]: raw.toString('base64') } : v;
  });
}

export function decodeWire(json: string): unknown {
  return JSON.parse(json, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const tagged = (v as Record<string, unknown>)[BUFFER_TAG];
      if (typeof tagged === 'string' && Object.keys(v).length === 1) return Buffer.from(tagged, 'base64');
    }
    return v;
  });
}
