/** Why a link by QR or by pairing code failed; the admin API maps each code to a status. */
export class LinkError extends Error {
  constructor(
    readonly code:
      | 'invalid_qr'
      | 'qr_not_found'
      | 'qr_mismatch'
      | 'account_not_found'
      | 'pairing_failed'
      | 'invalid_code'
      | 'code_pairing_not_found'
      | 'wrong_code'
      | 'pairing_busy',
    message: string,
  ) {
    super(message);
  }
}
