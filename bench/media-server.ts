// The WUTS process of bench/media.ts, a child of it so that its RSS is WUTS's alone (the bench's
// client, its bare Baileys clients and the generated files live in the parent, the emulator in
// a process of its own). WUTS as `serve` builds it (messages-common's openWuts: the real
// Baileys provider, the sender at sendIntervalMs 0 and jitter 0, the media downloader, the fs
// media store in a temporary directory), listening on 127.0.0.1 on a free port; a tenant and
// one device made here. Everything else goes through its HTTP API from the parent.
//
// Started by bench/media.ts with `--expose-gc` and an IPC channel:
//   child -> parent  {type:'ready', url, token, deviceId}
//                    {type:'mem', t, rss, heapUsed, heapTotal, external, arrayBuffers} every 100 ms
//                    {type:'settled', gcs} after a 'settle'
//                    {type:'profile', summary} after a 'profile-stop'
//                    {type:'done'} after a 'finish', then it exits
//   parent -> child  {type:'settle'}: a full GC every second, for at least 10 s and until three
//                    RSS readings after a GC agree within 0.5 MiB (at most 30 s): V8's memory
//                    reducer shrinks the heap some seconds after allocations stop (see devices.ts),
//                    so an earlier baseline would be too high
//                    {type:'profile-start'} / {type:'profile-stop'}: a V8 CPU profile of this
//                    process in between, answered summarised (self time by package and function)
//                    {type:'finish'}: closes WUTS and exits
// Arguments: --kind sqlite|postgres, --pg-url URL, --ws-url URL, --media-host HOST:PORT, --ca-file PEM
import fs from 'node:fs';
import { Session } from 'node:inspector';
import { post, summarise, type Profile } from './cpu-profile.js';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { openWuts, tenantWithDevices, type Kind } from './messages-common.js';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const send = (m: object) => process.send?.(m);

/** The sampling period of the RSS series the parent reads (ms). */
const SAMPLE_MS = 100;

async function main(): Promise<void> {
  const kind = (opt('--kind') ?? 'sqlite') as Kind;
  const w = await openWuts(kind, opt('--pg-url'), {
    waWsUrl: opt('--ws-url')!,
    waMediaHost: opt('--media-host')!,
    waMediaCaPem: fs.readFileSync(opt('--ca-file')!, 'utf8'),
    sendIntervalMs: 0,
    sendJitterPercent: 0,
  });
  const { token, deviceIds } = await tenantWithDevices(w, 1);
  await w.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(w.app.server.address() as AddressInfo).port}`;

  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    send({ type: 'mem', t: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers });
  }, SAMPLE_MS);

  const session = new Session();
  process.on('message', (m: { type: string }) => {
    if (m.type === 'settle') {
      void (async () => {
        const gc = (globalThis as { gc?: () => void }).gc;
        const rss: number[] = [];
        const start = Date.now();
        for (;;) {
          gc?.();
          await sleep(1000);
          rss.push(process.memoryUsage().rss);
          const last = rss.slice(-3);
          const agree = last.length === 3 && Math.max(...last) - Math.min(...last) < 0.5 * 1_048_576;
          if ((Date.now() - start >= 10_000 && agree) || Date.now() - start >= 30_000) break;
        }
        send({ type: 'settled', gcs: rss.length });
      })();
    }
    if (m.type === 'profile-start') {
      void (async () => {
        session.connect();
        await post(session, 'Profiler.enable');
        await post(session, 'Profiler.setSamplingInterval', { interval: 500 });
        await post(session, 'Profiler.start');
        send({ type: 'profiling' });
      })();
    }
    if (m.type === 'profile-stop') {
      void (async () => {
        const { profile } = await post<{ profile: Profile }>(session, 'Profiler.stop');
        session.disconnect();
        // the whole profile, for DevTools or a closer look (WUTS_BENCH_PROFILE_OUT=<file>.cpuprofile)
        if (process.env.WUTS_BENCH_PROFILE_OUT) fs.writeFileSync(process.env.WUTS_BENCH_PROFILE_OUT, JSON.stringify(profile));
        send({ type: 'profile', summary: summarise(profile, 12) });
      })();
    }
    if (m.type === 'finish') {
      void (async () => {
        clearInterval(sampler);
        await w.close();
        send({ type: 'done' });
        process.disconnect?.();
        setTimeout(() => process.exit(0), 200).unref();
      })();
    }
  });
  send({ type: 'ready', url, token, deviceId: deviceIds[0]! });
}

// ---------------------------------------------------------------- CPU profile, summarised
main().catch((err: unknown) => {
  console.error('media bench server:', err);
  process.exit(1);
});
