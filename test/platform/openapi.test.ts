import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant } from '../helpers/factories.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

interface Op {
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

describe('operations endpoints', () => {
  it('GET /health and GET /ready answer without a token', async () => {
    expect((await t.call('GET', '/health')).json()).toEqual({ success: true, status: 'ok' });
    expect((await t.call('GET', '/ready')).json()).toEqual({ success: true, status: 'ready' });
  });

  it('GET /openapi.json describes every route with schemas per status, both security schemes and the seed example', async () => {
    const res = await t.call('GET', '/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['masterToken', 'metricsToken', 'userToken']);
    expect(doc.components.securitySchemes.masterToken).toMatchObject({ type: 'http', scheme: 'bearer' });

    const expected = [
      'post /register',
      'get /tenants',
      'get /tenants/{id}',
      'put /tenants/{id}',
      'delete /tenants/{id}',
      'post /users',
      'get /users',
      'get /users/{id}',
      'put /users/{id}',
      'delete /users/{id}',
      'post /login',
      'post /logout',
      'get /me',
      'put /me/password',
      'get /me/tokens',
      'post /me/tokens',
      'delete /me/tokens/{id}',
      'get /audit',
      'get /cluster',
      'get /health',
      'get /ready',
      'get /metrics',
      'get /webhooks',
      'post /webhooks',
      'get /webhooks/{id}',
      'put /webhooks/{id}',
      'delete /webhooks/{id}',
      'get /webhooks/{id}/secret',
      'post /webhooks/{id}/rotate-secret',
      'post /webhooks/{id}/test',
      'get /webhooks/{id}/deliveries',
      'post /deliveries/{id}/retry',
      'get /events/stream',
      'post /devices',
      'get /devices',
      'get /devices/{id}',
      'delete /devices/{id}',
      'post /devices/{id}/connect',
      'get /devices/{id}/qr',
      'post /devices/{id}/disconnect',
      'post /devices/{id}/logout',
      'put /devices/{id}/send-interval',
      'post /devices/{id}/messages',
      'get /messages/{id}',
      'post /messages/{id}/cancel',
      'get /devices/{id}/chats',
      'get /devices/{id}/chats/{chat}/messages',
      'get /devices/{id}/contacts',
      'post /devices/{id}/read',
      'post /devices/{id}/check-numbers',
      'post /devices/{id}/presence',
      'get /dead-letters',
      'post /dead-letters/{id}/retry',
      'delete /dead-letters/{id}',
      'post /media',
      'get /media/{id}',
      'get /media/{id}/content',
      'get /messages/{id}/media',
      'get /devices/{id}/groups',
      'post /devices/{id}/groups',
      'post /devices/{id}/groups/join',
      'get /devices/{id}/groups/{group}',
      'put /devices/{id}/groups/{group}',
      'post /devices/{id}/groups/{group}/participants',
      'get /devices/{id}/groups/{group}/invite',
      'post /devices/{id}/groups/{group}/invite',
      'get /devices/{id}/groups/{group}/join-requests',
      'post /devices/{id}/groups/{group}/join-requests',
      'post /devices/{id}/groups/{group}/leave',
      'get /devices/{id}/groups/{group}/picture',
      'put /devices/{id}/groups/{group}/picture',
      'delete /devices/{id}/groups/{group}/picture',
    ];
    // Answers that are bytes, not JSON: a media file's content.
    const binary = new Set([
      'get /media/{id}/content 200',
      'get /media/{id}/content 206',
      'get /media/{id}/content 304',
      'get /messages/{id}/media 200',
      'get /messages/{id}/media 206',
      'get /messages/{id}/media 304',
    ]);
    const documented: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Op>>)) {
      for (const [method, op] of Object.entries(methods)) {
        documented.push(`${method} ${path}`);
        const statuses = Object.keys(op.responses);
        expect(
          statuses.some((s) => s.startsWith('2')),
          `${method} ${path} has a success schema`,
        ).toBe(true);
        for (const s of statuses) {
          const type = binary.has(`${method} ${path} ${s}`) ? 'application/octet-stream' : 'application/json';
          expect(op.responses[s]!.content?.[type]?.schema, `${method} ${path} ${s}`).toBeTruthy();
        }
        expect(op.security, `${method} ${path} security`).toBeDefined();
      }
    }
    expect(documented.sort()).toEqual(expected.sort());

    const register = doc.paths['/register'].post;
    expect(register.security).toEqual([{ masterToken: [] }]);
    expect(Object.keys(register.responses).sort()).toEqual(['201', '400', '401', '403', '409', '413', '415', '500']);
    expect(register.requestBody.content['application/json'].example).toEqual({
      tenant_name: 'Acme Atendimento',
      email: 'admin@acme.com.br',
      password: 's3nh4-f0rte',
      role: 'admin',
      webhook_url: 'https://acme.com.br/wuts/webhook',
    });
    expect(register.responses['201'].content['application/json'].example.note).toBe('Webhook will be auto-configured when WhatsApp device is connected');
    expect(res.body).not.toContain(t.masterToken);

    // The event catalog: the envelope and one schema per type, with its version.
    const schemas = doc.components.schemas;
    expect(schemas.Event.required).toEqual(expect.arrayContaining(['id', 'type', 'version', 'tenant_id', 'device_id', 'timestamp', 'data']));
    const eventTypes = ['user.created', 'user.updated', 'user.deleted', 'tenant.updated', 'webhook.test', 'device.connected', 'message.received'];
    for (const type of [...eventTypes, 'group.created', 'group.updated', 'group.participants', 'group.join_request']) {
      const schema = schemas[`Event_${type.replace('.', '_')}`];
      expect(schema?.allOf[1].properties.version.enum, type).toEqual([1]);
      expect(schema, type).toBeDefined();
      expect(schema.allOf[1].properties.type.enum).toEqual([type]);
    }
  });

  it('describes the group API: every route tagged groups, with a description naming who may call, its refusals and examples', async () => {
    const doc = (await t.call('GET', '/openapi.json')).json();
    const groupOps = Object.entries(doc.paths as Record<string, Record<string, any>>)
      .filter(([path]) => path.startsWith('/devices/{id}/groups'))
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ name: `${method} ${path}`, op })));
    expect(groupOps).toHaveLength(14);
    for (const { name, op } of groupOps) {
      expect(op.tags, name).toEqual(['groups']);
      expect(op.description, name).toMatch(/^(Every role|Admins and supervisors)\./);
      expect(op.description, name).toContain('409 device_not_connected');
      expect(Object.keys(op.responses), name).toEqual(expect.arrayContaining(['401', '403', '404', '409', '429', '502']));
      if (name.includes('{group}')) expect(op.parameters.find((p: any) => p.name === 'group').example, name).toBe('120363041234567890@g.us');
    }
    const create = doc.paths['/devices/{id}/groups'].post;
    expect(create.requestBody.content['application/json'].schema.properties.participants.examples).toEqual([['5511987654321', '5511912345678@s.whatsapp.net']]);
    const participants = doc.paths['/devices/{id}/groups/{group}/participants'].post;
    expect(participants.requestBody.content['application/json'].schema.examples ?? participants.requestBody.content['application/json'].example).toBeTruthy();
    expect(participants.responses['200'].content['application/json'].schema.properties.participants.items.properties.status.enum).toContain('privacy_refused');
    expect(doc.tags.map((tag: { name: string }) => tag.name)).toContain('groups');
  });

  it('GET /metrics answers Prometheus text to a loopback caller when no metrics token is set, never to the master token elsewhere', async () => {
    await t.call('GET', '/health');
    const res = await t.call('GET', '/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/wuts_http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    expect(res.body).toContain('wuts_process_resident_memory_bytes');
    const tenant = await createTenant(t);
    for (const token of [t.masterToken, tenant.adminToken]) {
      const remote = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '198.51.100.4', headers: { authorization: `Bearer ${token}` } });
      expect(remote.statusCode).toBe(403);
    }
    const op = (await t.call('GET', '/openapi.json')).json().paths['/metrics'].get;
    expect(op.security).toEqual([{ metricsToken: [] }, {}]);
    expect(op.description).toContain('WUTS_METRICS_TOKEN');
  });

  it('answers unknown routes with the error envelope', async () => {
    const res = await t.call('GET', '/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ success: false, error: 'no route GET /nope', code: 'route_not_found' });
  });
});
