import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { E2E_FILES } from '../../vitest.config.js';

// Keeps the layer rule of vitest.config.ts true: a test file that starts the WhatsApp emulator,
// the Baileys provider or a `wuts` process is in E2E_FILES, and only such files are; unit tests
// build no app and open no database.

/** Calls that mean "this file uses WhatsApp, spawns wuts or drives a browser". */
const E2E_MARKER = /\b(startEmulator|startTestEmulator|startWorld|startServer|startCluster|runCli|createBaileysProvider|testProvider|spawn|launchBrowser)\(/;
/** Imports a unit test may not have: the app, the database, servers and the helpers that build them. */
const NOT_UNIT = /from '(\.\.\/)+(src\/(app|serve|db\/connect|db\/migrate|workers\/[^']+)|test\/helpers\/[^']+|helpers\/[^']+)\.js'/;

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const all = testFiles('test');
const layered = all.filter((f) => !f.startsWith('test/unit/') && !f.startsWith('test/lint/'));

describe('test layers', () => {
  it('lists e2e files by their exact paths, each of which exists', () => {
    for (const file of E2E_FILES) {
      expect(file, 'E2E_FILES holds paths, not globs').not.toMatch(/[*?{}[\]]/);
      expect(fs.existsSync(file), `${file} is listed in E2E_FILES but does not exist`).toBe(true);
    }
    expect(new Set(E2E_FILES).size).toBe(E2E_FILES.length);
  });

  it('puts every file that uses WhatsApp or spawns wuts in e2e, and no other', () => {
    const usesWhatsApp = layered.filter((f) => E2E_MARKER.test(fs.readFileSync(f, 'utf8'))).sort();
    expect(usesWhatsApp).toEqual([...E2E_FILES].sort());
  });

  it('keeps unit tests away from the app, the database and the test helpers that build them', () => {
    const unit = all.filter((f) => f.startsWith('test/unit/'));
    expect(unit.length).toBeGreaterThan(5);
    const offenders = unit.filter((f) => NOT_UNIT.test(fs.readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('keeps unit tests off the emulator package, so that they run without building it', () => {
    const unit = all.filter((f) => f.startsWith('test/unit/'));
    expect(unit.filter((f) => /from '@wuts\/wa-emulator/.test(fs.readFileSync(f, 'utf8')))).toEqual([]);
  });
});
