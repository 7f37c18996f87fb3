#!/usr/bin/env node
'use strict';
/**
 * Compiles the server (`tsc -p tsconfig.build.json`) into dist/ and records, in dist/.build-stamp, a hash of
 * everything that compile reads. With --if-changed it compiles only when that hash differs from the stamp, so an
 * unchanged tree starts at once instead of waiting for tsc. bin/patchgraph.js runs the --if-changed check before
 * every command, which is what lets `npm start` and `npx patchgraph …` work on a fresh clone and after an edit.
 *
 * A hash of the contents rather than tsc's own incremental modes, measured on this project (2 cores, other jobs
 * running): `tsc --incremental` with nothing changed still takes 9-15 s, because it parses every file; `tsc -b`
 * takes about 1 s with nothing changed, but 11 s after a mere `touch` (a git checkout, an editor saving an unchanged
 * file), because it goes by modification times. Hashing the ~240 inputs takes a few hundredths of a second.
 */
const { createHash } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join, relative, sep } = require('node:path');

const ROOT = join(__dirname, '..');
const CONFIG = 'tsconfig.build.json';
const STAMP = join('dist', '.build-stamp');
/** What the CLI needs; when it is missing the build is incomplete whatever the stamp says. */
const ENTRY = join('dist', 'src', 'cli', 'main.js');

/** Files tsc reads for the build besides the sources: its configs, and the lock file (the compiler's and the type definitions' versions). */
const SETTINGS_FILES = ['tsconfig.json', CONFIG, 'package-lock.json'];
const SOURCE = /\.(ts|mts|cts|tsx|json)$/;

function walk(dir, out) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.test.ts')) out.push(path);
  }
}

/**
 * A hash of every file the build reads: the folders tsconfig.build.json includes (tests left out, as it leaves them
 * out), and SETTINGS_FILES. Paths count as well as contents, so adding, removing or renaming a file changes it.
 */
function sourceHash(root = ROOT) {
  const include = JSON.parse(readFileSync(join(root, CONFIG), 'utf8')).include ?? [];
  const files = [];
  for (const folder of include) walk(join(root, folder), files);
  for (const file of SETTINGS_FILES) if (existsSync(join(root, file))) files.push(join(root, file));
  const hash = createHash('sha256');
  for (const file of [...new Set(files)].sort()) {
    hash.update(relative(root, file).split(sep).join('/'));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Null when dist/ is up to date with the sources, else why it is not. */
function staleBecause(root = ROOT, hash = sourceHash(root)) {
  if (!existsSync(join(root, ENTRY))) return 'there is no build yet';
  const stamp = existsSync(join(root, STAMP)) ? readFileSync(join(root, STAMP), 'utf8').trim() : '';
  if (!stamp) return 'the build has no stamp';
  return stamp === hash ? null : 'the sources changed since the last build';
}

/**
 * Compiles when needed (always unless ifChanged) and stamps a successful build. Returns 'up-to-date' or 'built';
 * throws with tsc's exit code when tsc fails (tsc has printed why).
 */
function build(options = {}) {
  const root = options.root ?? ROOT;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  // Hashed before compiling: a file saved during the compile leaves a stamp that no longer matches, so the next
  // start compiles again instead of running stale output.
  const hash = sourceHash(root);
  const reason = staleBecause(root, hash);
  if (options.ifChanged && reason === null) return 'up-to-date';
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [root, ROOT] });
  } catch {
    throw Object.assign(new Error(`cannot compile (${reason ?? 'asked to'}): typescript is not installed; run npm install`), { exitCode: 1 });
  }
  const started = Date.now();
  if (options.ifChanged) log(`patchgraph: compiling, because ${reason} (npm run build)…`);
  const result = spawnSync(process.execPath, [tsc, '-p', CONFIG], { cwd: root, stdio: options.stdio ?? 'inherit' });
  if (result.status !== 0) {
    throw Object.assign(new Error(`tsc -p ${CONFIG} failed${result.signal ? ` (${result.signal})` : ''}`), { exitCode: result.status ?? 1 });
  }
  writeFileSync(join(root, STAMP), `${hash}\n`);
  if (options.ifChanged) log(`patchgraph: compiled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 'built';
}

module.exports = { build, sourceHash, staleBecause, STAMP };

if (require.main === module) {
  try {
    build({ ifChanged: process.argv.includes('--if-changed') });
  } catch (err) {
    process.stderr.write(`build: ${err.message}\n`);
    process.exit(err.exitCode ?? 1);
  }
}
