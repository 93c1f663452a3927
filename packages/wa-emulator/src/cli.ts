import { pino } from 'pino';
import { ADMIN_TOKEN_ENV, EmulatorConfigError } from './admin/access.js';
import { startEmulator } from './emulator.js';

/** `wuts emulator --help`. */
export const EMULATOR_USAGE = `wuts emulator: a local WhatsApp Web server for unmodified Baileys clients (a sandbox; no phone needed)

Usage: wuts emulator [--port N] [--host ADDR] [--state FILE] [--media-port N] [--admin-token TOKEN] [--allowed-host NAME]...

  --port N              port of the wire protocol (/ws/chat) and the admin API (default 7080; 0 = random)
  --host ADDR           address to listen on (default 127.0.0.1); any other than a loopback
                        address needs an admin token
  --state FILE          keep accounts, devices, keys and queued messages in FILE, media blobs in
                        FILE.media/ (default: in memory)
  --media-port N        port of the HTTPS media host on 127.0.0.1 (default: the last run's, kept
                        in the state file, else a free port)
  --admin-token TOKEN   admin API calls must send Authorization: Bearer TOKEN (at least 32
                        characters; default: ${ADMIN_TOKEN_ENV}, which keeps it out of ps)
  --allowed-host NAME   a Host name the admin API answers besides 127.0.0.1, localhost, [::1]
                        and --host (NAME or NAME:PORT; repeat it or separate with commas)
  --help                this text

Point Baileys at it with waWebSocketUrl (WUTS: WUTS_WA_WS_URL) = the printed ws:// URL.
Media: clients trust the media host's self-signed certificate (GET /admin/media/ca.pem), e.g.
NODE_EXTRA_CA_CERTS=<that file>. Admin API: see the printed /openapi.json and docs/emulator.md.
`;

interface CliOptions {
  port: number;
  host: string;
  statePath: string | undefined;
  adminToken: string | undefined;
  allowedHosts: string[];
  mediaPort?: number;
}

/** The command line (and WUTS_EMULATOR_ADMIN_TOKEN from `env`; --admin-token wins). */
export function parseEmulatorArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions | 'help' {
  const options: CliOptions = { port: 7080, host: '127.0.0.1', statePath: undefined, adminToken: env[ADMIN_TOKEN_ENV] || undefined, allowedHosts: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--port':
      case '--media-port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${flag} must be an integer from 0 to 65535`);
        if (flag === '--port') options.port = port;
        else options.mediaPort = port;
        break;
      }
      case '--host':
        options.host = value();
        break;
      case '--state':
        options.statePath = value();
        break;
      case '--admin-token':
        options.adminToken = value();
        break;
      case '--allowed-host':
        options.allowedHosts.push(...value().split(','));
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  return options;
}

/** `wuts emulator`: starts the emulator, prints its URLs, closes cleanly on SIGINT/SIGTERM. */
export async function runEmulatorCli(argv: string[]): Promise<void> {
  let options: CliOptions | 'help';
  try {
    options = parseEmulatorArgs(argv);
  } catch (err) {
    process.stderr.write(`wuts emulator: ${(err as Error).message}\n\n${EMULATOR_USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(EMULATOR_USAGE);
    return;
  }
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator({ ...options, logger });
  } catch (err) {
    if (!(err instanceof EmulatorConfigError)) throw err;
    process.stderr.write(`wuts emulator: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stdout.write(
    `WhatsApp emulator running\n  wire protocol: ${emulator.wsUrl}\n  admin API:     ${emulator.url}/admin/accounts\n  OpenAPI:       ${emulator.url}/openapi.json\n  media host:    ${emulator.mediaUrl} (its CA: ${emulator.url}/admin/media/ca.pem)\n  state:         ${options.statePath ?? 'in memory'}\n  admin token:   ${options.adminToken ? 'required' : 'none (loopback only)'}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      logger.info({ signal }, 'stopping the emulator');
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await emulator.close();
  // Baileys leaves ref'd timers behind (a 30 s pre-key upload guard): don't wait for them
  setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
}
