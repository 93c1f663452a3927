/**
 * The API reference page at /docs, rendered on the server from the OpenAPI document: no
 * script, no external assets, so it works offline and behind strict CSPs.
 */
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

interface OpenApiDoc {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { securitySchemes?: Record<string, { description?: string }> };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const json = (v: unknown) => `<pre>${escape(JSON.stringify(v, null, 2))}</pre>`;
const anchor = (method: string, path: string) => `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, '-');

function renderOperation(method: string, path: string, op: Operation): string {
  const security = op.security?.length ? op.security.map((s) => Object.keys(s).join(' + ')).join(' or ') : 'none';
  const parts = [
    `<section id="${anchor(method, path)}"><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>`,
    op.summary ? `<p><strong>${escape(op.summary)}</strong></p>` : '',
    op.description ? `<p>${escape(op.description)}</p>` : '',
    `<p>Authorization: ${escape(security)}</p>`,
  ];
  if (op.parameters?.length) {
    parts.push('<h4>Parameters</h4><ul>');
    for (const p of op.parameters) {
      parts.push(`<li><code>${escape(p.name)}</code> (${escape(p.in)}${p.required ? ', required' : ''}) ${escape(p.description ?? '')} ${json(p.schema)}</li>`);
    }
    parts.push('</ul>');
  }
  const body = op.requestBody?.content?.['application/json']?.schema;
  if (body) parts.push('<h4>Request body</h4>', json(body));
  parts.push('<h4>Responses</h4>');
  for (const [status, r] of Object.entries(op.responses ?? {})) {
    parts.push(`<details><summary>${escape(status)} ${escape(r.description ?? '')}</summary>${json(r.content?.['application/json']?.schema ?? {})}</details>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

export function renderDocsPage(doc: OpenApiDoc): string {
  const ops: { method: string; path: string; op: Operation }[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) ops.push({ method, path, op });
  }
  const toc = ops.map(
    ({ method, path, op }) => `<li><a href="#${anchor(method, path)}">${method.toUpperCase()} ${escape(path)}</a> ${escape(op.summary ?? '')}</li>`,
  );
  const schemes = Object.entries(doc.components?.securitySchemes ?? {}).map(([n, s]) => `<li><code>${escape(n)}</code>: ${escape(s.description ?? '')}</li>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)} API reference</title>
<style>
body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;line-height:1.45}
pre{background:#f5f5f5;padding:.6em;overflow:auto;font-size:.85em}section{border-top:1px solid #ddd;padding-top:.5em}
.m{font-family:monospace;padding:.1em .4em;border-radius:3px;color:#fff;background:#555}.get{background:#2a7}.post{background:#27a}.put{background:#a72}.delete{background:#a22}
</style></head><body>
<h1>${escape(doc.info.title)} <small>${escape(doc.info.version)}</small></h1>
<p>${escape(doc.info.description ?? '')}</p>
<p>The machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<h2>Authorization</h2><ul>${schemes.join('')}</ul>
<h2>Endpoints</h2><ul>${toc.join('')}</ul>
${ops.map(({ method, path, op }) => renderOperation(method, path, op)).join('\n')}
</body></html>`;
}
