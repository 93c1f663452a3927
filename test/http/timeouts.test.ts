import { connect, type Socket } from 'node:net';
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { PASSWORD, createTenant } from '../helpers/factories.js';

const REQUEST_TIMEOUT_MS = 1000;

let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await createTestApp({ requestTimeoutMs: REQUEST_TIMEOUT_MS, headersTimeoutMs: 600, keepAliveTimeoutMs: 500 });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await t.close();
});

interface Watched {
  socket: Socket;
  received: () => string;
  /** Resolves with the milliseconds from opening to the close, or null when still open after `withinMs`. */
  closedWithin: (withinMs: number) => Promise<number | null>;
}

function openSocket(): Promise<Watched> {
  return new Promise((resolve, reject) => {
    const opened = Date.now();
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let closedAt: number | null = null;
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('error', () => {});
    socket.on('close', () => (closedAt = Date.now()));
    socket.once('connect', () =>
      resolve({
        socket,
        received: () => data,
        closedWithin: async (withinMs) => {
          const deadline = Date.now() + withinMs;
          while (closedAt === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
          return closedAt === null ? null : closedAt - opened;
        },
      }),
    );
    socket.once('error', reject);
  });
}

/** Writes one byte every `everyMs` until the socket closes or `count` bytes were written. */
function trickle(socket: Socket, text: string, everyMs: number): NodeJS.Timeout {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) return clearInterval(timer);
    socket.write(text[i++]!);
  }, everyMs);
  return timer;
}

describe('HTTP server timeouts, on a real port', () => {
  it('cuts off a request whose body trickles in slower than the request timeout', async () => {
    const watched = await openSocket();
    watched.socket.write('POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
    const timer = trickle(watched.socket, ' '.repeat(1000), 100);
    const closedAfter = await watched.closedWithin(4000);
    clearInterval(timer);
    watched.socket.destroy();
    expect(closedAfter, 'the connection is still open 4 s later').not.toBeNull();
    expect(closedAfter!).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    // Node answers 408 when it still can, or just closes.
    if (watched.received()) expect(watched.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts off a client that sends its headers too slowly', async () => {
    const watched = await openSocket();
    const timer = trickle(watched.socket, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(200), 100);
    const closedAfter = await watched.closedWithin(3000);
    clearInterval(timer);
    watched.socket.destroy();
    expect(closedAfter, 'the connection is still open 3 s later').not.toBeNull();
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const watched = await openSocket();
    watched.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const closedAfter = await watched.closedWithin(3000);
    watched.socket.destroy();
    expect(watched.received()).toMatch(/^HTTP\/1\.1 200/);
    expect(closedAfter, 'the idle connection is still open 3 s later').not.toBeNull();
  });

  it('still answers a normal request', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.test', password: 'wrong-password' }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { success: boolean }).success).toBe(false);
  });

  it('keeps an open event stream past the request timeout, and it still delivers events', async () => {
    const tenant = await createTenant(t);
    const chunks: string[] = [];
    let closed = false;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/events/stream', headers: { authorization: `Bearer ${tenant.adminToken}` } }, resolve);
      req.on('error', reject);
      req.end();
    });
    res.on('data', (c: Buffer) => chunks.push(c.toString()));
    res.on('close', () => (closed = true));
    try {
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      await new Promise((r) => setTimeout(r, REQUEST_TIMEOUT_MS * 2.5));
      expect(closed, 'the stream was cut').toBe(false);
      const email = `late-${Date.now()}@example.test`;
      expect((await t.call('POST', '/users', tenant.adminToken, { email, password: PASSWORD, role: 'agent' })).statusCode).toBe(201);
      const deadline = Date.now() + 4000;
      while (!chunks.join('').includes(email) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(chunks.join('')).toContain('event: user.created');
      expect(chunks.join('')).toContain(email);
      expect(closed).toBe(false);
    } finally {
      res.destroy();
    }
  });
});

describe('the cap on open connections', () => {
  let capped: TestApp;
  let cappedPort: number;
  beforeAll(async () => {
    capped = await createTestApp({ maxConnections: 2 });
    await capped.app.listen({ port: 0, host: '127.0.0.1' });
    cappedPort = (capped.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await capped.close();
  });

  it('drops a connection beyond the cap, and accepts again once one closes', async () => {
    const open = () =>
      new Promise<{ socket: Socket; closed: () => boolean }>((resolve) => {
        const socket = connect(cappedPort, '127.0.0.1');
        let isClosed = false;
        socket.on('error', () => {});
        socket.on('close', () => (isClosed = true));
        socket.once('connect', () => resolve({ socket, closed: () => isClosed }));
      });
    const first = await open();
    const second = await open();
    await new Promise((r) => setTimeout(r, 100));
    const third = await open();
    const deadline = Date.now() + 1500;
    while (!third.closed() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(third.closed(), 'the third connection was accepted').toBe(true);
    expect(first.closed() || second.closed()).toBe(false);
    first.socket.destroy();
    second.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`http://127.0.0.1:${cappedPort}/health`)).status).toBe(200);
  });
});
