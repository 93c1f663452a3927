// `wuts sandbox` (npm run sandbox): WUTS with the WhatsApp emulator in-process, in a data
// directory of its own, with a demo tenant, a demo device and two emulator accounts ready, and
// a banner saying what to open and what to try. README: "Your first message".
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from './config.js';
import { prepareDemo, DEMO, type Demo } from './sandbox-demo-setup.js';
import { serve } from './serve.js';

export const DEFAULT_SANDBOX_DIR = './data/sandbox';
/** The file the banner's `export` lines are also written to (in the sandbox directory, mode 0600). */
export const SANDBOX_ENV_FILE = 'sandbox.env';

/**
 * Settings that name a deployment's data or its WhatsApp: the sandbox never takes them from the
 * environment, so that starting it in a deployment's shell cannot touch that deployment.
 */
const DEPLOYMENT_SETTINGS = [
  'DATABASE_URL',
  'WUTS_DATA_DIR',
  'WUTS_MASTER_TOKEN',
  'WUTS_SECRET_KEY',
  'WUTS_SECRET_KEY_PREVIOUS',
  'WUTS_WA_WS_URL',
  'WUTS_WA_MEDIA_HOST',
  'WUTS_WA_MEDIA_CA_FILE',
  'WUTS_MEDIA_STORE',
];

/** The environment `wuts serve` gets in the sandbox: its own directory, SQLite, the emulator, local defaults. */
export function sandboxEnvironment(env: NodeJS.ProcessEnv): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = path.resolve(env.WUTS_SANDBOX_DIR || DEFAULT_SANDBOX_DIR);
  const kept = Object.fromEntries(Object.entries(env).filter(([name]) => !DEPLOYMENT_SETTINGS.includes(name) && !name.startsWith('WUTS_S3_')));
  return {
    dir,
    env: {
      HOST: '127.0.0.1',
      PORT: '8080',
      // quiet: the banner stays readable (LOG_LEVEL=info shows every request)
      LOG_LEVEL: 'error',
      // the newcomer's webhook receiver runs on this machine
      WUTS_ALLOW_PRIVATE_WEBHOOKS: 'true',
      ...kept,
      WUTS_DATA_DIR: dir,
      WUTS_EMULATOR: 'true',
    },
  };
}

export async function runSandbox(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const sandbox = sandboxEnvironment(env);
  fs.mkdirSync(sandbox.dir, { recursive: true, mode: 0o700 });
  const config = loadConfig(sandbox.env);
  const serving = await serve(config).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    throw new Error(
      `${(err as Error).message}: another program uses that port; start the sandbox on other ones, e.g. PORT=8081 WUTS_EMULATOR_PORT=7081 npm run sandbox`,
    );
  });
  if (!serving.emulatorUrl) throw new Error('the sandbox started without its emulator');
  const demo = await prepareDemo({
    wutsUrl: serving.url,
    masterToken: serving.masterToken,
    emulatorUrl: serving.emulatorUrl,
    emulatorToken: config.emulatorAdminToken,
  });
  const envFile = path.join(sandbox.dir, SANDBOX_ENV_FILE);
  fs.writeFileSync(envFile, exportLines(demo).join('\n') + '\n', { mode: 0o600 });
  fs.chmodSync(envFile, 0o600);
  console.log(banner(demo, sandbox.dir, envFile));
}

function exportLines(demo: Demo): string[] {
  return [
    `export WUTS=${demo.wutsUrl}`,
    `export TOKEN=${demo.token}`,
    `export DEVICE=${demo.deviceId}`,
    `export EMULATOR=${demo.emulatorUrl}`,
    `export DEMO_PHONE=${DEMO.phone}`,
    `export PEER=${DEMO.peer}`,
  ];
}

const AUTH = '-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json"';

function banner(demo: Demo, dir: string, envFile: string): string {
  const linked = demo.devicePhone === DEMO.phone;
  const lines = [
    '',
    `WUTS sandbox ready: WhatsApp is the local emulator; everything is kept in ${dir} (delete it to start afresh)`,
    '',
    `  Dashboard        ${demo.wutsUrl}/`,
    `  API reference    ${demo.wutsUrl}/docs`,
    `  Emulator         ${demo.emulatorUrl} (its admin API: ${demo.emulatorUrl}/openapi.json)`,
    `  Demo admin       ${DEMO.email} / ${DEMO.password} (tenant "${DEMO.tenant}")`,
    `  Demo device      ${demo.deviceId} ("${DEMO.device}"), ${linked ? `linked to ${DEMO.phone}` : `not linked yet: link it to the emulator's number ${DEMO.phone}`}`,
    `  Peer             ${DEMO.peer} ("${DEMO.peerName}", an emulator account to talk to)`,
    '',
    `In another terminal, set these (or: source ${envFile}):`,
    ...exportLines(demo).map((l) => `  ${l}`),
    '',
    'Then try (README.md, "Your first message", also receives webhooks):',
  ];
  if (!linked)
    lines.push(
      `  curl -s -X POST $WUTS/devices/$DEVICE/connect ${AUTH} -d '{"phone_number":"'$DEMO_PHONE'"}'   # answers a pairing_code`,
      `  curl -s -X POST $EMULATOR/admin/pair -H "Content-Type: application/json" -d '{"phone":"'$DEMO_PHONE'","code":"<the pairing_code>"}'`,
    );
  lines.push(
    `  curl -s -X POST $WUTS/devices/$DEVICE/messages ${AUTH} -d '{"type":"text","to":"'$PEER'","text":"Hello from WUTS"}'`,
    '  curl -s $EMULATOR/admin/accounts/$PEER/messages   # the peer received it',
    '',
    'Stop with Ctrl-C; npm run sandbox again finds the same tenant, device and link.',
  );
  return lines.join('\n');
}
