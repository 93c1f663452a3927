/**
 * Media types: what a client declares against what the bytes are. Pure functions (the sniffing
 * itself is `file-type`'s, in service.ts).
 */

const TOKEN = '[a-z0-9][a-z0-9!#$&^_.+-]{0,126}';
const MIME = new RegExp(`^(${TOKEN})/(${TOKEN})(\\s*;[\\x20-\\x7e]*)?$`, 'i');

/** `type/subtype` with optional parameters, lower-cased type and subtype; undefined when it is not one. */
export function parseMimeType(value: string): { essence: string; full: string } | undefined {
  const trimmed = value.trim();
  if (trimmed.length > 255) return undefined;
  const m = MIME.exec(trimmed);
  if (!m) return undefined;
  const essence = `${m[1]!.toLowerCase()}/${m[2]!.toLowerCase()}`;
  const params = (m[3] ?? '').trim();
  return { essence, full: params ? `${essence}${params.startsWith(';') ? '' : ';'}${params.replace(/^;\s*/, '; ')}` : essence };
}

/** Types that say nothing about the bytes. */
const UNSPECIFIC = new Set(['application/octet-stream', 'binary/octet-stream', 'application/unknown']);

const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'audio/mp3': 'audio/mpeg',
  'audio/mpeg3': 'audio/mpeg',
  'audio/mpg': 'audio/mpeg',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/amr-nb': 'audio/amr',
  'text/xml': 'application/xml',
  'image/vnd.microsoft.icon': 'image/icon',
  'image/ico': 'image/icon',
};

/** Containers whose contents several types share: a declared type anywhere in the family matches the sniffed one. */
const FAMILIES: [RegExp, string][] = [
  [/^(audio\/ogg|audio\/opus|application\/ogg|video\/ogg)$/, 'ogg'],
  [/^(video\/mp4|audio\/mp4|audio\/m4a|audio\/aac-mp4|video\/m4v|video\/quicktime|video\/3gpp2?|audio\/3gpp2?)$/, 'isobmff'],
  [
    /^(application\/zip|application\/zip-compressed|application\/epub\+zip|application\/java-archive|application\/vnd\.android\.package-archive|application\/vnd\.openxmlformats-officedocument\..*|application\/vnd\.oasis\.opendocument\..*|application\/vnd\.ms-[a-z]+\.[a-z.]*macroenabled\.12)$/,
    'zip',
  ],
  [/^(video\/webm|audio\/webm|video\/matroska|audio\/matroska)$/, 'matroska'],
  [/^(application\/cfb|application\/msword|application\/vnd\.ms-excel|application\/vnd\.ms-powerpoint|application\/vnd\.ms-outlook)$/, 'cfb'],
];

/** The family a type belongs to, for comparing a declared type with a sniffed one. */
export function mediaFamily(essence: string): string {
  let t = essence.toLowerCase();
  // audio/x-wav and audio/wav, audio/x-flac and audio/flac, ... are the same thing.
  t = t.replace(/^([a-z]+)\/x-/, '$1/');
  t = ALIASES[t] ?? t;
  for (const [pattern, family] of FAMILIES) if (pattern.test(t)) return family;
  return t;
}

/** Text formats: a sniffer recognises them only sometimes, so not recognising one proves nothing. */
function isText(essence: string): boolean {
  return essence.startsWith('text/') || /^application\/([a-z.+-]*\+)?(json|xml)$/.test(essence) || essence === 'application/javascript';
}

export type TypeVerdict = { ok: true; mimeType: string } | { ok: false; sniffed: string | undefined };

/**
 * The type to store for bytes that a client declared as `declared` (undefined: nothing said)
 * and the sniffer recognised as `sniffed` (undefined: not recognised):
 * - nothing (or application/octet-stream) declared: the sniffed type, else application/octet-stream;
 * - a declared type the bytes are recognised as (or a type of the same family: audio/ogg and
 *   audio/opus, a .docx and a zip, image/jpg and image/jpeg): the declared type, parameters kept;
 * - bytes recognised as something else: refused;
 * - bytes not recognised: the declared type when the sniffer could not know it (text/plain,
 *   some audio containers), refused when it is a type the sniffer knows (`sniffable`) and the
 *   bytes would have been recognised.
 */
export function judgeMediaType(declared: string | undefined, sniffed: string | undefined, sniffable: ReadonlySet<string>): TypeVerdict {
  const s = sniffed === undefined ? undefined : parseMimeType(sniffed);
  const d = declared === undefined ? undefined : parseMimeType(declared);
  if (!d || UNSPECIFIC.has(d.essence)) return { ok: true, mimeType: s?.full ?? 'application/octet-stream' };
  if (s && isText(d.essence) && isText(s.essence)) return { ok: true, mimeType: d.full };
  if (s) return mediaFamily(s.essence) === mediaFamily(d.essence) ? { ok: true, mimeType: d.full } : { ok: false, sniffed: s.essence };
  if (isText(d.essence)) return { ok: true, mimeType: d.full };
  const known = [...sniffable].some((t) => mediaFamily(parseMimeType(t)?.essence ?? t) === mediaFamily(d.essence));
  return known ? { ok: false, sniffed: undefined } : { ok: true, mimeType: d.full };
}

/** A client's file name made safe to store and to show in a Content-Disposition: no path, no control characters, at most 255 characters. */
export function cleanFilename(name: string | undefined): string | null {
  if (name === undefined) return null;
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  const chars = [...clean].slice(0, 255).join('');
  return chars === '' || chars === '.' || chars === '..' ? null : chars;
}
