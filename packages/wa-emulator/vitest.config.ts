import { defineConfig } from 'vitest/config';

// The emulator's own tests, run from this directory (`npm test -w @wuts/wa-emulator`); the
// root's `npm test` runs the same files as its "emulator" project.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // each file starts its own emulator(s) on free ports: files run in parallel processes
    fileParallelism: true,
  },
});
