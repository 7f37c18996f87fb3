import { transitionOf } from '../patch-transition';
import { isoTime, STREAMED as RAW, StreamedSlice } from '../patch-history-source';
import { DeviceFacts } from '../device-lookup';
import { toDate } from '../../compliance/evaluation';
import { PatchStateValue } from '../../entities/enums';
import { CSV_HEADER, cveCells, escapeText } from './csv';
import { ChunkWriter } from './chunk-writer';
import { GlobalIdWriter } from './global-id-writer';

/** Bytes are handed over in pieces of about this size (as formats/report-format.ts does). */
const CHUNK_BYTES = 64 * 1024;

/** The writer csvStreamChunks fills; a caller that holds it can give the chunks back once sent (ChunkWriter.reuse). */
export const csvChunkWriter = () => new ChunkWriter(CHUNK_BYTES);

const COMMA = 0x2c;
const CRLF = Buffer.from('\r\n', 'latin1');
/** The last three cells empty (no change record, no policy) and the line's end. */
const NO_CHANGE_NO_POLICY = Buffer.from(',,,\r\n', 'latin1');

/**
 * The CSV form of the report (formats/csv.ts) written straight from streamed rows (PatchHistorySource.streamedSlices),
 * byte for byte what csvLine writes from PatchHistoryRow objects, without those objects: at 300,000 rows a second a
 * row has about 3 µs, and a row object of 23 keys, its global ids and its line's 26 cells each made anew took more
 * (the collector alone a quarter of the export). What many rows share (an update's eight cells, a device's four, a
 * connector's two, a transition's three, the observed time and sync run of a run's events) is encoded once and its
 * bytes copied; the memos hold one entry per catalog entry, connector or transition the lookups already hold, never
 * one per row. The rest goes into the output buffers as bytes (ChunkWriter), never through a string per line.
 */
export async function* csvStreamChunks(
  slices: AsyncIterable<StreamedSlice>, counted: (rows: number) => void, out = csvChunkWriter(),
): AsyncGenerator<Buffer> {
  const cells = new SharedCells();
  const eventIds = new GlobalIdWriter('PatchEvent');
  const syncRunIds = new GlobalIdWriter('SyncRun');
  out.text(CSV_HEADER);
  let lastObserved: unknown = null;
  let observedCell = COMMA_ONLY;
  let lastRun: unknown = null;
  let runCell = COMMA_ONLY;
  for await (const slice of slices) {
    const { tenantId, lookups, changes, verdicts, devices } = slice;
    const tenantCell = Buffer.from(`,${text0(lookups.tenant(tenantId))},`, 'utf8');
    for (const r of slice.rows) {
      const device = devices.get(String(r[RAW.sourceDeviceId])) ?? NO_DEVICE;
      const assetId = device.assetId;
      const updateId = r[RAW.updateId] as string;
      const observed = r[RAW.observedAt];
      if (observed !== lastObserved) {
        lastObserved = observed;
        observedCell = Buffer.from(`${isoTime(observed)},`, 'utf8');
      }
      const run = r[RAW.syncRunId];
      if (run !== lastRun) {
        lastRun = run;
        runCell = Buffer.from(`${run ? syncRunIds.of(String(run)) : ''},`, 'utf8');
      }
      const reported = r[RAW.reportedAt];
      const change = assetId && changes.mayAttribute(tenantId, updateId) ? changes.of(tenantId, assetId, updateId, toDate(observed)) : null;
      const verdict = verdicts && assetId ? verdicts.get(`${assetId} ${updateId}`) : undefined;
      const evidence = r[RAW.evidence];
      // eventId, tenant, site, assetId, hostname, serialNumber, the update's eight, the transition's three,
      // reportedAt, observedAt, sourceTool, connectorName, syncRunId, evidence, changeRecord, policyDueAt, policyDueMet.
      eventIds.into(out, String(r[RAW.id]));
      out.bytes(tenantCell);
      out.bytes(device.csvCells);
      out.ascii(COMMA);
      out.bytes(cells.update(lookups, updateId));
      out.bytes(cells.transition(r[RAW.fromState] as PatchStateValue | null, r[RAW.toState] as PatchStateValue));
      if (reported !== null && reported !== undefined) writeIsoTime(out, reported);
      out.ascii(COMMA);
      out.bytes(observedCell);
      out.bytes(cells.connector(lookups, device.connectorInstanceId));
      out.bytes(runCell);
      if (evidence !== null && evidence !== undefined) out.text(String(evidence));
      if (change === null && verdict === undefined) {
        out.bytes(NO_CHANGE_NO_POLICY);
      } else {
        out.ascii(COMMA);
        if (change !== null) out.text(escapeText(change));
        out.ascii(COMMA);
        if (verdict?.dueAt) out.text(verdict.dueAt.toISOString());
        out.ascii(COMMA);
        if (verdict && verdict.met !== null) out.text(String(verdict.met));
        out.bytes(CRLF);
      }
      if (out.ready) yield* out.take();
    }
    counted(slice.rows.length);
  }
  yield* out.end();
}

