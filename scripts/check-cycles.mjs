#!/usr/bin/env node
// Import cycles in src/ (or the directories given as arguments), type-only imports included.
//
// ESLint's import-x/no-cycle skips `import type` by design, and a cycle of types is still a
// cycle between layers, so this walks the graph itself with the TypeScript compiler API:
// every `import`, `import type`, `export ... from`, dynamic `import()`, `import('x').T` type and
// `import x = require()` of each .ts file, resolved as tsc resolves them (NodeNext: `./a.js`
// is `./a.ts`). Imports that leave the directories (packages, node_modules) are ignored.
//
// Prints each cycle (the shortest one through each file of every strongly connected group),
// marking the edges that only carry types, and exits 1 when there is one.
//
//   node scripts/check-cycles.mjs [dir ...]      (default: src)
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = process.cwd();
const dirs = (process.argv.length > 2 ? process.argv.slice(2) : ['src']).map((d) => path.resolve(root, d));

function compilerOptions() {
  const file = ts.findConfigFile(root, ts.sys.fileExists, 'tsconfig.json');
  const fallback = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, allowJs: false };
  if (!file) return fallback;
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
  if (error) return fallback;
  return ts.convertCompilerOptionsFromJson(config.compilerOptions ?? {}, path.dirname(file)).options;
}

function listTs(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') out.push(...listTs(full));
    } else if (/\.(ts|mts|cts)$/.test(entry.name) && !/\.d\.[mc]?ts$/.test(entry.name)) {
      out.push(full);
    }
  }
  return out;
}

/** The specifiers a file imports for values: the rest of its imports only carry types. */
function valueSpecifiers(sourceFile) {
  const values = new Set();
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause &&
        (clause.isTypeOnly ||
          (!clause.name &&
            clause.namedBindings &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) values.add(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly =
        node.isTypeOnly ||
        (node.exportClause &&
          ts.isNamedExports(node.exportClause) &&
          node.exportClause.elements.length > 0 &&
          node.exportClause.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) values.add(node.moduleSpecifier.text);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      !node.isTypeOnly &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      values.add(node.moduleReference.expression.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      values.add(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return values;
}

/** file -> Map(imported file -> true when some import of it is for values) */
function importGraph(files, options) {
  const inside = (f) => dirs.some((d) => f === d || f.startsWith(d + path.sep));
  const host = ts.createCompilerHost(options);
  const cache = ts.createModuleResolutionCache(root, (f) => f, options);
  const graph = new Map();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const values = valueSpecifiers(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS));
    const edges = new Map();
    for (const { fileName: spec } of ts.preProcessFile(text, true, true).importedFiles) {
      const resolved = ts.resolveModuleName(spec, file, options, host, cache).resolvedModule;
      if (!resolved || resolved.isExternalLibraryImport) continue;
      const target = path.resolve(resolved.resolvedFileName);
      if (!inside(target) || /\.d\.[mc]?ts$/.test(target)) continue;
      edges.set(target, (edges.get(target) ?? false) || values.has(spec));
    }
    graph.set(file, edges);
  }
  return graph;
}

/** Tarjan's strongly connected components (iterative). */
function components(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const out = [];
  for (const start of graph.keys()) {
    if (idx.has(start)) continue;
    const work = [[start, [...(graph.get(start)?.keys() ?? [])], 0]];
    idx.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [node, next] = frame;
      if (frame[2] < next.length) {
        const child = next[frame[2]++];
        if (!graph.has(child)) continue;
        if (!idx.has(child)) {
          idx.set(child, index);
          low.set(child, index++);
          stack.push(child);
          onStack.add(child);
          work.push([child, [...graph.get(child).keys()], 0]);
        } else if (onStack.has(child)) {
          low.set(node, Math.min(low.get(node), idx.get(child)));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(node)));
      }
      if (low.get(node) === idx.get(node)) {
        const scc = [];
        let member;
        do {
          member = stack.pop();
          onStack.delete(member);
          scc.push(member);
        } while (member !== node);
        if (scc.length > 1 || graph.get(node).has(node)) out.push(scc.sort());
      }
    }
  }
  return out;
}

/** The shortest cycle through `start` inside its component, as a list of files ending with `start`. */
function shortestCycle(graph, members, start) {
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const next of graph.get(node).keys()) {
      if (!members.has(next)) continue;
      if (next === start) {
        const cycle = [start];
        for (let n = node; n !== start; n = previous.get(n)) cycle.splice(1, 0, n);
        return [...cycle, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return null;
}

const started = Date.now();
const files = dirs.flatMap(listTs).map((f) => path.resolve(f));
const graph = importGraph(files, compilerOptions());
const rel = (f) => path.relative(root, f).split(path.sep).join('/');
let count = 0;
for (const scc of components(graph)) {
  const members = new Set(scc);
  const seen = new Set();
  for (const start of scc) {
    const cycle = shortestCycle(graph, members, start);
    if (!cycle) continue;
    const ring = cycle.slice(0, -1);
    const first = ring.indexOf([...ring].sort()[0]);
    const key = [...ring.slice(first), ...ring.slice(0, first)].join('\n');
    if (seen.has(key)) continue;
    seen.add(key);
    count++;
    const parts = [rel(cycle[0])];
    for (let i = 1; i < cycle.length; i++) parts.push(`${graph.get(cycle[i - 1]).get(cycle[i]) ? '->' : '-(type)->'} ${rel(cycle[i])}`);
    console.log(`import cycle: ${parts.join(' ')}`);
  }
}
const took = `${files.length} files in ${Date.now() - started} ms`;
if (count > 0) {
  console.log(
    `\n${count} import cycle(s) (${took}). Files must not import each other, directly or through others, even for types only: move the shared part to a third file both import.`,
  );
  process.exit(1);
}
console.log(`no import cycles (${took})`);
