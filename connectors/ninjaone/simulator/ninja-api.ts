/**
 * NinjaOne's own routes over a NinjaFleet: the `after`-paged lists and the cursor-paged query reports, with
 * NinjaOne's error body. The server, tokens, faults and counting are the SDK simulator toolkit's (server.ts).
 */
import type { Clock } from '../../sdk/clock';
import { keysetPage, pageSize, PagingError, type SimRequest, type SimResponse } from '../../sdk/testkit/simulator';
import type { NinjaOsPatch, NinjaQueryPage } from '../payloads';
import type { NinjaFleet } from './fleet';

const CURSOR_LIFETIME_S = 600;

/** NinjaOne's error body, as its API answers a request it refuses. */
export function ninjaError(status: number, message: string): SimResponse {
  return { status, body: { resultCode: 'FAILURE', errorMessage: message, incidentId: `sim-${status}` } };
}


interface OpenCursor {
  rows: NinjaOsPatch[];
  offset: number;
  expires: number;
}

export class NinjaApi {
  private readonly cursors = new Map<string, OpenCursor>();
  private cursorCount = 0;
  private expiry?: { afterContinuations: number; repeat: boolean; seen: number };

  constructor(
    private readonly fleet: NinjaFleet,
    /** The most rows this server puts on a page, whatever the client asks for. */
    private readonly maxPageSize: number,
    private readonly clock: Clock,
  ) {}

  readonly organizations = (req: SimRequest): SimResponse => this.listAfter(this.fleet.organizations, req);
  readonly locations = (req: SimRequest): SimResponse => this.listAfter(this.fleet.locations, req);
  readonly devicesDetailed = (req: SimRequest): SimResponse => this.listAfter(this.fleet.devices, req);
  readonly osPatches = (req: SimRequest): SimResponse =>
    this.report(req, () => withStatus(this.fleet.pending, req, ['PENDING', 'APPROVED', 'FAILED', 'REJECTED']));
  readonly osPatchInstalls = (req: SimRequest): SimResponse =>
    this.report(req, () => {
      const after = dateParam(req.query.get('installedAfter'));
      const before = dateParam(req.query.get('installedBefore'));
      return withStatus(this.fleet.installs, req, ['INSTALLED', 'FAILED']).filter(
        (row) => (after === null || (row.installedAt ?? 0) > after) && (before === null || (row.installedAt ?? 0) < before),
      );
    });

  /** Every open report cursor is forgotten, as NinjaOne forgets one past its `expires`. */
  expireCursors(): void {
    this.cursors.clear();
  }

  /**
   * Makes report cursors expire mid-read: on the `afterContinuations`-th request naming a cursor, every open cursor
   * is forgotten; once, or (`repeat`) again every that many requests, as for a report larger than a cursor lives.
   */
  expireCursorsDuringReads(afterContinuations: number, repeat = false): void {
    this.expiry = { afterContinuations, repeat, seen: 0 };
  }

  private size(req: SimRequest): number {
    // NinjaOne may serve fewer rows than asked for; the simulator serves at most the harness's page size.
    return pageSize(req.query.get('pageSize'), { name: 'pageSize', fallback: this.maxPageSize, max: this.maxPageSize, overMax: 'clamp' });
  }

  /** Lists ordered by id; `after` is the last id the client saw (a plain id, not an opaque cursor). */
  private listAfter<T extends { id: number }>(items: T[], req: SimRequest): SimResponse {
    const after = req.query.get('after');
    if (after !== null && !/^\d+$/.test(after)) throw new PagingError('after must be a device, organization or location id', 'after');
    const page = keysetPage(items, { keyOf: (item) => item.id, after: after === null ? null : Number(after), size: this.size(req) });
    return { status: 200, body: page.items };
  }

  /**
   * The first request takes the report's filters and opens a cursor over a snapshot of the rows; later requests name
   * the cursor alone, which keeps its name while its offset advances. The last page is an empty one.
   */
  private report(req: SimRequest, select: () => NinjaOsPatch[]): SimResponse {
    const nowS = this.clock.now().getTime() / 1000;
    const name = req.query.get('cursor');
    let cursor: OpenCursor | undefined;
    let cursorName: string;
    if (name) {
      this.countContinuation();
      cursor = this.cursors.get(name);
      if (!cursor || cursor.expires <= nowS) {
        this.cursors.delete(name);
        return ninjaError(400, `Cursor ${name} has expired or does not exist`);
      }
      cursorName = name;
    } else {
      cursorName = `sim-cursor-${++this.cursorCount}`;
      cursor = { rows: select().map((row) => ({ ...row })), offset: 0, expires: nowS + CURSOR_LIFETIME_S };
      this.cursors.set(cursorName, cursor);
    }
    const results = cursor.rows.slice(cursor.offset, cursor.offset + this.size(req));
    cursor.offset += results.length;
    const page: NinjaQueryPage<NinjaOsPatch> = {
      cursor: { name: cursorName, offset: cursor.offset, count: results.length, expires: cursor.expires },
      results,
    };
    return { status: 200, body: page };
  }

  private countContinuation(): void {
    if (!this.expiry) return;
    this.expiry.seen += 1;
    if (this.expiry.seen < this.expiry.afterContinuations) return;
    this.cursors.clear();
    if (this.expiry.repeat) this.expiry.seen = 0;
    else this.expiry = undefined;
  }
}

function withStatus<T extends NinjaOsPatch>(rows: T[], req: SimRequest, statuses: string[]): T[] {
  const status = req.query.get('status');
  if (status === null) return rows;
  if (!statuses.includes(status)) throw new PagingError(`status must be one of ${statuses.join(', ')}`, 'status');
  return rows.filter((row) => row.status === status);
}

/** installedAfter/installedBefore: an ISO date or epoch seconds. */
function dateParam(value: string | null): number | null {
  if (value === null || value === '') return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new PagingError('must be a date', 'installedAfter');
  return ms / 1000;
}
