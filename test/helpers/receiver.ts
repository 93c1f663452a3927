import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * A real webhook receiver on 127.0.0.1 for tests. Every request is checked with the
 * `standardwebhooks` npm package (never with WUTS's own signing code) against each secret the
 * test gave it, and recorded.
 *
 * ```ts
 * const receiver = await startReceiver();          // listening, answering 204
 * // create the webhook with receiver.url, then:
 * receiver.setSecrets(secret);                     // the whsec_... of GET /webhooks/{id}/secret
 * receiver.respondWith('error');                   // 500 from now on ('ok' | 'error' | 'gone' | 'hang' | {...})
 * await receiver.down();                           // port closed: connection refused
 * await receiver.up();                             // listening again on the same port
 * await receiver.waitFor((r) => r.eventIds().size >= 3, 10_000);
 * receiver.requests;                               // everything received, in arrival order
 * await receiver.close();
 * ```
 */
export interface WebhookReceiver {
  /** The TCP port, kept across down() and up(). */
  readonly port: number;
  /** `http://127.0.0.1:<port><path>`, the URL to register as a webhook. */
  readonly url: string;
  /** Every request received, in arrival order (hung ones included). */
  readonly requests: ReceivedRequest[];
  /** False after down() or close(). */
  readonly listening: boolean;
  /** The secrets (`whsec_...`) requests are verified against, replacing the previous ones. */
  setSecrets(...secrets: string[]): void;
  /** How to answer requests from now on (requests already hanging stay hung). */
  respondWith(mode: ReceiverMode): void;
  /** Closes the port (new connections are refused) and drops open connections, hung ones included. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Resolves when `predicate(this)` holds (checked on every request and every 20 ms); rejects after `timeoutMs`. */
  waitFor(predicate: (receiver: WebhookReceiver) => boolean, timeoutMs: number, what?: string): Promise<void>;
  /** The distinct `webhook-id`s received, in order of first receipt. */
  eventIds(): Set<string>;
  /** Requests that failed verification (should be empty). */
  unverified(): ReceivedRequest[];
  /** Stops for good. */
  close(): Promise<void>;
}

/**
 * `ok` answers 204; `error` 500; `gone` 410; `hang` reads the request and never answers (until
 * down() or close()); an object answers `status` with optional headers and body after `delayMs`;
 * a function decides per request.
 */
export type ReceiverMode =
  'ok' | 'error' | 'gone' | 'hang' | ReceiverAnswer | ((request: ReceivedRequest) => 'ok' | 'error' | 'gone' | 'hang' | ReceiverAnswer);

export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

export interface ReceivedRequest {
  /** 0, 1, 2... in arrival order. */
  seq: number;
  /** Date.now() when the body had arrived. */
  receivedAt: number;
  method: string;
  path: string;
  /** Lower-case header names, as node gives them. */
  headers: Record<string, string>;
  body: string;
  webhookId: string | undefined;
  webhookTimestamp: string | undefined;
  webhookSignature: string | undefined;
  /** The body parsed as JSON (undefined when it is not JSON). */
  payload: { id?: string; type?: string; tenant_id?: string; device_id?: string | null; data?: unknown; [k: string]: unknown } | undefined;
  /** True when at least one configured secret verifies the request. */
  verified: boolean;
  /** The configured secrets that verify it (rotation sends two signatures). */
  verifiedWith: string[];
  /** standardwebhooks' message for the last secret that failed, or 'no secret configured'. */
  verifyError: string | undefined;
  /** The status answered, or null while hung / when the connection was dropped. */
  status: number | null;
}

const MODES: Record<'ok' | 'error' | 'gone', ReceiverAnswer> = {
  ok: { status: 204 },
  error: { status: 500, body: 'receiver error' },
  gone: { status: 410, body: 'gone' },
};

export async function startReceiver(options: { port?: number; path?: string; secrets?: string[]; mode?: ReceiverMode } = {}): Promise<WebhookReceiver> {
  const path = options.path ?? '/hook';
  let secrets = [...(options.secrets ?? [])];
  let mode: ReceiverMode = options.mode ?? 'ok';
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  let port = options.port ?? 0;
  let server: http.Server | undefined;
  let closedForGood = false;

  const verify = (req: ReceivedRequest): void => {
    if (secrets.length === 0) {
      req.verifyError = 'no secret configured';
      return;
    }
    for (const secret of secrets) {
      try {
        new Webhook(secret).verify(req.body, req.headers);
        req.verifiedWith.push(secret);
      } catch (err) {
        req.verifyError = (err as Error).message;
      }
    }
    req.verified = req.verifiedWith.length > 0;
    if (req.verified) req.verifyError = undefined;
  };

  const handle = (incoming: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    incoming.on('data', (c: Buffer) => chunks.push(c));
    incoming.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(incoming.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const body = Buffer.concat(chunks).toString('utf8');
      let payload: ReceivedRequest['payload'];
      try {
        payload = JSON.parse(body) as ReceivedRequest['payload'];
      } catch {
        payload = undefined;
      }
      const req: ReceivedRequest = {
        seq: requests.length,
        receivedAt: Date.now(),
        method: incoming.method ?? '',
        path: incoming.url ?? '',
        headers,
        body,
        webhookId: headers['webhook-id'],
        webhookTimestamp: headers['webhook-timestamp'],
        webhookSignature: headers['webhook-signature'],
        payload,
        verified: false,
        verifiedWith: [],
        verifyError: undefined,
        status: null,
      };
      verify(req);
      requests.push(req);
      for (const w of [...waiters]) w();

      const chosen = typeof mode === 'function' ? mode(req) : mode;
      if (chosen === 'hang') return; // the socket stays open until down() or close()
      const answer = typeof chosen === 'string' ? MODES[chosen] : chosen;
      const send = () => {
        if (res.destroyed) return;
        req.status = answer.status;
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  };

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = http.createServer(handle);
      s.keepAliveTimeout = 5_000;
      s.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.off('error', reject);
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const stopListening = async (): Promise<void> => {
    const s = server;
    if (!s) return;
    server = undefined;
    const closed = new Promise<void>((r) => s.close(() => r()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  };

  await listen();

  const receiver: WebhookReceiver = {
    get port() {
      return port;
    },
    get url() {
      return `http://127.0.0.1:${port}${path}`;
    },
    requests,
    get listening() {
      return server !== undefined;
    },
    setSecrets(...s) {
      secrets = [...s];
    },
    respondWith(m) {
      mode = m;
    },
    down: stopListening,
    async up() {
      if (closedForGood) throw new Error('receiver closed');
      if (server) return;
      // The port was just freed by us; retry briefly if the kernel has not released it yet.
      for (let attempt = 0; ; attempt++) {
        try {
          await listen();
          return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 50) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    waitFor(predicate, timeoutMs, what = 'condition') {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          let ok = false;
          try {
            ok = predicate(receiver);
          } catch (err) {
            finish();
            reject(err as Error);
            return;
          }
          if (ok) {
            finish();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`receiver: ${what} not reached in ${timeoutMs} ms (${requests.length} requests, ${receiver.eventIds().size} distinct webhook-ids)`));
        }, timeoutMs);
        const poll = setInterval(check, 20);
        const finish = () => {
          clearTimeout(timer);
          clearInterval(poll);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    eventIds() {
      const ids = new Set<string>();
      for (const r of requests) if (r.webhookId) ids.add(r.webhookId);
      return ids;
    },
    unverified() {
      return requests.filter((r) => !r.verified);
    },
    async close() {
      closedForGood = true;
      await stopListening();
    },
  };
  return receiver;
}
