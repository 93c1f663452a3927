import { Ajv, type ErrorObject, type Options } from 'ajv';
import * as addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { UUID_PATTERN } from '../lib/ids.js';
import { PHONE_FORM, WRITTEN_PHONE_PATTERN } from '../lib/phone.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = (addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv }).default;

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({
    removeAdditional: false, // unknown fields are a 400, never silently dropped
    useDefaults: true,
    allErrors: false,
    strict: false,
    // errors carry their schema and data: the message names the allowed fields and forms
    verbose: true,
    ...options,
  });
  addFormats(ajv);
  return ajv;
}

/**
 * Bodies are validated strictly (a string is never coerced into a boolean); params and query
 * strings are text on the wire, so they are coerced to the declared types.
 */
export function makeValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv({ coerceTypes: false });
  const coercing = makeAjv({ coerceTypes: 'array' });
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
  };
}

/** Patterns of WUTS's schemas in words; another pattern is shown as it is. */
const PATTERN_FORMS: Record<string, string> = {
  [UUID_PATTERN]: 'a UUID (such as 0193a0e0-5b1c-7d2e-8f3a-4b5c6d7e8f90)',
  '\\S': 'text that is not blank',
  '^[0-9a-f]{64}$': '64 lower-case hex digits (a SHA-256)',
  '^https?://': 'an http:// or https:// URL',
  '^[1-9][0-9]{5,14}$': 'a phone number in digits with the country code (6 to 15 digits, such as 5511987654321)',
  '^[0-9]{6,15}$': 'a phone number in digits with the country code (6 to 15 digits, such as 5511987654321)',
  [WRITTEN_PHONE_PATTERN]: PHONE_FORM,
  '^[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]*/[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]*( *;.*)?$': 'a MIME type (such as image/jpeg)',
};

const FORMAT_FORMS: Record<string, string> = {
  email: 'an email address',
  'date-time': 'an RFC 3339 date and time (such as 2026-06-15T12:00:00Z)',
  date: 'a date (such as 2026-06-15)',
  uri: 'a URI',
  url: 'a URL',
  uuid: 'a UUID',
};

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/** Fields of an object schema listed in an "unknown field" message, when there are at most this many. */
const MAX_LISTED_FIELDS = 10;

/** What a request part is called in a message: `field "to"`, `query parameter "limit"`, ... */
const PART_NOUNS: Record<string, string> = { body: 'field', querystring: 'query parameter', params: 'path parameter', headers: 'header' };

/** `/location/latitude` → `location.latitude`; `/numbers/3` → `numbers[3]`. */
function fieldPath(instancePath: string, child?: string): string {
  const segments = instancePath.split('/').slice(1);
  if (child !== undefined) segments.push(child);
  let out = '';
  for (const raw of segments) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(segment) && out) out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}

const quoted = (value: unknown) => JSON.stringify(value);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type : String(type).split(',');
  return types.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
}

/** The constants a schema allows when it is an enum, a const, or a union of consts; undefined otherwise. */
function allowedValues(schema: unknown): unknown[] | undefined {
  if (!schema || typeof schema !== 'object') return undefined;
  const s = schema as { enum?: unknown[]; const?: unknown; anyOf?: unknown[]; oneOf?: unknown[] };
  if (Array.isArray(s.enum)) return s.enum;
  if ('const' in s) return [s.const];
  const branches = s.anyOf ?? s.oneOf;
  if (!Array.isArray(branches)) return undefined;
  const values: unknown[] = [];
  for (const branch of branches) {
    const inner = allowedValues(branch);
    if (!inner) return undefined;
    values.push(...inner);
  }
  return values;
}

const listValues = (values: unknown[]) => values.map((v) => (typeof v === 'string' ? v : quoted(v))).join(', ');

/** The fields an object schema declares, for an "unknown field" message (only when few). */
function declaredFields(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties ? Object.keys(properties) : [];
}

