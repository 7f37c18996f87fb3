#!/usr/bin/env node
'use strict';
// The CLI is compiled TypeScript in dist/. Run from a clone (`npx patchgraph …`, `npm start`), it first compiles
// whatever changed since the last build, so a fresh clone or an edited tree never runs missing or stale output.
const { join } = require('node:path');

const args = process.argv.slice(2);
// The version needs only package.json: answering it must not wait for a compile.
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${require('../package.json').version}\n`);
  return;
}

try {
  require('../scripts/build.js').build({ ifChanged: true });
} catch (err) {
  process.stderr.write(`patchgraph: ${err.message}\n`);
  process.exit(err.exitCode ?? 1);
}
require(join(__dirname, '..', 'dist', 'src', 'cli', 'main.js')).main(process.argv);
