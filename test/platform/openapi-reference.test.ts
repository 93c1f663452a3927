import zlib from 'node:zlib';
import type { FastifySchemaCompiler } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { makeValidatorCompiler } from '../../src/http/validation.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

// The OpenAPI document as a reference reads it (tags, body examples, servers), and the
// reference page at /docs with the scripts it loads.

let t: TestApp;
let behindProxy: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  behindProxy = await createTestApp({ trustProxy: loadConfig({ WUTS_TRUST_PROXY: '127.0.0.1' }).trustProxy });
});
afterAll(async () => {
  await t?.close();
  await behindProxy?.close();
});

interface MediaType {
  schema: object;
  example?: unknown;
  examples?: Record<string, { summary?: string; value: unknown }>;
}
interface Operation {
  tags?: string[];
  requestBody?: { content: Record<string, MediaType> };
}

async function document(app = t, headers: Record<string, string> = {}) {
  const res = await app.app.inject({ method: 'GET', url: '/openapi.json', headers });
  expect(res.statusCode).toBe(200);
  return res.json();
}

function operations(doc: { paths: Record<string, Record<string, Operation>> }) {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
  );
}

/** A body validator as WUTS builds them for its routes. */
function bodyValidator(schema: object) {
  const compile = makeValidatorCompiler() as FastifySchemaCompiler<object>;
  const validate = compile({ schema, httpPart: 'body', method: 'POST', url: '/' }) as ((data: unknown) => boolean) & { errors?: unknown };
  return (value: unknown) => {
    const valid = validate(structuredClone(value)); // the validator fills defaults in
    return { valid, errors: validate.errors };
  };
}

describe('GET /openapi.json for a reference', () => {
  it('groups every operation under exactly one tag of the top-level list, each described and used', async () => {
    const doc = await document();
    const tags: { name: string; description?: string }[] = doc.tags;
    expect(tags.length).toBeGreaterThan(5);
    for (const tag of tags) expect(tag.description, tag.name).toMatch(/\w{3}/);
    const names = tags.map((tag) => tag.name);
    expect(new Set(names).size).toBe(names.length);

    const used = new Set<string>();
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(60);
    for (const { name, op } of ops) {
      expect(op.tags, name).toHaveLength(1);
      expect(names, `${name}: tag ${op.tags![0]}`).toContain(op.tags![0]);
      used.add(op.tags![0]!);
    }
    expect([...used].sort()).toEqual([...names].sort());
    expect(doc.paths['/devices/{id}/messages'].post.tags).toEqual(['messages']);
    expect(doc.paths['/dead-letters'].get.tags).toEqual(['platform']);
  });

  it('gives every request body an example that its own schema accepts, as the route validates it', async () => {
    const doc = await document();
    let bodies = 0;
    for (const { name, op } of operations(doc)) {
      if (!op.requestBody) continue;
      bodies += 1;
      if (name === 'POST /media') continue; // a file, not JSON: below
      const media = op.requestBody.content['application/json'];
      expect(media, `${name} takes JSON`).toBeDefined();
      const examples = media!.examples ? Object.values(media!.examples).map((e) => e.value) : [media!.example];
      expect(examples.length, name).toBeGreaterThan(0);
      const validate = bodyValidator(media!.schema);
      for (const example of examples) {
        expect(example, `${name} has an example`).toBeDefined();
        const result = validate(example);
        expect(result.valid, `${name} example ${JSON.stringify(example)}: ${JSON.stringify(result.errors)}`).toBe(true);
        // The validator is the route's own: it refuses the same example with a field no body takes.
        expect(validate({ ...(example as object), not_a_field: 1 }).valid, `${name} refuses unknown fields`).toBe(false);
      }
    }
    expect(bodies).toBeGreaterThanOrEqual(23);

    // An upload's body is the file, raw or as the file part of a form (the reference offers a file picker).
    const upload = doc.paths['/media'].post.requestBody.content;
    expect(Object.keys(upload).sort()).toEqual(['application/octet-stream', 'multipart/form-data']);
    expect(upload['application/octet-stream'].schema).toMatchObject({ type: 'string', format: 'binary' });
    expect(upload['multipart/form-data'].schema).toMatchObject({
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    });

    const send = doc.paths['/devices/{id}/messages'].post.requestBody.content['application/json'];
    expect(Object.keys(send.examples)).toEqual(['text', 'image', 'document', 'location', 'reaction']);
    expect(send.examples.text).toEqual({ summary: 'Text', value: { type: 'text', to: '5511987654321', text: 'Olá! Seu pedido #1234 foi enviado.' } });
    // The seed's example stays the one of POST /register.
    expect(doc.paths['/register'].post.requestBody.content['application/json'].example.tenant_name).toBe('Acme Atendimento');
  });

  it('names in `servers` the origin the request came in on', async () => {
    expect((await document(t, { host: 'api.acme.test:8443' })).servers).toEqual([{ url: 'http://api.acme.test:8443' }]);
    expect((await document(t, { host: '[::1]:8080' })).servers).toEqual([{ url: 'http://[::1]:8080' }]);
    const doc = await document(t, { host: '127.0.0.1:9000' });
    expect(Object.keys(doc).slice(0, 3)).toEqual(['openapi', 'info', 'servers']);
    // Without WUTS_TRUST_PROXY, forwarded headers are the client's word: ignored.
    const forwarded = { host: 'wuts.internal:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.acme.com.br' };
    expect((await document(t, forwarded)).servers).toEqual([{ url: 'http://wuts.internal:8080' }]);
    // A host that is no URL authority gives the relative server.
    expect((await document(t, { host: 'evil.test/"><script>' })).servers).toEqual([{ url: '/' }]);
  });

  it('behind a trusted proxy, names the origin the proxy was asked for', async () => {
    const forwarded = { host: 'wuts.internal:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.acme.com.br' };
    expect((await document(behindProxy, forwarded)).servers).toEqual([{ url: 'https://api.acme.com.br' }]);
    const res = await behindProxy.app.inject({ method: 'GET', url: '/openapi.json', headers: forwarded, remoteAddress: '203.0.113.9' });
    expect(res.json().servers).toEqual([{ url: 'http://wuts.internal:8080' }]);
  });
});

