/**
 * A full snapshot's check and mapping take turns of the event loop (so the server keeps answering while a large
 * upload is checked) and still answer exactly what a single pass does: the same records, and for a bad upload the
 * same refusal, naming the same first problem at the same path.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { checkEnvelope, EnvelopeError, WsusEnvelope } from '..';
import { turnAlways } from '../../sdk/time-slices';
import schema from '../envelope.schema.json';
import { MappedSnapshot, mapSnapshot } from '../mapping';
import { WsusSimulator } from '../simulator';

const NOW = new Date('2026-11-02T09:00:00.000Z');
/** The records with the states made: the mapping makes them as they are read. */
const made = (mapped: MappedSnapshot) => ({ ...mapped, patchStates: [...mapped.patchStates] });
const fleet = () => JSON.parse(JSON.stringify(new WsusSimulator({ computers: 60, updates: 40, seed: 7, now: NOW }).snapshot())) as WsusEnvelope;

/** The refusal a single pass of the whole schema gives, worded as checkEnvelope words it. */
function onePassRefusal(value: unknown): string | null {
  const ajv = new Ajv({ allErrors: false, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  if (validate(value)) return null;
  const first = validate.errors![0];
  const where = first.instancePath ? first.instancePath : '(the envelope)';
  return `${where} ${first.message ?? 'is invalid'}${first.params && 'allowedValue' in first.params ? ` (${JSON.stringify(first.params.allowedValue)})` : ''}`;
}

async function refusal(value: unknown): Promise<string | null> {
  try {
    await checkEnvelope(value, { slicer: turnAlways() });
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(EnvelopeError);
    return (err as EnvelopeError).message;
  }
}

describe('the sliced envelope check', () => {
  it('lets a timer run before a large check finishes', async () => {
    let finished = false;
    let timerSawItUnfinished: boolean | undefined;
    setTimeout(() => {
      timerSawItUnfinished = !finished;
    }, 0);
    await checkEnvelope(fleet(), { slicer: turnAlways() });
    finished = true;
    expect(timerSawItUnfinished).toBe(true);
  });

  it('lets a timer run before a large mapping finishes, and maps to the same records as without turns', async () => {
    const envelope = await checkEnvelope(fleet());
    const options = { targetGroups: 'sites' as const, staleAfterDays: 30 };
    let finished = false;
    let timerSawItUnfinished: boolean | undefined;
    setTimeout(() => {
      timerSawItUnfinished = !finished;
    }, 0);
    const sliced = made(await mapSnapshot(envelope, { ...options, slicer: turnAlways() }));
    finished = true;
    expect(timerSawItUnfinished).toBe(true);
    // A budget no slice ever uses up: one pass, as before the slices.
    const whole = made(await mapSnapshot(envelope, { ...options, slicer: { due: () => false, turn: () => Promise.resolve() } }));
    expect(JSON.stringify(sliced)).toBe(JSON.stringify(whole));
    expect(sliced.patchStates.length).toBeGreaterThan(1000);
  });

  // Each case spoils an upload in one or more places; the refusal must be the single pass's, whichever comes first.
  const cases: Array<[string, (e: any) => void]> = [
    ['a bad state late in the installations', (e) => (e.rows.installations[1100][2] = 9)],
    ['a bad row in two row sets (the earlier set in schema order wins)', (e) => {
      e.rows.installations[3][0] = 'not-a-guid';
      e.rows.computerTargets[45].Name = '';
    }],
    ['two bad rows in one set (the earlier row wins)', (e) => {
      e.rows.installations[900][1] = 'x';
      e.rows.installations[20][2] = -1;
    }],
    ['a bad row and a bad server id', (e) => {
      e.server.id = '';
      e.rows.installations[10][2] = 7;
    }],
    ['a missing row set and a bad row in another', (e) => {
      delete e.rows.approvals;
      e.rows.updates[5].DefaultTitle = 7;
    }],
    ['a row set that is not an array', (e) => (e.rows.installations = { 0: [] })],
    ['an unknown key in rows', (e) => (e.rows.extra = [])],
    ['an unknown key at the top and a bad row', (e) => {
      e.extra = 1;
      e.rows.targetGroups[0].ParentTargetGroupId = 'zz';
    }],
    ['a bad parent group (anyOf)', (e) => (e.rows.targetGroups[1].ParentTargetGroupId = 5)],
    ['a triple of four', (e) => e.rows.installations[77].push(1)],
    ['a wrong format', (e) => (e.format = 'other')],
    ['rows that are not an object', (e) => (e.rows = [])],
    ['a bad generatedAt', (e) => (e.generatedAt = 'yesterday')],
  ];
  it.each(cases)('refuses %s exactly as a single pass does', async (_name, spoil) => {
    const envelope = fleet();
    spoil(envelope);
    const expected = onePassRefusal(envelope);
    expect(expected).not.toBeNull();
    expect(envelope.rows.installations?.length ?? 1200).toBeGreaterThan(1150);
    expect(await refusal(envelope)).toBe(expected);
  });

  it('refuses what is not an object at all as a single pass does', async () => {
    for (const value of [null, 3, 'x', [], { format: 'patchgraph-wsus-snapshot', version: 1 }]) expect(await refusal(value)).toBe(onePassRefusal(value));
  });

  it('still finds a loose reference after the schema passes, at the same row', async () => {
    const envelope = fleet();
    envelope.rows.installations[1150][0] = '00000000-0000-4000-8000-000000000000';
    expect(await refusal(envelope)).toBe('/rows/installations/1150 names computer 00000000-0000-4000-8000-000000000000, which is not in computerTargets');
  });
});
