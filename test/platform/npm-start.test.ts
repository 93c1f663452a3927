// `npm start` as a newcomer runs it: no compilation (npm ci built once, through prepare), the
// server up quickly, and stopping npm (SIGTERM from a process manager, Ctrl-C's SIGINT) stops
// the server too; without a build, one line saying to run `npm run build`.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closedPort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

/** What npm start runs: a rebuild would rewrite these. */
const BUILT = ['dist/src/main.js', 'dist/src/serve.js', 'dist/src/app.js', 'packages/wa-emulator/dist/index.js'];
const MASTER = 'npm_start_master_' + randomBytes(24).toString('hex');
const tempDirs: string[] = [];
const children: ChildProcess[] = [];

afterAll(() => {
  // each npm leads a process group of its own: whatever it left running (a server npm did not stop) goes with it
  for (const child of children) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** npm's own environment, without the variables of the npm that runs the tests (npm_config_*, npm_lifecycle_*). */
function npmEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.toLowerCase().startsWith('npm_')) env[key] = value;
  return { ...env, ...extra };
}

function spawnNpmStart(cwd: string, env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn('npm', ['start'], { cwd, env: npmEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** True while something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const mtimes = () => BUILT.map((file) => fs.statSync(file).mtimeMs);

describe('npm start', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'starts the built server without compiling, and %s to npm stops the server',
    async (signal) => {
      const before = mtimes();
      const port = await closedPort();
      const started = Date.now();
      const npm = spawnNpmStart(process.cwd(), {
        PORT: String(port),
        HOST: '127.0.0.1',
        WUTS_DATA_DIR: tempDir('wuts-npm-start-'),
        WUTS_MASTER_TOKEN: MASTER,
        WUTS_SHUTDOWN_GRACE_SECONDS: '2',
        LOG_LEVEL: 'warn',
      });
      try {
        await until(
          `npm start answering /health on ${port}`,
          async () => {
            if (npm.child.exitCode !== null) throw new Error(`npm start exited with ${npm.child.exitCode}:\n${npm.output()}`);
            const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
            return res?.status === 200;
          },
          30_000,
        );
        const tookMs = Date.now() - started;
        console.log(`npm start answered /health after ${tookMs} ms (the target is under 5 s)`);
        expect(tookMs, npm.output()).toBeLessThan(15_000);
        expect(mtimes(), 'npm start compiled: the built files changed').toEqual(before);
        expect(npm.output()).not.toMatch(/\btsc\b|npm run build/);

        const stopping = Date.now();
        npm.child.kill(signal);
        await until(`the server closing port ${port} after ${signal} to npm`, async () => !(await listening(port)), 15_000);
        const code = await Promise.race([npm.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 15_000))]);
        expect(code, `npm still running 15 s after ${signal}:\n${npm.output()}`).not.toBe('running');
        console.log(`${signal} to npm: the server stopped in ${Date.now() - stopping} ms`);
        // nothing took the port back: the server is gone, not restarting
        await new Promise((r) => setTimeout(r, 500));
        expect(await listening(port)).toBe(false);
      } finally {
        if (npm.child.exitCode === null) npm.child.kill('SIGKILL');
      }
    },
    60_000,
  );

  it('without a build, stops at once with one line saying to run npm run build', async () => {
    // a checkout that was never built: the package and its scripts, no dist/
    const dir = tempDir('wuts-unbuilt-');
    fs.copyFileSync('package.json', path.join(dir, 'package.json'));
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.copyFileSync('scripts/check-build.mjs', path.join(dir, 'scripts', 'check-build.mjs'));
    const started = Date.now();
    const npm = spawnNpmStart(dir, { PORT: String(await closedPort()), WUTS_DATA_DIR: path.join(dir, 'data') });
    const code = await Promise.race([npm.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 20_000))]);
    expect(code, npm.output()).not.toBe('running');
    expect(code).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(npm.output()).toContain('wuts: not built (dist/src/main.js and packages/wa-emulator/dist/index.js missing): run npm run build first');
    expect(npm.output()).not.toMatch(/^\s+at /m);
    expect(npm.output()).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false);
  }, 30_000);
});
