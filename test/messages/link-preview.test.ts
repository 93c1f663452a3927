import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fetchLinkPreview, firstUrl } from '../../src/messages/link-preview.js';

let server: http.Server;
let base: string;
let hits = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits++;
    if (req.url === '/page') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        '<html><head><title>Fallback</title><meta property="og:title" content="Tom &amp; Jerry"><meta name="description" content="A  cat and\na mouse"></head></html>',
      );
    } else if (req.url === '/plain') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<title>Only a title</title>');
    } else if (req.url === '/redirect') {
      res.writeHead(302, { location: '/page' });
      res.end();
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

it('finds the first URL of a text', () => {
  expect(firstUrl('see https://example.com/a?b=1 and http://x.test')).toBe('https://example.com/a?b=1');
  expect(firstUrl('no link here')).toBeUndefined();
});

it('reads og:title and the description, decoding entities and spaces', async () => {
  expect(await fetchLinkPreview(`look: ${base}/page`, true)).toEqual({ url: `${base}/page`, title: 'Tom & Jerry', description: 'A cat and a mouse' });
  expect(await fetchLinkPreview(`${base}/plain`, true)).toEqual({ url: `${base}/plain`, title: 'Only a title' });
});

it('gives no preview for redirects, non-HTML answers and texts without a URL', async () => {
  expect(await fetchLinkPreview(`${base}/redirect`, true)).toBeUndefined();
  expect(await fetchLinkPreview(`${base}/json`, true)).toBeUndefined();
  expect(await fetchLinkPreview('nothing to preview', true)).toBeUndefined();
});

it('never fetches a private address unless the operator allows it', async () => {
  const before = hits;
  expect(await fetchLinkPreview(`${base}/page`, false)).toBeUndefined();
  await expect(fetchLinkPreview(`http://localhost:${new URL(base).port}/page`, false)).rejects.toThrow(/refused/);
  expect(hits).toBe(before);
});
