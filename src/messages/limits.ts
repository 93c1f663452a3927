/** Bounds on what a client can make big through the messages API (documented in the OpenAPI text). */
export const MESSAGE_LIMITS = {
  textChars: 4096,
  captionChars: 1024,
  pollNameChars: 255,
  pollOptions: { min: 2, max: 12 },
  pollOptionChars: 100,
  vcardChars: 8192,
  locationTextChars: 256,
  /** numbers per POST /devices/{id}/check-numbers */
  checkNumbers: 50,
  /** message ids per POST /devices/{id}/read */
  readIds: 100,
  idempotencyKeyChars: 255,
  ttlSeconds: { min: 10, max: 7 * 24 * 3600 },
  /** users one text or caption mentions */
  mentions: 256,
} as const;
