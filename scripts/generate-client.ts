// npm run client:generate: writes packages/client/src/openapi.ts from the app's OpenAPI document
// (the npm script builds WUTS before and the client package after).
import fs from 'node:fs';
import { buildOpenApiDocument, CLIENT_TYPES_FILE, renderClientTypes } from './client-types.js';

const source = await renderClientTypes(await buildOpenApiDocument());
const before = fs.existsSync(CLIENT_TYPES_FILE) ? fs.readFileSync(CLIENT_TYPES_FILE, 'utf8') : undefined;
fs.writeFileSync(CLIENT_TYPES_FILE, source);
console.log(before === source ? `${CLIENT_TYPES_FILE} is up to date` : `${CLIENT_TYPES_FILE} written`);
