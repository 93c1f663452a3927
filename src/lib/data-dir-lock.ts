import fs from 'node:fs';
import path from 'node:path';

/** Another live process holds the data directory. */
export class DataDirLockedError extends Error {}

export const LOCK_FILE = 'wuts.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // it exists, owned by someone else
  }
}

function holderOf(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function justCreated(file: string): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs < 2_000;
  } catch {
    return false;
  }
}

/**
 * Makes this process the only `wuts serve` on the SQLite data directory: creates `wuts.lock`
 * (exclusively) holding the PID, removed at exit. A lock whose PID is no longer running (a
 * crash, SIGKILL) is stale and taken over; so is one holding this very PID (a container
 * restarted with the same PID). Throws DataDirLockedError while the holder lives.
 */
export async function lockDataDir(dataDir: string): Promise<{ release(): void }> {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      const release = () => {
        process.off('exit', release);
        if (holderOf(file) === process.pid) fs.rmSync(file, { force: true });
      };
      process.on('exit', release);
      return { release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = holderOf(file);
    if (holder === undefined && justCreated(file)) {
      await new Promise((r) => setTimeout(r, 200)); // its creator is writing its PID
      continue;
    }
    if (holder !== undefined && holder !== process.pid && alive(holder)) {
      throw new DataDirLockedError(
        `another wuts serve (pid ${holder}) is using the data directory ${dataDir}; stop it first or use another WUTS_DATA_DIR (if pid ${holder} is not WUTS, remove ${file}). SQLite runs a single node: to run several nodes on one database, use PostgreSQL (DATABASE_URL)`,
      );
    }
    fs.rmSync(file, { force: true }); // stale
  }
  throw new DataDirLockedError(`could not lock the data directory ${dataDir}: ${file} keeps coming back`);
}
