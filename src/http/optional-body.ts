/**
 * Bodies every field of which is optional (POST /devices/{id}/connect): such a route takes no
 * body at all, or an empty one with `Content-Type: application/json`, as `{}`.
 */

/** A route's body schema is an object none of whose fields is required (a union, or a body with required fields, is not). */
export function bodyIsOptional(schema: unknown): boolean {
  if (!schema || typeof schema !== 'object') return false;
  const s = schema as { type?: unknown; required?: unknown[] };
  return s.type === 'object' && (!Array.isArray(s.required) || s.required.length === 0);
}

interface OpenApiOperation {
  requestBody?: { required?: boolean; content?: Record<string, { schema?: unknown }> };
}

/** The OpenAPI document says so: such a route's requestBody is not required (@fastify/swagger marks every body required). */
export function markOptionalBodies<T extends { paths?: unknown }>(document: T): T {
  const paths = (document.paths ?? {}) as Record<string, Record<string, OpenApiOperation>>;
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      const body = operation?.requestBody;
      const schema = body?.content?.['application/json']?.schema;
      if (body && bodyIsOptional(schema)) body.required = false;
    }
  }
  return document;
}
