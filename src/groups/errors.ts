import { AppError, tooManyRequests } from '../lib/errors.js';
import { GroupRefusedError, InvalidPictureError } from '../whatsapp/groups.js';

/**
 * WhatsApp's refusals of group IQs, as API answers. A group the number is not in answers like
 * one that does not exist (404): WhatsApp says 403 for the one and 404 for the other, and
 * neither is the tenant's to tell apart.
 */
export function groupErrorOf(err: unknown, groupJid?: string): unknown {
  if (err instanceof InvalidPictureError) return new AppError(400, 'invalid_image', 'the picture is not an image that can be read (a JPEG or PNG)');
  if (!(err instanceof GroupRefusedError)) {
    if (err instanceof AppError) return err;
    return new AppError(502, 'whatsapp_unavailable', 'WhatsApp did not answer the group request: try again');
  }
  const which = groupJid ? `group ${groupJid}` : 'the group';
  switch (err.code) {
    case 403:
    case 404:
      return new AppError(404, 'group_not_found', `${which} was not found among the groups of the device's number`);
    case 401:
      return new AppError(403, 'not_group_admin', `the device's number is not an admin of ${which}: WhatsApp refused`);
    case 406:
      return new AppError(404, 'invite_not_found', 'no group has this invite code (it is unknown, or was revoked)');
    case 409:
      return new AppError(409, 'group_conflict', `WhatsApp refused the change of ${which} as conflicting: read the group and try again`);
    case 429:
      return tooManyRequests(60, 'WhatsApp is rate limiting group requests of this number: try again later');
    case 400:
      return new AppError(400, 'whatsapp_bad_request', `WhatsApp refused the request as invalid: ${err.message}`);
    default:
      return new AppError(502, 'whatsapp_refused', `WhatsApp refused the group request (code ${err.code})`);
  }
}

export async function mappingGroupErrors<T>(groupJid: string | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw groupErrorOf(err, groupJid);
  }
}