/** One AJV error as a sentence naming the field and what it must be. */
function describeError(error: ErrorObject, part: string): string {
  const noun = PART_NOUNS[part] ?? 'field';
  const at = fieldPath(error.instancePath);
  const subject = at ? `${noun} ${quoted(at)}` : part === 'body' ? 'the body' : `the ${PART_NOUNS[part] ?? part}s`;
  const params = error.params as Record<string, unknown>;
  const parent = error.parentSchema as Record<string, unknown> | undefined;
  switch (error.keyword) {
    case 'required':
      return `missing ${noun} ${quoted(fieldPath(error.instancePath, String(params.missingProperty)))}`;
    case 'additionalProperties': {
      const name = fieldPath(error.instancePath, String(params.additionalProperty));
      const fields = declaredFields(parent);
      const allowed = fields.length > 0 && fields.length <= MAX_LISTED_FIELDS ? ` (allowed: ${fields.join(', ')})` : '';
      if (fields.length === 0) return `unknown ${noun} ${quoted(name)}: ${at ? `${quoted(at)} takes` : 'this request takes'} none`;
      return `unknown ${noun} ${quoted(name)}${allowed}`;
    }
    case 'type':
      if (!at && part === 'body') return error.data === null || error.data === undefined ? 'a JSON body is required' : 'the body must be a JSON object';
      return `${subject} must be ${typeWords(params.type)}`;
    case 'enum':
    case 'const':
    case 'anyOf':
    case 'oneOf': {
      const values = allowedValues(parent);
      if (values) return `${subject} must be one of: ${listValues(values)}`;
      const description = typeof parent?.description === 'string' ? `: ${parent.description}` : '';
      return `${subject} is not in an accepted form${description}`;
    }
    case 'pattern': {
      const pattern = String(params.pattern);
      return `${subject} must be ${PATTERN_FORMS[pattern] ?? `text matching ${pattern}`}`;
    }
    case 'format':
      return `${subject} must be ${FORMAT_FORMS[String(params.format)] ?? `in the ${String(params.format)} format`}`;
    case 'minLength':
      return Number(params.limit) === 1 ? `${subject} must not be empty` : `${subject} must be at least ${plural(Number(params.limit), 'character')}`;
    case 'maxLength':
      return `${subject} must be at most ${plural(Number(params.limit), 'character')}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const words = { minimum: 'at least', maximum: 'at most', exclusiveMinimum: 'more than', exclusiveMaximum: 'less than' }[error.keyword];
      return `${subject} must be ${words} ${String(params.limit)}`;
    }
    case 'multipleOf':
      return `${subject} must be a multiple of ${String(params.multipleOf)}`;
    case 'minItems':
      return Number(params.limit) === 1 ? `${subject} must not be empty` : `${subject} must have at least ${plural(Number(params.limit), 'item')}`;
    case 'maxItems':
      return `${subject} must have at most ${plural(Number(params.limit), 'item')}`;
    case 'uniqueItems':
      return `${subject} must not repeat an item (items ${String(params.j)} and ${String(params.i)} are the same)`;
    case 'minProperties':
    case 'maxProperties': {
      const words = error.keyword === 'minProperties' ? 'at least' : 'at most';
      const description = typeof parent?.description === 'string' ? `: ${parent.description}` : '';
      return `${subject} must have ${words} ${plural(Number(params.limit), 'field')}${description}`;
    }
    default:
      return `${subject} ${error.message ?? 'is invalid'}`;
  }
}

/** The JSON type of a value, as a schema's `type` names it. */
function jsonType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function branchTakes(branch: unknown, type: string): boolean {
  const declared = (branch as { type?: unknown } | undefined)?.type;
  if (declared === undefined) return false;
  const types = Array.isArray(declared) ? declared.map(String) : [String(declared)];
  return types.includes(type) || (type === 'integer' && types.includes('number'));
}

/**
 * A union (anyOf, oneOf) that matched no branch: the values it allows when it is a set of
 * constants; else what was wrong inside the branch of the value's own type (a number below a
 * minimum of `integer | null`); else the types it takes.
 */
function describeUnion(union: ErrorObject, errors: ErrorObject[], part: string): string {
  const parent = union.parentSchema as { anyOf?: unknown[]; oneOf?: unknown[] } | undefined;
  if (allowedValues(parent)) return describeError(union, part);
  const branches = parent?.anyOf ?? parent?.oneOf ?? [];
  const type = jsonType(union.data);
  const index = branches.findIndex((b) => branchTakes(b, type));
  if (index >= 0) {
    const inner = errors.filter((e) => e !== union && e.schemaPath.startsWith(`${union.schemaPath}/${index}/`));
    if (inner.length > 0) return describeValidationErrors(inner, part);
  }
  const types = branches.map((b) => (b as { type?: unknown }).type).filter((t) => t !== undefined);
  if (types.length === branches.length) {
    const at = fieldPath(union.instancePath);
    const subject = at ? `${PART_NOUNS[part] ?? 'field'} ${quoted(at)}` : `the ${part}`;
    return `${subject} must be ${types.map(typeWords).join(' or ')}`;
  }
  return describeError(union, part);
}

/**
 * Fastify's schemaErrorFormatter: the failure as one sentence naming the field and the
 * expected form (`unknown field "message"`, `missing field "to"`, `field "to" must be a
 * string`). A union that matched no branch is reported as a whole (see describeUnion).
 */
export function describeValidationErrors(errors: ErrorObject[], part: string): string {
  // allErrors is off: the failure that stopped validation is the last error; a union's branch errors come before it
  const last = errors[errors.length - 1];
  if (!last) return `the ${part} is invalid`;
  if (last.keyword === 'anyOf' || last.keyword === 'oneOf') return describeUnion(last, errors, part);
  return describeError(last, part);
}

export function schemaErrorFormatter(errors: unknown[], part: string): Error {
  return new Error(describeValidationErrors(errors as ErrorObject[], part));
}