/** A cell left empty, and the comma after it. */
const COMMA_ONLY = Buffer.from(',', 'latin1');

/** An event whose device is gone: the cells a LEFT JOIN to no device gave. */
const NO_DEVICE: DeviceFacts = { assetId: null, connectorInstanceId: null, assetClass: 'WORKSTATION', csvCells: Buffer.from(',,,', 'latin1') };

/** What each position of 'YYYY-MM-DD HH:MM:SS.mmm' holds: -1 a digit, else that character's code. */
const STORED_TIME = [...'dddd-dd-dd dd:dd:dd.ddd'].map((c) => (c === 'd' ? -1 : c.charCodeAt(0)));

/** Whether `value` is the stored text isoTime rearranges (its SQLITE_TIME pattern, a code unit at a time). */
function isStoredTime(value: string): boolean {
  if (value.length !== STORED_TIME.length) return false;
  for (let i = 0; i < STORED_TIME.length; i++) {
    const c = value.charCodeAt(i);
    const want = STORED_TIME[i];
    if (want === -1 ? c < 0x30 || c > 0x39 : c !== want) return false;
  }
  return true;
}

/**
 * isoTime(value) written into `out`: the stored UTC text 'YYYY-MM-DD HH:MM:SS.mmm' rearranged as it is copied (no
 * string a row); anything else through isoTime itself.
 */
export function writeIsoTime(out: ChunkWriter, value: unknown): void {
  if (typeof value !== 'string' || !isStoredTime(value)) {
    out.text(isoTime(value));
    return;
  }
  out.room(24);
  const target = out.target;
  const at = out.position;
  for (let i = 0; i < 10; i++) target[at + i] = value.charCodeAt(i);
  target[at + 10] = 0x54; // T
  for (let i = 11; i < 23; i++) target[at + i] = value.charCodeAt(i);
  target[at + 23] = 0x5a; // Z
  out.advance(24);
}

/** A text cell: empty for null or empty, else escaped and defused (csv.ts). */
function text0(value: unknown): string {
  return value === null || value === undefined || value === '' ? '' : escapeText(String(value));
}

type Lookups = StreamedSlice['lookups'];

/** The cells many rows share, encoded once each, with the separators around them. */
class SharedCells {
  private readonly updates = new Map<string, Buffer>();
  private readonly connectors = new Map<string | null, Buffer>();
  private readonly transitions = new Map<PatchStateValue | null, Map<PatchStateValue, Buffer>>();

  /** "kb,updateTitle,classification,severity,cves,maxCvss,kevCves,maxEpss,". */
  update(lookups: Lookups, id: string): Buffer {
    let cell = this.updates.get(id);
    if (cell === undefined) {
      const u = lookups.update(id);
      const c = cveCells(u.cves);
      cell = Buffer.from(`${[text0(u.kb), text0(u.title), u.classification, u.severity, c.ids, c.maxCvss ?? '', c.kev, c.maxEpss ?? ''].join(',')},`, 'utf8');
      this.updates.set(id, cell);
    }
    return cell;
  }

  /** "sourceTool,connectorName,". */
  connector(lookups: Lookups, id: string | null): Buffer {
    let cell = this.connectors.get(id);
    if (cell === undefined) {
      const c = lookups.connector(id);
      cell = Buffer.from(`${text0(c.kind)},${text0(c.name)},`, 'utf8');
      this.connectors.set(id, cell);
    }
    return cell;
  }

  /** "transition,fromState,toState,". */
  transition(from: PatchStateValue | null, to: PatchStateValue): Buffer {
    let byTo = this.transitions.get(from);
    if (byTo === undefined) {
      byTo = new Map();
      this.transitions.set(from, byTo);
    }
    let cell = byTo.get(to);
    if (cell === undefined) {
      cell = Buffer.from(`${transitionOf(from, to)!},${from ?? ''},${to},`, 'utf8');
      byTo.set(to, cell);
    }
    return cell;
  }
}
