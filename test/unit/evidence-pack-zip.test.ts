/**
 * The evidence pack's ZIP writer: the same entries and time give the same bytes whatever the machine's time zone, and
 * the archive dates every entry at that time in UTC. The time zone is a process's (jest's process.env is a copy), so
 * the writer runs in child processes, each with its own TZ, from its source transpiled by TypeScript.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as yauzl from 'yauzl';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = `
const fs = require('fs'); const ts = require('typescript');
const src = fs.readFileSync('src/reports/evidence-pack/zip.ts', 'utf8');
const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
const m = { exports: {} }; new Function('require', 'module', 'exports', js)(require, m, m.exports);
m.exports.zipEntries([{ name: 'b.csv', content: Buffer.from('x,y\\r\\n1,2\\r\\n') }, { name: 'a.json', content: Buffer.from('{}\\n') }], new Date('2026-10-25T23:30:58.000Z'))
  .then((b) => process.stdout.write(b.toString('base64')));
`;
const zipIn = (tz: string) => Buffer.from(execFileSync(process.execPath, ['-e', SCRIPT], { cwd: ROOT, env: { ...process.env, TZ: tz }, encoding: 'utf8' }), 'base64');

function entries(zip: Buffer): Promise<Array<{ name: string; mtime: string; compression: number }>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: false }, (err, file) => {
      if (err || !file) return reject(err);
      const out: Array<{ name: string; mtime: string; compression: number }> = [];
      file.on('entry', (e: yauzl.Entry) => out.push({ name: e.fileName, mtime: e.getLastModDate({ timezone: 'UTC' }).toISOString(), compression: e.compressionMethod }));
      file.on('end', () => resolve(out));
      file.on('error', reject);
    });
  });
}

describe('evidence pack ZIP', () => {
  it('gives the same bytes in any time zone, entries in the order given, stored, dated at the time in UTC', async () => {
    const utc = zipIn('UTC');
    for (const tz of ['Pacific/Auckland', 'America/New_York']) expect([tz, zipIn(tz).equals(utc)]).toEqual([tz, true]);
    expect(await entries(utc)).toEqual([
      { name: 'b.csv', mtime: '2026-10-25T23:30:58.000Z', compression: 0 },
      { name: 'a.json', mtime: '2026-10-25T23:30:58.000Z', compression: 0 },
    ]);
  });
});
