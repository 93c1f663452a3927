import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { LIMITS } from '../model.js';
import type { EmulatorService } from '../service.js';
import { installAdminGuard, type AdminAccess } from './access.js';
import { installErrorHandler } from './error-handler.js';
import { adminRoutes } from './routes.js';

/** The admin API as a Fastify app (not listening yet): its Host and token check, routes, error mapping, /openapi.json and /health. */
export async function buildAdminApp(service: EmulatorService, logger: Logger, access: AdminAccess): Promise<FastifyInstance> {
  const adminLogger: FastifyBaseLogger = logger.child({ component: 'emulator-admin' }, { level: 'warn' });
  // unknown fields are a 400, not silently dropped
  const app = Fastify({ loggerInstance: adminLogger, bodyLimit: LIMITS.httpBodyBytes, ajv: { customOptions: { removeAdditional: false } } });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'WUTS WhatsApp emulator admin API',
        version: '1.0.0',
        description: 'Accounts, linking, messages, groups and traffic of the local WhatsApp emulator. The WhatsApp Web wire protocol is served at /ws/chat.',
      },
    },
  });
  installErrorHandler(app);
  installAdminGuard(app, access);
  adminRoutes(app, service);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/health', { schema: { hide: true } }, async () => ({ success: true }));
  return app;
}
