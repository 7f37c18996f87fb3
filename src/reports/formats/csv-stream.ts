import { transitionOf } from '../patch-transition';
import { isoTime, STREAMED as RAW, StreamedSlice } from '../patch-history-source';
import { DeviceFacts } from '../device-lookup';
import { toDate } from '../../compliance/evaluation';
import { PatchStateValue } from '../../entities/enums';
import { CSV_HEADER, cveCells, escapeText } from './csv';
import { GlobalIdWriter } from './global-id-writer';

/** Text is handed over in pieces of about this many bytes (as formats/report-format.ts does). */
const CHUNK_CHARS = 64 * 1024;

/**
 * The CSV form of the report (formats/csv.ts) written straight from streamed rows (PatchHistorySource.streamedSlices),
 * byte for byte what csvLine writes from PatchHistoryRow objects, without those objects: at 300,000 rows a second a
 * row has about 3 µs, and a row object of 23 keys, its global ids and its line's 26 cells each made anew took more
 * (the collector alone a quarter of the export). What many rows share (an update's eight cells, a device's four, a
 * connector's two, a transition's three, the observed time of a sync run's events) is written once and reused; the
 * memos hold one entry per catalog entry, connector or transition the lookups already hold, never one per row.
 */
export async function* csvStreamChunks(slices: AsyncIterable<StreamedSlice>, counted: (rows: number) => void): AsyncGenerator<Buffer> {
  const cells = new SharedCells();
  const eventIds = new GlobalIdWriter('PatchEvent');
  const syncRunIds = new GlobalIdWriter('SyncRun');
  let text = CSV_HEADER;
  let lastObserved: unknown = null;
  let observedCell = '';
  let lastRun: unknown = null;
  let runCell = '';
  for await (const slice of slices) {
    const { tenantId, lookups, changes, verdicts, devices } = slice;
    const tenantCell = text0(lookups.tenant(tenantId));
    for (const r of slice.rows) {
      const device = devices.get(String(r[RAW.sourceDeviceId])) ?? NO_DEVICE;
      const assetId = device.assetId;
      const updateId = r[RAW.updateId] as string;
      const observed = r[RAW.observedAt];
      if (observed !== lastObserved) {
        lastObserved = observed;
        observedCell = isoTime(observed);
      }
      const run = r[RAW.syncRunId];
      if (run !== lastRun) {
        lastRun = run;
        runCell = run ? syncRunIds.of(String(run)) : '';
      }
      const reported = r[RAW.reportedAt];
      const change = assetId && changes.mayAttribute(tenantId, updateId) ? changes.of(tenantId, assetId, updateId, toDate(observed)) : null;
      const verdict = verdicts && assetId ? verdicts.get(`${assetId} ${updateId}`) : undefined;
      const evidence = r[RAW.evidence];
      text += `${eventIds.of(String(r[RAW.id]))},${tenantCell},${device.csvCells},${cells.update(lookups, updateId)},`
        + `${cells.transition(r[RAW.fromState] as PatchStateValue | null, r[RAW.toState] as PatchStateValue)},`
        + `${reported === null || reported === undefined ? '' : isoTime(reported)},${observedCell},${cells.connector(lookups, device.connectorInstanceId)},`
        + `${runCell},${evidence === null || evidence === undefined ? '' : String(evidence)},${change === null ? '' : escapeText(change)},`
        + `${verdict?.dueAt ? verdict.dueAt.toISOString() : ''},${verdict && verdict.met !== null ? String(verdict.met) : ''}\r\n`;
      if (text.length >= CHUNK_CHARS) {
        yield Buffer.from(text, 'utf8');
        text = '';
      }
    }
    counted(slice.rows.length);
  }
  if (text) yield Buffer.from(text, 'utf8');
}

/** An event whose device is gone: the cells a LEFT JOIN to no device gave. */
const NO_DEVICE: DeviceFacts = { assetId: null, connectorInstanceId: null, assetClass: 'WORKSTATION', csvCells: ',,,' };

/** A text cell: empty for null or empty, else escaped and defused (csv.ts). */
function text0(value: unknown): string {
  return value === null || value === undefined || value === '' ? '' : escapeText(String(value));
}

type Lookups = StreamedSlice['lookups'];

/** The cells many rows share, written once each. */
class SharedCells {
  private readonly updates = new Map<string, string>();
  private readonly connectors = new Map<string | null, string>();
  private readonly transitions = new Map<string, string>();

  /** kb, updateTitle, classification, severity, cves, maxCvss, kevCves, maxEpss. */
  update(lookups: Lookups, id: string): string {
    let cell = this.updates.get(id);
    if (cell === undefined) {
      const u = lookups.update(id);
      const c = cveCells(u.cves);
      cell = [text0(u.kb), text0(u.title), u.classification, u.severity, c.ids, c.maxCvss ?? '', c.kev, c.maxEpss ?? ''].join(',');
      this.updates.set(id, cell);
    }
    return cell;
  }

  /** sourceTool, connectorName. */
  connector(lookups: Lookups, id: string | null): string {
    let cell = this.connectors.get(id);
    if (cell === undefined) {
      const c = lookups.connector(id);
      cell = `${text0(c.kind)},${text0(c.name)}`;
      this.connectors.set(id, cell);
    }
    return cell;
  }

  /** transition, fromState, toState. */
  transition(from: PatchStateValue | null, to: PatchStateValue): string {
    const key = `${from} ${to}`;
    let cell = this.transitions.get(key);
    if (cell === undefined) {
      cell = `${transitionOf(from, to)!},${from ?? ''},${to}`;
      this.transitions.set(key, cell);
    }
    return cell;
  }
}
