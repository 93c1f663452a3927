import type { Session } from 'node:inspector';

// A V8 CPU profile of a bench's WUTS process (node:inspector), summarised by where the code lives.

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export function post<T = unknown>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))));
}

/** Where a frame's code lives: a package, a WUTS source folder, Node's internals, or V8's pseudo-frames. */
function categoryOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName || 'anonymous'}`;
  if (url.startsWith('node:')) return 'node (internals)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  const src = /\/dist\/(src\/[^/]+|bench)\//.exec(url) ?? /\/dist\/(src)\/[^/]+\.js/.exec(url);
  if (src) return `wuts ${src[1]}`;
  return url.replace(/^file:\/\//, '');
}

export interface ProfileSummary {
  busyMs: number;
  wallMs: number;
  categories: { name: string; ms: number }[];
  functions: { name: string; ms: number }[];
}

/** Busy time, and the `top` places and functions that took most of it (self time). */
export function summarise(profile: Profile, top = 14): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? 0));
  const cats = new Map<string, number>();
  const fns = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const cat = categoryOf(node.callFrame);
    if (cat === '(idle)') continue;
    busy += us;
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    const file = node.callFrame.url.replace(/^.*\/(node_modules|dist)\//, '');
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${file ? `${file}:${node.callFrame.lineNumber + 1}` : ''}`.trim();
    fns.set(fn, (fns.get(fn) ?? 0) + us);
  }
  const best = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000 }));
  return { busyMs: busy / 1000, wallMs: (profile.endTime - profile.startTime) / 1000, categories: best(cats, top), functions: best(fns, top) };
}
