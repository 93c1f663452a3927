import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config.js';
import { EVENT_TYPES } from '../../src/events/catalog.js';

describe('README', () => {
  const readme = fs.readFileSync('README.md', 'utf8');

  it('starts with the two commands', () => {
    const firstLines = readme.split('\n').slice(0, 12).join('\n');
    expect(firstLines).toContain('npm ci && npm start');
    expect(firstLines).toContain('npm test');
  });

  it('documents every setting', () => {
    for (const s of SETTINGS) expect(readme, s.name).toContain(`| \`${s.name}\` |`);
  });

  it('lists every event type in the event table, each as live (none reserved)', () => {
    const rows = readme.split('\n').filter((line) => /^\| `[a-z_]+\.[a-z_]+` \| \d+ \|/.test(line));
    expect(rows.map((row) => /^\| `([^`]+)`/.exec(row)![1]).sort()).toEqual(EVENT_TYPES.map((e) => e.type).sort());
    for (const row of rows) expect(row, row).not.toMatch(/reserved|not emitted/i);
    expect(EVENT_TYPES.filter((e) => e.reserved).map((e) => e.type)).toEqual([]);
    const received = rows.find((row) => row.startsWith('| `message.received` |'))!;
    expect(received).toContain('`push_name`');
  });

  it('is what .ci/run runs', () => {
    const ci = fs.readFileSync('.ci/run', 'utf8');
    expect(ci).toMatch(/^npm test$/m);
    expect(ci).toContain('WUTS_TEST_DATABASE_URL="$PG_URL" npm test');
  });
});
