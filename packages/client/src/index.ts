import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './openapi.js';

export type { components, operations, paths };
/** The schemas of the API's bodies and answers (`WutsSchemas['Event_message.received']`, ...). */
export type WutsSchemas = components['schemas'];
/** A typed client of the WUTS API: `GET`, `POST`, `PUT`, `DELETE` on its paths (openapi-fetch). */
export type WutsClient = Client<paths>;

export interface WutsClientOptions extends Omit<ClientOptions, 'baseUrl' | 'headers'> {
  /** Where WUTS answers, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** A user's API token (`wuts_tok_...`) or the platform's master token, sent as `Authorization: Bearer`; none for /health, /login. */
  token?: string;
  /** Headers sent with every request (per request: the `headers` option of each call). */
  headers?: Record<string, string>;
}

/**
 * A client of the WUTS API at `baseUrl`, typed by the OpenAPI document: paths, path and query
 * parameters, bodies and each status's answer.
 *
 * ```ts
 * const wuts = createWutsClient({ baseUrl: 'http://127.0.0.1:8080', token });
 * const { data, error } = await wuts.POST('/devices/{id}/messages', {
 *   params: { path: { id: deviceId } },
 *   body: { type: 'text', to: '5511987654321', text: 'Hello' },
 * });
 * ```
 */
export function createWutsClient(options: WutsClientOptions): WutsClient {
  const { token, headers, baseUrl, ...rest } = options;
  return createClient<paths>({
    ...rest,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
}
