/**
 * The README says what each dependency is for (its "Dependencies and what they are for" table): a package added to
 * package.json without a line there fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINE } from '../helpers/database';

const ROOT = join(__dirname, '..', '..');

// Nothing here touches a database: once is enough.
const describeOnSqlite = ENGINE === 'sqlite' ? describe : describe.skip;

describeOnSqlite("the README's dependency table", () => {
  it('names every dependency and dev dependency of package.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('### Dependencies and what they are for');
    expect(start).toBeGreaterThan(-1);
    const next = readme.indexOf('\n## ', start);
    const table = readme.slice(start, next === -1 ? undefined : next);
    const named = new Set([...table.matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/ \d+$/, '')));
    const packages = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
    expect(packages.filter((name) => !named.has(name))).toEqual([]);
  });
});
