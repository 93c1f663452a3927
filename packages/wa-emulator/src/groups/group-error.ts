/**
 * A group operation refused. `iqCode` is what the `w:g2` IQ answers (`<error code text>`, as
 * Baileys surfaces it: a Boom with that statusCode); `code` is the admin API's stable code.
 */
export class GroupError extends Error {
  constructor(
    readonly iqCode: 400 | 401 | 403 | 404 | 406 | 409 | 500,
    readonly iqText: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const groupNotFound = (id: string): GroupError => new GroupError(404, 'item-not-found', 'group_not_found', `no group ${id}`);
export const notParticipant = (phone: string, id: string): GroupError =>
  new GroupError(403, 'forbidden', 'not_a_participant', `${phone} is not a participant of group ${id}`);
export const notAdmin = (phone: string, id: string, what: string): GroupError =>
  new GroupError(401, 'not-authorized', 'not_an_admin', `${phone} is not an admin of group ${id}: only admins ${what}`);
