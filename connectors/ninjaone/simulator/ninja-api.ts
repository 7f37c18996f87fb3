/**
 * What the simulated NinjaOne answers, apart from the HTTP server around it: the token grant, the `after`-paged
 * lists and the cursor-paged query reports, over a NinjaFleet. Kept free of sockets so the server stays a thin
 * layer over the SDK's simulator toolkit.
 */
import type { NinjaOsPatch, NinjaOsPatchInstall, NinjaQueryPage } from '../payloads';
import type { NinjaFleet } from './fleet';

export interface ApiAnswer {
  status: number;
  body: unknown;
}

const CURSOR_LIFETIME_S = 600;

interface OpenCursor {
  rows: NinjaOsPatch[];
  offset: number;
  expires: number;
}

/** NinjaOne's error body, as its API answers a request it refuses. */
export function ninjaError(status: number, message: string): ApiAnswer {
  return { status, body: { resultCode: 'FAILURE', errorMessage: message, incidentId: `sim-${status}` } };
}

export class NinjaApi {
  private readonly cursors = new Map<string, OpenCursor>();
  private cursorCount = 0;
  private expiry?: { afterContinuations: number; repeat: boolean; seen: number };

  constructor(
    private readonly fleet: NinjaFleet,
    private readonly maxPageSize: number,
    private readonly now: () => Date,
  ) {}

  /** GET under /v2: the path without the /v2 prefix. */
  get(path: string, query: URLSearchParams): ApiAnswer {
    switch (path) {
      case '/organizations':
        return this.listAfter(this.fleet.organizations, query);
      case '/locations':
        return this.listAfter(this.fleet.locations, query);
      case '/devices-detailed':
        return this.listAfter(this.fleet.devices, query);
      case '/queries/os-patches':
        return this.report(query, () => this.filterStatus(this.fleet.pending, query, ['PENDING', 'APPROVED', 'FAILED', 'REJECTED']));
      case '/queries/os-patch-installs':
        return this.report(query, () => this.installsOf(query));
      default:
        return ninjaError(404, `No resource at /v2${path}`);
    }
  }

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

  private countContinuation(): void {
    if (!this.expiry) return;
    this.expiry.seen += 1;
    if (this.expiry.seen < this.expiry.afterContinuations) return;
    this.cursors.clear();
    if (this.expiry.repeat) this.expiry.seen = 0;
    else this.expiry = undefined;
  }

  private pageSize(query: URLSearchParams): number {
    const asked = Number(query.get('pageSize') ?? this.maxPageSize);
    return Math.max(1, Math.min(Number.isInteger(asked) && asked > 0 ? asked : this.maxPageSize, this.maxPageSize));
  }

  /** Lists ordered by id; `after` is the last id the client saw. */
  private listAfter<T extends { id: number }>(items: T[], query: URLSearchParams): ApiAnswer {
    const after = query.has('after') ? Number(query.get('after')) : -Infinity;
    if (Number.isNaN(after)) return ninjaError(400, 'after must be a number');
    const sorted = [...items].sort((a, b) => a.id - b.id);
    return { status: 200, body: sorted.filter((item) => item.id > after).slice(0, this.pageSize(query)) };
  }

  private filterStatus<T extends NinjaOsPatch>(rows: T[], query: URLSearchParams, statuses: string[]): T[] | ApiAnswer {
    const status = query.get('status');
    if (status === null) return rows;
    if (!statuses.includes(status)) return ninjaError(400, `status must be one of ${statuses.join(', ')}`);
    return rows.filter((row) => row.status === status);
  }

  private installsOf(query: URLSearchParams): NinjaOsPatchInstall[] | ApiAnswer {
    const rows = this.filterStatus(this.fleet.installs, query, ['INSTALLED', 'FAILED']);
    if (!Array.isArray(rows)) return rows;
    const after = dateParam(query.get('installedAfter'));
    const before = dateParam(query.get('installedBefore'));
    return rows.filter((row) => (after === null || (row.installedAt ?? 0) > after) && (before === null || (row.installedAt ?? 0) < before));
  }

  /**
   * The first request takes the report's filters and opens a cursor over a snapshot of the rows; later requests
   * name the cursor alone. The last page is an empty one.
   */
  private report(query: URLSearchParams, select: () => NinjaOsPatch[] | ApiAnswer): ApiAnswer {
    const nowS = this.now().getTime() / 1000;
    const name = query.get('cursor');
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
      const rows = select();
      if (!Array.isArray(rows)) return rows;
      cursorName = `sim-cursor-${++this.cursorCount}`;
      cursor = { rows: rows.map((row) => ({ ...row })), offset: 0, expires: nowS + CURSOR_LIFETIME_S };
      this.cursors.set(cursorName, cursor);
    }
    const results = cursor.rows.slice(cursor.offset, cursor.offset + this.pageSize(query));
    cursor.offset += results.length;
    const page: NinjaQueryPage<NinjaOsPatch> = {
      cursor: { name: cursorName, offset: cursor.offset, count: results.length, expires: cursor.expires },
      results,
    };
    return { status: 200, body: page };
  }
}

/** installedAfter/installedBefore: a date NinjaOne accepts as an ISO date or epoch seconds. */
function dateParam(value: string | null): number | null {
  if (value === null || value === '') return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms / 1000;
}
