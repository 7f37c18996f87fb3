/**
 * The installation rows' references (each names a listed computer and update, and no pair is given two states) are
 * checked and planned by the ids' places: each distinct id is lowercased and looked up once, not two ids a row.
 * Nothing else may change: for any mix of problems the refusal is the one a single pass in row order gives, the
 * upload parsed as the route parses it or built in code, and a snapshot that passes maps to the same states.
 */
import { checkEnvelope, EnvelopeError, WsusEnvelope } from '..';
import { parseBoundedJson } from '../../../src/server/bounded-json';
import { wsusIngest } from '../ingest';
import { mapSnapshot } from '../mapping';
import { WsusSimulator } from '../simulator';

const NOW = new Date('2026-11-02T09:00:00.000Z');
const LIMITS = { maxBytes: 1 << 30, maxDepth: 64, maxElements: 10_000_000, maxStringChars: 10_000 };
const NAMES = { maxBytes: 'MAX_BYTES', maxDepth: 'MAX_DEPTH', maxElements: 'MAX_ELEMENTS', maxStringChars: 'MAX_STRING_CHARS' };
const STRANGER = '00000000-0000-4000-8000-0000000000aa';

type Row = [string, string, number];
const fleet = (seed: number, computers = 25, updates = 18) =>
  JSON.parse(JSON.stringify(new WsusSimulator({ computers, updates, seed, now: NOW }).snapshot())) as WsusEnvelope & { rows: { installations: Row[] } };

/** The check as one pass in row order, as it was written before it read places: the definition held to. */
function onePassRefusal(e: WsusEnvelope & { rows: { installations: Row[] } }): string | null {
  const computers = new Set(e.rows.computerTargets.map((c) => c.ComputerTargetId.toLowerCase()));
  const updates = new Set(e.rows.updates.map((u) => u.UpdateId.toLowerCase()));
  const stateOf = new Map<string, Map<string, number>>();
  for (const [i, [computerId, updateId, state]] of e.rows.installations.entries()) {
    const computer = computerId.toLowerCase();
    const update = updateId.toLowerCase();
    if (!computers.has(computer)) return `/rows/installations/${i} names computer ${computerId}, which is not in computerTargets`;
    if (!updates.has(update)) return `/rows/installations/${i} names update ${updateId}, which is not in updates`;
    const states = stateOf.get(computer) ?? new Map<string, number>();
    stateOf.set(computer, states);
    const earlier = states.get(update);
    if (earlier !== undefined && earlier !== state) return `/rows/installations/${i} gives computer ${computerId} state ${state} for update ${updateId}, which an earlier row gives state ${earlier}`;
    states.set(update, state);
  }
  return null;
}

async function refusal(value: unknown): Promise<string | null> {
  try {
    await checkEnvelope(value);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(EnvelopeError);
    return (err as EnvelopeError).message;
  }
}

const routed = (e: WsusEnvelope) => parseBoundedJson([Buffer.from(JSON.stringify(e), 'utf8')], LIMITS, NAMES, wsusIngest.collectArrays);

/** A small deterministic generator, so a failing case can be run again. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
}

/** Spoils rows in ways that pass the schema: unlisted ids, contradictions, repeats, other cases, another order. */
function spoil(e: WsusEnvelope & { rows: { installations: Row[] } }, next: () => number): void {
  const rows = e.rows.installations;
  const at = () => Math.floor(next() * rows.length);
  const moves = 1 + Math.floor(next() * 4);
  for (let m = 0; m < moves; m++) {
    const kind = Math.floor(next() * 7);
    const row = rows[at()];
    if (kind === 0) rows[at()] = [STRANGER, row[1], row[2]];
    else if (kind === 1) rows[at()] = [row[0], STRANGER.toUpperCase(), row[2]];
    else if (kind === 2) rows.splice(at(), 0, [row[0].toUpperCase(), row[1], (row[2] + 1) % 7]);
    else if (kind === 3) rows.splice(at(), 0, [row[0], row[1].toUpperCase(), row[2]]);
    else if (kind === 4) rows.push([row[0], row[1], (row[2] + 3) % 7]);
    else if (kind === 5) rows.reverse();
    else rows.sort(() => next() - 0.5);
  }
}

