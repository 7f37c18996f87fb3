/**
 * An upload is checked once: the connector's own check of its payload (the engine never trusts its caller) passes
 * at once the very envelope the ingest endpoint's check returned, and checks in full anything else, however like a
 * checked envelope it looks.
 */
import { checkEnvelope, WsusEnvelope } from '..';
import type { TimeSlicer } from '../../sdk/time-slices';
import { SyncRunStatus, SyncTrigger } from '../../../src/entities/enums';
import { ENGINE, openTestDatabase, TestDatabase } from '../../../test/helpers/database';
import { Factory } from '../../../test/helpers/factories';
import { syncHarness } from '../../../test/helpers/sync';
import { WsusSimulator } from '../simulator';

const NOW = new Date('2026-11-02T10:00:00.000Z');
const fleet = () => JSON.parse(JSON.stringify(new WsusSimulator({ computers: 40, updates: 30, seed: 8, now: NOW }).snapshot())) as WsusEnvelope;
const copyOf = <T>(value: T): T => JSON.parse(JSON.stringify(value));

/** A slicer that never asks for a turn and counts the rows a check went through (it is asked once per row). */
function rowCounter(): TimeSlicer & { rows: number } {
  const counter = { rows: 0, due: () => (counter.rows++, false), turn: () => Promise.resolve() };
  return counter;
}

describe('the envelope check', () => {
  it('reads no row of an envelope it has checked and returned, and reads every row of a copy of one', async () => {
    const first = rowCounter();
    const envelope = await checkEnvelope(fleet(), { slicer: first });
    const rows = Object.values(envelope.rows).reduce((n, set) => n + set.length, 0);
    expect(first.rows).toBeGreaterThanOrEqual(rows);

    const again = rowCounter();
    await expect(checkEnvelope(envelope, { slicer: again })).resolves.toBe(envelope);
    expect(again.rows).toBe(0);

    const copy = rowCounter();
    await checkEnvelope(copyOf(envelope), { slicer: copy });
    expect(copy.rows).toBe(first.rows);
  });
});

describe(`the WSUS connector's check of its payload on ${ENGINE}`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(() => db.drop());

  it('refuses a payload the check did not return, though a checked envelope like it passed', async () => {
    const h = syncHarness(db.dataSource);
    const tenant = await new Factory(db.dataSource).tenant('Check once');
    const instance = await h.admin.create({ tenantId: tenant.id, kind: 'wsus', name: 'WSUS', settings: { ingestKey: 'k'.repeat(40) } });
    const checked = await checkEnvelope(fleet());
    // The checked envelope's twin, with one state for a computer the snapshot does not list.
    const forged = copyOf(checked);
    forged.rows.installations[7][0] = '00000000-0000-4000-8000-000000000000';
    const refused = await h.engine.run(instance.id, { trigger: SyncTrigger.PUSH, triggeredBy: 'test', payload: forged });
    expect({ status: refused.status, errorKind: refused.errorKind, errorMessage: refused.errorMessage }).toEqual({
      status: SyncRunStatus.FAILED, errorKind: 'malformed_response',
      errorMessage: '/rows/installations/7 names computer 00000000-0000-4000-8000-000000000000, which is not in computerTargets',
    });
    const applied = await h.engine.run(instance.id, { trigger: SyncTrigger.PUSH, triggeredBy: 'test', payload: checked });
    expect(applied.status).toBe(SyncRunStatus.SUCCEEDED);
  });
});
