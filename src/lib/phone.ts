/** What people write inside phone numbers and WUTS ignores: `+55 (11) 98765-4321`, `1.555.000.1111`. */
const PHONE_PUNCTUATION = /[+\s\-.()]/g;

/** A phone number as people write it, reduced to its digits; an address with `@` (a JID) is left as it is. */
export function phoneDigits(input: string): string {
  const value = input.trim();
  return value.includes('@') ? value : value.replace(PHONE_PUNCTUATION, '');
}

/** Phone numbers in E.164 digits: the country code first, no leading 0, 6 to 15 digits. */
export const PHONE_DIGITS = /^[1-9]\d{5,14}$/;

export const PHONE_FORM = 'a phone number with the country code (such as 5511987654321; +, spaces, dashes, dots and parentheses are ignored)';

/** A schema pattern for a phone number as people write it: digits and that punctuation (the digits are checked after). */
export const WRITTEN_PHONE_PATTERN = '^[0-9+\\s().-]{6,40}$';
