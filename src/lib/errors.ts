/** An error meant for the client: one handler turns it into {"success": false, "error", "code"}. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const MASTER_TOKEN_REQUIRED = 'master token required';
export const TENANT_EXISTS = 'tenant already exists - please contact your administrator to create an account';

export const badRequest = (message: string, code = 'invalid_request') => new AppError(400, code, message);
export const unauthorized = (message = 'authentication required', code = 'unauthorized') => new AppError(401, code, message);
export const forbidden = (message = 'not allowed', code = 'forbidden') => new AppError(403, code, message);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (message: string, code = 'conflict') => new AppError(409, code, message);
export const tooManyRequests = (retryAfterSeconds: number, message = 'too many requests') =>
  new AppError(429, 'rate_limited', message, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
