/**
 * Every GraphQL example in README.md, run in README order against a real server over HTTP with the demo loaded as
 * `npm start` loads it (first-start admin key, a clock starting at a fixed time), and its answer compared with the one
 * the README shows. The demo fleet and the API keep changing; this is what makes the README change with them. The rules (which values
 * may differ between runs) are RULES in scripts/readme-examples.js and are printed with any failure, which names the
 * example by its README line and each path that differs. To refresh the answers, run
 * `node scripts/readme-examples.js --write` against a fresh `npm start`, then reread the prose around them.
 *
 * One engine is enough: the examples document the API, and the suite checks the engines agree elsewhere.
 */
import { importBaseline } from '../../src/intel/baseline';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureAdminKey } from '../../src/auth/api-keys';
import { DemoSimulators } from '../../src/demo/demo-simulations';
import { loadDemo } from '../../src/demo/load-demo';
import { compareAnswer, exampleName, extractExamples, formatAnswer, resolveVariables, RULES } from '../../scripts/readme-examples';
import { Clock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const README = join(__dirname, '..', '..', 'README.md');

function steppingClock(start: number): Clock {
  let now = start;
  return { now: () => new Date(now++) };
}
const describeOnSqlite = ENGINE === 'sqlite' ? describe : describe.skip;

describeOnSqlite('README.md examples, against the demo', () => {
  const examples = extractExamples(readFileSync(README, 'utf8'));
  let db: TestDatabase;
  let server: TestServer;
  let key: string;
  let simulators: DemoSimulators | undefined;
  let dir: string;
  const answers: unknown[] = [];

  beforeAll(async () => {
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-readme-'));
    // A fixed start, so that the demo's machines are as old as on any run; but moving on by a millisecond at each
    // reading like a real clock, so that two runs of one instance (the demo syncs Datto twice) never start at the
    // same instant and "the last run" is the last one, as it is after `npm start`.
    const clock = steppingClock(Date.parse('2026-11-02T10:00:00.000Z'));
    // The key a first `npm start` creates, so that `viewer` answers as it does for a newcomer.
    const firstStartKey = await ensureAdminKey(db.dataSource, clock);
    server = await startTestServer(db, {}, { clock });
    key = firstStartKey!;
    // As `npm start` does before the demo: the dated intel baseline the repository ships.
    await importBaseline(db.dataSource, clock.now());
    const demo = await loadDemo({ dataSource: db.dataSource, secrets: server.secrets, clock: server.clock, engine: server.sync, dataDir: dir });
    simulators = demo.simulators;
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await simulators?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
  });

  it.each(examples.map((example) => [exampleName(example), example] as const))('%s', async (name, example) => {
    const variables = resolveVariables(example, answers);
    const answer = (await server.gql(example.query, variables, key)).body;
    answers.push(answer);
    const differences = compareAnswer(example.expected, answer);
    if (differences.length > 0) {
      throw new Error(
        `${name} answers differently from what README.md shows:\n  ${differences.join('\n  ')}\n\n` +
          `How answers are compared:\n  ${RULES.join('\n  ')}\n\nThe whole answer, to review before it goes into README.md:\n${formatAnswer(answer)}\n`,
      );
    }
  });
});
