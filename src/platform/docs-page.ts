/**
 * The API reference page at /docs: Scalar's reference, run in the browser from scripts WUTS
 * serves itself, reading /openapi.json. Nothing is fetched from anywhere else: no fonts, no
 * telemetry, no request proxy, no AI agent; the page's Content-Security-Policy holds it to its
 * own origin, so "try it" sends to this server and nowhere else.
 */

/** The page's Content-Security-Policy: scripts and requests from this origin only; Scalar injects its styles. */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Where the scripts are, relative to /docs (so a proxy that mounts WUTS under a path keeps working). */
export const scalarScriptPath = (version: string) => `docs/scalar-${version}.js`;
export const REFERENCE_SCRIPT_PATH = 'docs/reference.js';

/** Scalar's configuration (https://github.com/scalar/scalar, @scalar/types ApiReferenceConfiguration). */
const CONFIGURATION = {
  url: 'openapi.json',
  // The bearer token box shows the tenant user's token first; the master token is the other choice.
  authentication: { preferredSecurityScheme: 'userToken' },
  persistAuth: false, // a token typed in stays in the page, never in localStorage
  defaultHttpClient: { targetKey: 'shell', clientKey: 'curl' },
  withDefaultFonts: false, // the fonts would come from fonts.scalar.com
  telemetry: false,
  hideClientButton: true, // "Open API Client" offers Scalar's hosted client
  showDeveloperTools: 'never',
  agent: { disabled: true }, // Scalar's AI chat, a remote service
  documentDownloadType: 'json',
  metaData: { title: 'WUTS API reference' },
};

export function docsPage(version: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>WUTS API reference</title>
  </head>
  <body>
    <noscript>This reference needs JavaScript. The OpenAPI 3.1 document is at <a href="openapi.json">/openapi.json</a>.</noscript>
    <div id="app"></div>
    <script src="${scalarScriptPath(version)}"></script>
    <script src="${REFERENCE_SCRIPT_PATH}"></script>
  </body>
</html>
`;
}

/**
 * Scalar 1.46's "Test Request" sends a form upload (POST /media) with `Content-Type:
 * multipart/form-data` but no boundary (scalar/scalar#7883), which no server can read. The
 * reference's fetch puts back the boundary the body itself starts with (`--<boundary>`).
 */
const FETCH_WITH_BOUNDARY = `async function fetchWithBoundary(input, init) {
  const request = new Request(input, init);
  const type = request.headers.get('content-type') || '';
  if (!/^multipart\\/form-data\\s*$/i.test(type)) return fetch(request);
  const body = await request.arrayBuffer();
  const firstLine = new TextDecoder().decode(new Uint8Array(body, 0, Math.min(body.byteLength, 200))).split('\\r\\n')[0];
  if (!firstLine.startsWith('--')) return fetch(new Request(request, { body }));
  const headers = new Headers(request.headers);
  headers.set('content-type', 'multipart/form-data; boundary=' + firstLine.slice(2));
  return fetch(new Request(request, { headers, body }));
}`;

/** The script that starts the reference (a file of its own: the CSP refuses inline scripts). */
export function referenceScript(): string {
  const configuration = JSON.stringify(CONFIGURATION, null, 2).replace(/\n}$/, ',\n  "fetch": fetchWithBoundary\n}');
  return `${FETCH_WITH_BOUNDARY}\n\nScalar.createApiReference('#app', ${configuration});\n`;
}
