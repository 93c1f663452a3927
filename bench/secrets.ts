// Micro-benchmark of the secret box (src/lib/secret-box.ts): AES-256-GCM seal + open of values the
// size of a Signal key row (1-2 KB of Baileys JSON), which the session store does on every key read
// and write, beside JSON.parse of the same value for scale. Figures, not pass/fail.
// Build and run: npx tsc -p tsconfig.json && node dist/bench/secrets.js [values per size]
import { randomBytes } from 'node:crypto';
import { SecretBox, secretAad } from '../src/lib/secret-box.js';

const count = Number(process.argv[2] ?? 50_000);
const box = new SecretBox(randomBytes(32));

/** A Baileys-like JSON value of about `bytes` bytes (Buffers as {"type":"Buffer","data":"<base64>"}). */
function value(bytes: number): string {
  const fields: Record<string, unknown> = {};
  for (let i = 0; JSON.stringify(fields).length < bytes; i++) fields[`k${i}`] = { type: 'Buffer', data: randomBytes(32).toString('base64') };
  return JSON.stringify(fields);
}

function rate(n: number, ms: number): string {
  return Math.round((n / ms) * 1000).toLocaleString('en-US');
}

console.log(`node ${process.version}, ${count.toLocaleString('en-US')} values per size`);
console.log('size    seal+open/s   seal/s        open/s        JSON.parse/s  µs per seal+open');
for (const size of [200, 1024, 2048, 8192]) {
  const values = Array.from({ length: 100 }, () => value(size));
  const aads = values.map((_, i) => secretAad('device_auth_keys.value_json', 'tenant', 'device', 'session', String(i)));
  // warm-up
  for (let i = 0; i < 2000; i++) box.open(box.seal(values[i % 100]!, aads[i % 100]!), aads[i % 100]!);
  const sealed: string[] = new Array(count);
  let t = performance.now();
  for (let i = 0; i < count; i++) sealed[i] = box.seal(values[i % 100]!, aads[i % 100]!);
  const sealMs = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < count; i++) if (box.open(sealed[i]!, aads[i % 100]!).length === 0) throw new Error('empty');
  const openMs = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < count; i++) JSON.parse(values[i % 100]!);
  const parseMs = performance.now() - t;
  console.log(
    `${String(values[0]!.length).padEnd(8)}${rate(count, sealMs + openMs).padEnd(14)}${rate(count, sealMs).padEnd(14)}${rate(count, openMs).padEnd(14)}${rate(count, parseMs).padEnd(14)}${(((sealMs + openMs) / count) * 1000).toFixed(1)}`,
  );
}
