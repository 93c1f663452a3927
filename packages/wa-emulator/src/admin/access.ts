import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

// Who may call the admin API. The wire protocol (/ws/chat) is not an HTTP route of the app:
// WhatsApp clients reach it with neither a token nor a Host check, as Baileys can send neither.

/** The admin API's access rules, checked once at start (see adminAccess). */
export interface AdminAccess {
  /** when set, every admin request carries `Authorization: Bearer <token>` */
  token: string | undefined;
  /** Host header names allowed with the listening port (or no port): loopback, the bound address, --allowed-host */
  names: Set<string>;
  /** `name:port` entries of --allowed-host, allowed as they are */
  exact: Set<string>;
}

/** A start-up option that cannot work (a non-loopback bind without a token, a short token): one line, for the CLI. */
export class EmulatorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmulatorConfigError';
  }
}

export const ADMIN_TOKEN_ENV = 'WUTS_EMULATOR_ADMIN_TOKEN';
const MIN_TOKEN_LENGTH = 32;
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost: addresses only this machine reaches. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(h);
}

/** `::1` as a Host header writes it: `[::1]`; names lower case, without a trailing dot. */
function hostName(name: string): string {
  const n = name.trim().toLowerCase().replace(/\.$/, '');
  return n.includes(':') && !n.startsWith('[') ? `[${n}]` : n;
}

/**
 * The rules for a bind address: loopback needs nothing (a token is still enforced when given);
 * any other address needs a token, as anyone on the network could otherwise link devices and
 * read every account's messages. Throws EmulatorConfigError with one line.
 */
export function adminAccess(host: string, token: string | undefined, allowedHosts: string[] = []): AdminAccess {
  const t = token || undefined;
  if (t !== undefined && (t.length < MIN_TOKEN_LENGTH || /\s/.test(t)))
    throw new EmulatorConfigError(`the admin token must be at least ${MIN_TOKEN_LENGTH} characters with no spaces`);
  if (t === undefined && !isLoopback(host))
    throw new EmulatorConfigError(
      `refusing to serve the admin API on ${host}, which is not a loopback address, without an admin token (--admin-token or ${ADMIN_TOKEN_ENV})`,
    );
  const names = new Set([...LOOPBACK_NAMES, hostName(host)]);
  const exact = new Set<string>();
  for (const entry of allowedHosts.map((e) => e.trim().toLowerCase()).filter(Boolean)) {
    if (/^(\[[^\]]+\]|[^:]+):\d+$/.test(entry)) exact.add(entry);
    else names.add(hostName(entry));
  }
  return { token: t, names, exact };
}

/** Whether a Host header names this server: an allowed name with the listening port or none, or an exact `name:port` entry. */
export function hostAllowed(access: AdminAccess, header: string | undefined, localPort: number | undefined): boolean {
  if (!header) return false;
  const value = header.trim().toLowerCase();
  if (access.exact.has(value)) return true;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(value);
  if (!match) return false;
  const [, name, port] = match;
  if (!access.names.has(hostName(name!))) return false;
  return port === undefined || Number(port) === localPort;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** `Authorization: Bearer <token>`, compared in constant time (both sides hashed to the same length first). */
export function tokenMatches(access: AdminAccess, authorization: string | undefined): boolean {
  if (access.token === undefined) return true;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return timingSafeEqual(digest(match?.[1] ?? ''), digest(access.token)) && match !== null;
}

/**
 * Every HTTP request but GET /health: first the Host header (421 host_not_allowed: a page that
 * rebinds its own name to this address cannot use the API), then the token when one is set
 * (401 unauthorized).
 */
export function installAdminGuard(app: FastifyInstance, access: AdminAccess): void {
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.url === '/health') return;
    if (!hostAllowed(access, req.headers.host, req.socket.localPort)) {
      return reply
        .status(421)
        .send({ success: false, error: `Host ${JSON.stringify(req.headers.host ?? '')} is not a name of this emulator`, code: 'host_not_allowed' });
    }
    if (!tokenMatches(access, req.headers.authorization)) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer')
        .send({ success: false, error: 'the admin API needs Authorization: Bearer <admin token>', code: 'unauthorized' });
    }
  });
}
