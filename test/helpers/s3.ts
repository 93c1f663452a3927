import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { S3StoreOptions } from '../../src/media/s3-store.js';

/** A real S3-protocol server (s3rver, files in a temp directory) on 127.0.0.1, with one bucket. */
export interface TestS3 {
  options: S3StoreOptions;
  /** The directory s3rver keeps its objects in. */
  directory: string;
  close(): Promise<void>;
}

export const TEST_BUCKET = 'wuts-media';

const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 's3-server.mjs');

/** Starts s3rver in a child process (its memory is not the test's) and waits until it listens. */
export async function startTestS3(): Promise<TestS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'wuts-s3-'));
  const child = spawn(process.execPath, [SERVER, directory, TEST_BUCKET], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} before listening`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  return {
    directory,
    options: {
      endpoint: `http://127.0.0.1:${port}`,
      bucket: TEST_BUCKET,
      region: 'us-east-1',
      // s3rver's fixed credentials
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    },
    close: async () => {
      child.stdin!.end();
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