describe('the installation rows checked by their ids', () => {
  it('refuses each of 150 spoilt uploads with the one-pass refusal, parsed as routed and built in code, and passes the rest', async () => {
    const next = random(17);
    let refused = 0;
    let contradictions = 0;
    for (let n = 0; n < 150; n++) {
      const envelope = fleet(1 + (n % 5));
      spoil(envelope, next);
      const expected = onePassRefusal(envelope);
      if (expected) refused++;
      if (expected?.includes('which an earlier row gives state')) contradictions++;
      expect({ n, refusal: await refusal(await routed(envelope)) }).toEqual({ n, refusal: expected });
      expect({ n, refusal: await refusal(JSON.parse(JSON.stringify(envelope))) }).toEqual({ n, refusal: expected });
    }
    // The mix holds every kind, accepted uploads too.
    expect(refused).toBeGreaterThan(40);
    expect(refused).toBeLessThan(150);
    expect(contradictions).toBeGreaterThan(10);
  });

  it('maps a snapshot whose rows come in another order and case to the states of each computer, in its rows\' order', async () => {
    const plain = fleet(3);
    const shuffled = fleet(3);
    const rows = shuffled.rows.installations;
    const next = random(5);
    rows.sort(() => next() - 0.5);
    for (const row of rows) if (next() < 0.3) row[0] = row[0].toUpperCase();
    const options = { targetGroups: 'sites' as const, staleAfterDays: 30 };
    const statesOf = async (e: unknown) => [...(await mapSnapshot(await checkEnvelope(e), options)).patchStates];
    const byComputer = (states: Array<{ deviceExternalId: string; updateKey: string; state: string }>) =>
      Object.fromEntries([...new Set(states.map((s) => s.deviceExternalId))].map((d) => [d, Object.fromEntries(states.filter((s) => s.deviceExternalId === d).map((s) => [s.updateKey, s.state]))]));
    const expected = await statesOf(plain);
    expect(expected.length).toBeGreaterThan(100);
    const routedStates = await statesOf(await routed(shuffled));
    const coded = await statesOf(JSON.parse(JSON.stringify(shuffled)));
    expect(routedStates).toEqual(coded);
    expect(byComputer(routedStates)).toEqual(byComputer(expected));
    // Each computer's states in the order its rows first name each update key; computers in the order rows first name them.
    const firstComputers = [...new Set(rows.map((r) => r[0].toLowerCase()))];
    expect([...new Set(routedStates.map((s) => s.deviceExternalId))]).toEqual(firstComputers.filter((c) => routedStates.some((s) => s.deviceExternalId === c)));
  });

  it('lowercases each distinct id once, not the two ids of every row, to check and map an upload', async () => {
    const envelope = fleet(2, 40, 80);
    const rowCount = envelope.rows.installations.length;
    const distinct = new Set(envelope.rows.installations.flatMap((r) => [r[0], r[1]])).size;
    const parsed = await routed(envelope);
    const lower = jest.spyOn(String.prototype, 'toLowerCase');
    try {
      const checked = await checkEnvelope(parsed);
      await mapSnapshot(checked, { targetGroups: 'sites', staleAfterDays: 30 });
      // The computers', groups' and updates' own rows are lowercased a few times each; the installation rows
      // (several times as many as those together here) at most once per distinct id and pass. A pass lowercasing
      // both ids of every row, as the check and the mapping each did, makes four calls a row.
      const listed = envelope.rows.computerTargets.length + envelope.rows.updates.length + envelope.rows.groupMemberships.length + envelope.rows.approvals.length + envelope.rows.targetGroups.length;
      expect(rowCount).toBeGreaterThan(listed);
      expect(lower.mock.calls.length).toBeLessThan(6 * listed + 2 * distinct);
      expect(lower.mock.calls.length).toBeLessThan(rowCount);
    } finally {
      lower.mockRestore();
    }
  });
});
