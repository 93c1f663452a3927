import { configDefaults, defineConfig } from 'vitest/config';

// Test layers (`vitest run --project <name>`; `npm test` runs all four):
// - unit:     test/unit/ and test/lint/: pure functions only (no database, network or app).
// - e2e:      the files listed in E2E_FILES below: they use WhatsApp (the emulator with the
//             real Baileys provider), spawn the built `wuts` command (run `npm run build` first)
//             or drive a browser (Chromium, test/helpers/browser.ts: the dashboard, /docs).
// - http:     every other file under test/: the app through inject or real HTTP, the database,
//             local servers, but no WhatsApp.
// - emulator: the WhatsApp emulator package's own tests (packages/wa-emulator/test/).
// test/unit/test-layers.test.ts fails when a file that starts the emulator or spawns `wuts` is not in E2E_FILES.
export const UNIT_FILES = ['test/unit/**/*.test.ts', 'test/lint/**/*.test.ts'];
export const E2E_FILES = [
  'test/client/typed-client-e2e.test.ts',
  'test/cluster/cluster-e2e.test.ts',
  'test/cluster/cluster-harness.test.ts',
  'test/dashboard/dashboard-admin-pages.test.ts',
  'test/dashboard/dashboard-e2e.test.ts',
  'test/dashboard/dashboard-roles.test.ts',
  'test/devices/devices-e2e.test.ts',
  'test/devices/endpoint-e2e.test.ts',
  'test/devices/pairing-e2e.test.ts',
  'test/devices/restrictions-e2e.test.ts',
  'test/devices/supervisor.test.ts',
  'test/groups/e2e-groups.test.ts',
  'test/groups/e2e-group-refusals.test.ts',
  'test/messages/accept-crash.test.ts',
  'test/messages/crash.test.ts',
  'test/messages/e2e-crafted.test.ts',
  'test/messages/e2e-groups.test.ts',
  'test/messages/e2e-identities.test.ts',
  'test/messages/e2e-inbound.test.ts',
  'test/messages/e2e-isolation.test.ts',
  'test/messages/e2e-media-failures.test.ts',
  'test/messages/e2e-media.test.ts',
  'test/messages/e2e-outbound.test.ts',
  'test/messages/e2e-queue.test.ts',
  'test/messages/e2e-send-window.test.ts',
  'test/messages/e2e-store-before-ack.test.ts',
  'test/messages/inbound-crash.test.ts',
  'test/messages/smoke.test.ts',
  'test/platform/cli.test.ts',
  'test/platform/docs-browser.test.ts',
  'test/platform/log-output.test.ts',
  'test/platform/npm-start.test.ts',
  'test/platform/sandbox-e2e.test.ts',
  'test/platform/sandbox-refusal.test.ts',
  'test/platform/secret-key-cli.test.ts',
  'test/platform/single-process.test.ts',
  'test/platform/startup-errors.test.ts',
  'test/webhooks/crash.test.ts',
  'test/webhooks/shutdown.test.ts',
  'test/whatsapp/provider-edges.test.ts',
  'test/whatsapp/provider-lifecycle.test.ts',
  'test/whatsapp/provider-unlink.test.ts',
];
export const EMULATOR_FILES = ['packages/wa-emulator/test/**/*.test.ts'];
/**
 * Files about several nodes sharing one PostgreSQL database (a cluster): they run in the
 * PostgreSQL pass only (WUTS_TEST_DATABASE_URL set). SQLite runs one node, which
 * test/platform/single-process.test.ts covers.
 */
export const POSTGRES_ONLY_FILES = [
  'test/cluster/bus-relay.test.ts',
  'test/cluster/stream-across-nodes.test.ts',
  'test/cluster/cluster-e2e.test.ts',
  'test/cluster/cluster-harness.test.ts',
];
const notOnThisDatabase = process.env.WUTS_TEST_DATABASE_URL ? [] : POSTGRES_ONLY_FILES;

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Test files run in parallel processes; each builds its own database.
    fileParallelism: true,
    projects: [
      // Pure tests keep no state worth isolating: files share their worker's modules (3 s less on 2 cores).
      { extends: true, test: { name: 'unit', include: UNIT_FILES, isolate: false } },
      {
        extends: true,
        test: {
          name: 'http',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...UNIT_FILES, ...E2E_FILES, ...EMULATOR_FILES, ...notOnThisDatabase],
        },
      },
      { extends: true, test: { name: 'e2e', include: E2E_FILES, exclude: [...configDefaults.exclude, ...notOnThisDatabase] } },
      { extends: true, test: { name: 'emulator', include: EMULATOR_FILES } },
    ],
  },
});
