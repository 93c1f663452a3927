import { AppError } from '../../src/lib/errors.js';

/** The AppError a call throws, as a plain value to compare whole (or 'no error'); any other error is rethrown. */
export function errorOf(fn: () => unknown): { statusCode: number; code: string; message: string } | 'no error' {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { statusCode: err.statusCode, code: err.code, message: err.message };
  }
  return 'no error';
}
