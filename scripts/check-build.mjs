#!/usr/bin/env node
// `npm start` runs the build that `npm ci` made once (the prepare script) or `npm run build`
// remade: it never compiles. Without a build it stops here with one line saying what to run,
// instead of Node's stack trace for a missing module.
import fs from 'node:fs';

const built = ['dist/src/main.js', 'packages/wa-emulator/dist/index.js'];
const missing = built.filter((file) => !fs.existsSync(file));
if (missing.length > 0) {
  process.stderr.write(`wuts: not built (${missing.join(' and ')} missing): run npm run build first (npm ci builds once)\n`);
  process.exit(1);
}
