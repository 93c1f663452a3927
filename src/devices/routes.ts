import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { requireActor } from '../auth/authenticate.js';
import { BODY_ERRORS, IdParams, SuccessOnly, USER_ONLY_SECURITY, errorResponses } from '../http/schemas.js';
import { ConnectBody, ConnectResponse, CreateDeviceBody, DeviceListQuery, DeviceListResponse, DeviceResponse, QrResponse } from './schemas.js';
import * as devices from './service.js';

const tags = ['devices'];
const security = USER_ONLY_SECURITY;

export function registerDeviceRoutes(app: App, deps: Deps): void {
  const limits = new devices.DeviceLimits(deps);

  app.post(
    '/devices',
    {
      schema: {
        summary: 'Create a device',
        description: 'Admins. A device is one WhatsApp number, linked with POST /devices/{id}/connect. At most WUTS_MAX_DEVICES_PER_TENANT (409).',
        tags,
        security,
        body: CreateDeviceBody,
        response: { 201: DeviceResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 409) },
      },
    },
    async (req, reply) => reply.code(201).send({ success: true as const, device: await devices.createDevice(deps, await requireActor(deps, req), req.body) }),
  );

  app.get(
    '/devices',
    {
      schema: {
        summary: 'List devices',
        description: 'Every role.',
        tags,
        security,
        querystring: DeviceListQuery,
        response: { 200: DeviceListResponse, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const page = await devices.listDevices(deps, await requireActor(deps, req), req.query);
      return { success: true as const, devices: page.items, next_cursor: page.nextCursor };
    },
  );

  app.get(
    '/devices/:id',
    {
      schema: {
        summary: 'Get a device',
        description:
          "Every role. `restriction` shows WhatsApp's restriction of the account while one holds (a reach-out time-lock or the new-chat cap: no new chats until `until`); set and lifted by WhatsApp only (events device.restricted, device.unrestricted).",
        tags,
        security,
        params: IdParams,
        response: { 200: DeviceResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => ({ success: true as const, device: await devices.getDevice(deps, await requireActor(deps, req), req.params.id) }),
  );

  app.delete(
    '/devices/:id',
    {
      schema: {
        summary: 'Delete a device',
        description: 'Admins. Unlinks it from WhatsApp when it is linked, then removes it and its session.',
        tags,
        security,
        params: IdParams,
        response: { 200: SuccessOnly, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await devices.deleteDevice(deps, await requireActor(deps, req), req.params.id);
      return { success: true as const };
    },
  );

  app.post(
    '/devices/:id/connect',
    {
      schema: {
        summary: 'Connect a device',
        description:
          "Admins and supervisors. Starts the WhatsApp connection. A device never linked answers with `qr` (the text and a PNG data URL) to scan from the phone (WhatsApp > Linked devices), or with a `pairing_code` when `phone_number` is given; a linked device reconnects from its stored session. A device linked on another WhatsApp endpoint than the one this server uses (the sandbox emulator and WhatsApp do not know one another's sessions) answers 409 `device_linked_elsewhere` and keeps its session. Rate limited per device (WUTS_CONNECT_ATTEMPTS_PER_MINUTE, 429).",
        tags,
        security,
        params: IdParams,
        body: ConnectBody,
        response: { 200: ConnectResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 404, 409, 429) },
      },
    },
    async (req) => ({ success: true as const, ...(await devices.connectDevice(deps, limits, await requireActor(deps, req), req.params.id, req.body ?? {})) }),
  );

  app.get(
    '/devices/:id/qr',
    {
      schema: {
        summary: "The device's current QR code",
        description:
          'Admins and supervisors. A PNG image, or JSON with `Accept: application/json`. 409 when the device is not waiting for a scan. Rate limited per device (WUTS_QR_REQUESTS_PER_MINUTE, 429).',
        tags,
        security,
        params: IdParams,
        response: { 200: QrResponse, ...errorResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (req, reply) => {
      const qr = await devices.currentQr(deps, limits, await requireActor(deps, req), req.params.id);
      const accept = req.headers.accept ?? '';
      if (accept.includes('application/json') && !accept.includes('image/png')) return { success: true as const, qr };
      const png = Buffer.from(qr.png_data_url.slice('data:image/png;base64,'.length), 'base64');
      return reply
        .type('image/png')
        .header('cache-control', 'no-store')
        .send(png as never); // a Buffer is sent as is, never serialised
    },
  );

  app.post(
    '/devices/:id/disconnect',
    {
      schema: {
        summary: 'Disconnect a device',
        description: 'Admins and supervisors. Closes the connection and keeps the session: connect again without a new QR code.',
        tags,
        security,
        params: IdParams,
        response: { 200: DeviceResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => ({ success: true as const, device: await devices.disconnectDevice(deps, await requireActor(deps, req), req.params.id) }),
  );

  app.post(
    '/devices/:id/logout',
    {
      schema: {
        summary: 'Log a device out',
        description:
          "Admins. Unlinks the device from its WhatsApp account and deletes its session: linking again needs a new QR code. A device linked on another WhatsApp endpoint than this server's cannot be unlinked from here: only its session in WUTS is deleted.",
        tags,
        security,
        params: IdParams,
        response: { 200: DeviceResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => ({ success: true as const, device: await devices.logoutDevice(deps, await requireActor(deps, req), req.params.id) }),
  );
}
