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
const { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { join, relative, sep } = require('node:path');

const ROOT = join(__dirname, '..');
const CONFIG = 'tsconfig.build.json';
const STAMP = join('dist', '.build-stamp');
const LOCK = join('dist', '.build-lock');
/** How long a build waits for another one: a compile takes minutes on a busy machine. */
const LOCK_WAIT_MS = 15 * 60_000;
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
  const lock = join(root, LOCK);
  // While another build writes dist/, an up-to-date stamp says nothing of the files being rewritten: wait for it.
  if (options.ifChanged && staleBecause(root) === null && !(existsSync(lock) && !holderIsGone(lock))) return 'up-to-date';
  // Checked again under the lock: the build another process held it for is usually the one this one needed.
  return withBuildLock(root, () => compile(root, options));
}

function compile(root, options) {
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

/**
 * Runs `fn` holding dist/.build-lock, so one compile runs at a time in a tree. Two commands started together on a
 * stale tree (a fresh clone's `npm start` beside an `npx patchgraph …`, or tests that each spawn the CLI) each ran
 * tsc into the same dist/, and one started the server while the other's tsc was rewriting its modules ("oidcVars is
 * not a function"). The lock is a directory, since making one is atomic, holding its holder's pid; a lock whose
 * holder has died is taken over.
 */
function withBuildLock(root, fn) {
  const lock = join(root, LOCK);
  mkdirSync(join(root, 'dist'), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), `${process.pid}\n`);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    if (holderIsGone(lock)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw Object.assign(new Error(`another build has held ${LOCK} for over ${LOCK_WAIT_MS / 60_000} minutes; remove it if no build is running`), { exitCode: 1 });
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Indicates the lock's holder has exited: its pid no longer runs, or it has written none in the ten seconds since it took the lock. */
function holderIsGone(lock) {
  let pid = NaN;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    // not written yet, or the lock was released meanwhile
  }
  if (!Number.isInteger(pid) || pid <= 0) {
    try {
      return Date.now() - statSync(lock).mtimeMs > 10_000;
    } catch {
      return false; // released: the next mkdir decides
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return err.code === 'ESRCH';
  }
}

module.exports = { build, sourceHash, staleBecause, STAMP, LOCK };

if (require.main === module) {
  try {
    build({ ifChanged: process.argv.includes('--if-changed') });
  } catch (err) {
    process.stderr.write(`build: ${err.message}\n`);
    process.exit(err.exitCode ?? 1);
  }
}