describe('GET /docs', () => {
  it('is a page loading Scalar and its configuration from this server only, under a CSP that keeps it there', async () => {
    const res = await t.call('GET', '/docs');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    const csp = String(res.headers['content-security-policy']);
    for (const directive of ["default-src 'self'", "script-src 'self'", "connect-src 'self'", "font-src 'self' data:", "frame-ancestors 'none'"]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toMatch(/https?:|\*/);
    const scripts = [...res.body.matchAll(/<script src="([^"]+)"><\/script>/g)].map((m) => m[1]);
    expect(scripts).toEqual([expect.stringMatching(/^docs\/scalar-\d+\.\d+\.\d+\.js$/), 'docs/reference.js']);
    expect(res.body).not.toMatch(/https?:\/\//);
    expect(res.body).not.toMatch(/<script>/); // no inline script: the CSP would refuse it
  });

  it('configures Scalar with the document, the user token first, and nothing fetched from outside', async () => {
    const res = await t.call('GET', '/docs/reference.js');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const match = /\nScalar\.createApiReference\('#app', (\{[\s\S]*\})\);\n$/.exec(res.body);
    expect(match, res.body).not.toBeNull();
    // The one value that is no JSON: the fetch that gives form uploads their boundary back.
    expect(match![1]).toContain(',\n  "fetch": fetchWithBoundary\n}');
    expect(res.body).toMatch(/^async function fetchWithBoundary\(input, init\) \{/);
    const configuration = JSON.parse(match![1]!.replace(',\n  "fetch": fetchWithBoundary\n}', '\n}'));
    expect(configuration).toMatchObject({
      url: 'openapi.json',
      authentication: { preferredSecurityScheme: 'userToken' },
      persistAuth: false,
      withDefaultFonts: false,
      telemetry: false,
      hideClientButton: true,
      agent: { disabled: true },
    });
    expect(configuration.proxyUrl).toBeUndefined();
  });

  it('serves the Scalar bundle under its version, cached for good, gzipped for clients that take it', async () => {
    const page = (await t.call('GET', '/docs')).body;
    const script = '/' + /<script src="(docs\/scalar-[^"]+)"/.exec(page)![1];
    const plain = await t.call('GET', script);
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['vary']).toBe('accept-encoding');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.rawPayload.length).toBeGreaterThan(1_000_000);
    expect(plain.body).toContain('createApiReference');

    const gzipped = await t.call('GET', script, undefined, undefined, { 'accept-encoding': 'br, gzip;q=0.8' });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
    expect(zlib.gunzipSync(gzipped.rawPayload).equals(plain.rawPayload)).toBe(true);

    const refused = await t.call('GET', script, undefined, undefined, { 'accept-encoding': 'gzip;q=0, identity' });
    expect(refused.headers['content-encoding']).toBeUndefined();

    // Another version's name is not served.
    expect((await t.call('GET', '/docs/scalar-0.0.1.js')).statusCode).toBe(404);
  });
});
