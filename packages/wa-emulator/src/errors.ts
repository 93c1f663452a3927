/** Errors the admin API maps to HTTP statuses, each with a stable `code`. */
export class NotFoundError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class BadRequestError extends NotFoundError {}

/** The phone's client could not send (answered 502): WhatsApp, here the emulator, refused or timed out. */
export class SendFailedError extends NotFoundError {}
