// The one way the dashboard calls the API: same origin, bearer token, JSON in and out.
// A 401 (token gone) or a 403 `tenant_suspended` signs the user out, through onAuthFailure.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface ClientHooks {
  token: () => string | null;
  onAuthFailure: (code: string) => void;
}

let hooks: ClientHooks = { token: () => null, onAuthFailure: () => {} };

export function configureApiClient(next: ClientHooks): void {
  hooks = next;
}

/** True when an answer means the session is over (the app signs out and says why). */
export function endsSession(status: number, code: string): boolean {
  return status === 401 || (status === 403 && code === 'tenant_suspended');
}

export function authHeaders(token: string | null = hooks.token()): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Reports an answer that ends the session; called by the event stream too. */
export function reportAuthFailure(status: number, code: string): void {
  if (endsSession(status, code)) hooks.onAuthFailure(code);
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, token?: string): Promise<T> {
  const sentToken = token ?? hooks.token();
  const headers: Record<string, string> = { ...authHeaders(sentToken), accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!response.ok) {
    const code = typeof json.code === 'string' ? json.code : `http_${response.status}`;
    const message = typeof json.error === 'string' ? json.error : response.statusText;
    // Only the session's own token ends the session (a token being tried at sign-in does not).
    if (sentToken && token === undefined) reportAuthFailure(response.status, code);
    throw new ApiError(response.status, code, message);
  }
  return json as T;
}

/** A query string from the defined values. */
export function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}
