import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** A child process whose output (stdout and stderr together) is kept. */
export interface RunningProcess {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  /** Resolves with the output once `pattern` matches it; rejects after `timeoutMs` or when the process exits first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Sends `signal` (SIGTERM by default) and resolves with the exit code; SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/** Starts `node <args>` with only PATH and `env` in its environment. */
export function startNodeProcess(args: string[], env: Record<string, string | undefined>): RunningProcess {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, ...env } });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of [...listeners]) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.on('exit', () => {
    for (const l of [...listeners]) l();
  });
  return {
    child,
    output: () => out,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const finish = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        const check = () => {
          if (pattern.test(out)) {
            finish();
            resolve(out);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            finish();
            reject(new Error(`node ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${out}`));
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`node ${args.join(' ')} did not print ${pattern} in ${timeoutMs} ms:\n${out}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(kill);
      return code;
    },
  };
}
