// The typed client's types (packages/client/src/openapi.ts) are generated from the app's OpenAPI
// document and committed; this keeps them in step with the routes.
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument, CLIENT_TYPES_FILE, GENERATE_COMMAND, renderClientTypes } from '../../scripts/client-types.js';

let document: Awaited<ReturnType<typeof buildOpenApiDocument>>;
beforeAll(async () => {
  document = await buildOpenApiDocument();
});

describe('the typed client', () => {
  it('has the types of the current OpenAPI document', async () => {
    expect(Object.keys(document.paths ?? {})).toContain('/register');
    const generated = await renderClientTypes(document);
    const committed = fs.readFileSync(CLIENT_TYPES_FILE, 'utf8');
    if (committed !== generated) {
      const at = [...generated].findIndex((ch, i) => committed[i] !== ch);
      const line = generated.slice(0, at).split('\n').length;
      expect.fail(`${CLIENT_TYPES_FILE} is not in step with the API (first difference at line ${line}): run \`${GENERATE_COMMAND}\` and commit it`);
    }
  });

  it('renders the same document to the same text, whatever the order of its paths and schemas', async () => {
    const reversed = {
      ...document,
      paths: Object.fromEntries(Object.entries(document.paths ?? {}).reverse()),
      components: { ...document.components, schemas: Object.fromEntries(Object.entries(document.components?.schemas ?? {}).reverse()) },
    };
    expect(await renderClientTypes(reversed)).toBe(await renderClientTypes(document));
  });
});
