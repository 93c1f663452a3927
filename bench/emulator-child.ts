import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmulatorAdminClient } from '@wuts/wa-emulator';

const MAIN_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/main.js');

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
      timer.unref();
    }),
  ]);
}

export interface EmulatorChild {
  url: string;
  wsUrl: string;
  pid: number;
  close(): Promise<void>;
}

/** `wuts emulator --port 0` (and `args`, e.g. `--state FILE`) in a child process (so its CPU and memory stay apart); resolves with the URLs it prints. */
export async function spawnEmulator(args: string[] = []): Promise<EmulatorChild> {
  const child: ChildProcess = spawn(process.execPath, [MAIN_JS, 'emulator', '--port', '0', ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  let out = '';
  let err = '';
  const tail = (s: string) => s.slice(-2000);
  child.stderr?.on('data', (d: Buffer) => (err = tail(err + d.toString())));
  const urls = await withTimeout(
    new Promise<{ url: string; wsUrl: string }>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        out = tail(out + d.toString());
        const ws = /wire protocol:\s+(ws:\/\/\S+)/.exec(out)?.[1];
        const admin = /admin API:\s+(http:\/\/\S+?)\/admin\/accounts/.exec(out)?.[1];
        if (ws && admin) resolve({ url: admin, wsUrl: ws });
      });
      child.once('exit', (code) => reject(new Error(`the emulator exited (${code}) before it printed its URLs: ${out} ${err}`)));
    }),
    30_000,
    'the emulator to start',
  );
  return {
    ...urls,
    pid: child.pid ?? -1,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await withTimeout(exited, 5_000, 'the emulator to stop').catch(() => child.kill('SIGKILL'));
      process.off('exit', killOnExit);
    },
  };
}

/** One call to the emulator's admin API (the package's client); throws on a non-2xx answer. */
export function emulatorApi<T = Record<string, unknown>>(base: string, method: string, url: string, body?: unknown): Promise<T> {
  return new EmulatorAdminClient(base).call<T>(method, url, body);
}
