import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { BufferJSON, Curve } from './baileys.js';
import type { EmulatorState } from './model.js';

export function emptyState(): EmulatorState {
  return { version: 1, serverStatic: Curve.generateKeyPair(), certRoot: Curve.generateKeyPair(), accounts: {} };
}

export async function loadState(path: string | undefined): Promise<EmulatorState> {
  if (!path) return emptyState();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw err;
  }
  const state = JSON.parse(text, BufferJSON.reviver) as EmulatorState;
  if (state.version !== 1) throw new Error(`unsupported emulator state version in ${path}`);
  return state;
}

/**
 * Writes the state to its file, coalescing bursts of changes into one write.
 * Atomic: a temp file then a rename, so a crash leaves the old or the new file.
 */
export class StateSaver {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string | undefined,
    private readonly state: EmulatorState,
    private readonly logger: Logger,
    private readonly delayMs = 100,
  ) {}

  markDirty(): void {
    if (!this.path || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.delayMs);
  }

  async flush(): Promise<void> {
    if (!this.path) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const path = this.path;
    this.writing = this.writing.then(async () => {
      try {
        const text = JSON.stringify(this.state, BufferJSON.replacer);
        await mkdir(dirname(path), { recursive: true });
        const temp = `${path}.${process.pid}.tmp`;
        await writeFile(temp, text, { mode: 0o600 });
        await rename(temp, path);
      } catch (err) {
        this.logger.error({ err, path }, 'failed to save emulator state');
      }
    });
    await this.writing;
  }
}
