/**
 * Where an incremental device read resumes. Graph can filter managedDevices by lastSyncDateTime, which moves
 * whenever a device checks in — and a device's build (and so its patch states) only changes when it checks in.
 * Two things change without a check-in, and the cursor remembers enough to catch both:
 * - time passing: a device crosses the inactivity threshold exactly by *not* checking in (`checkedAt`);
 * - the catalog: a new cumulative update changes every device's states (`catalog`, its fingerprint).
 */
export interface DeviceCursor {
  v: 1;
  /** The highest lastSyncDateTime read, verbatim from Graph (its 7-digit fractions survive no Date round trip). */
  lastSync: string;
  /** The run's "now", ISO. */
  checkedAt: string;
  catalog: string;
}

export function encodeCursor(cursor: DeviceCursor): string {
  return JSON.stringify(cursor);
}

/** A cursor from an older or foreign format reads as none: the run then lists every device, which is always safe. */
export function decodeCursor(text: string | null): DeviceCursor | null {
  if (!text) return null;
  try {
    const c = JSON.parse(text) as Partial<DeviceCursor>;
    const valid = c.v === 1 && typeof c.lastSync === 'string' && !Number.isNaN(Date.parse(c.lastSync)) && typeof c.checkedAt === 'string'
      && !Number.isNaN(Date.parse(c.checkedAt)) && typeof c.catalog === 'string';
    return valid ? (c as DeviceCursor) : null;
  } catch {
    return null;
  }
}

/** Graph takes DateTimeOffset literals unquoted in $filter. */
const literal = (at: Date | string): string => (typeof at === 'string' ? at : at.toISOString());

/**
 * The $filter of each incremental query: devices that checked in since the cursor, and devices whose last check-in
 * fell out of the activity window since the last run (none when no time has passed).
 */
export function incrementalFilters(cursor: DeviceCursor, now: Date, staleAfterDays: number): string[] {
  const filters = [`lastSyncDateTime gt ${literal(cursor.lastSync)}`];
  const windowMs = staleAfterDays * 86_400_000;
  const from = new Date(Date.parse(cursor.checkedAt) - windowMs);
  const to = new Date(now.getTime() - windowMs);
  if (to > from) filters.push(`lastSyncDateTime ge ${literal(from)} and lastSyncDateTime lt ${literal(to)}`);
  return filters;
}
