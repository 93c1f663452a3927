import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config.js';

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

  it('is what .ci/run runs', () => {
    const ci = fs.readFileSync('.ci/run', 'utf8');
    expect(ci).toMatch(/^npm test$/m);
    expect(ci).toContain('WUTS_TEST_DATABASE_URL="$PG_URL" npm test');
  });
});
