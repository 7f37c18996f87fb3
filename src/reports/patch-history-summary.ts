import { DateTime } from 'luxon';
import { Severity } from '../entities/enums';
import { PatchHistoryRow } from './patch-history-row';
import { PatchTransition, TRANSITIONS } from './patch-transition';

export type BucketSize = 'day' | 'week' | 'month';

export interface Bucket {
  start: Date;
  label: string;
  installs: number;
}

/** The event's time as the period reads it (see EVENT_AT in patch-history-source.ts). */
export function eventTimeOf(r: Pick<PatchHistoryRow, 'reportedAt' | 'observedAt'>): string {
  return r.reportedAt !== null && r.reportedAt < r.observedAt ? r.reportedAt : r.observedAt;
}

/** Days for a period up to two months, ISO weeks (from Monday) up to two years, months beyond: 9 to about 100 bars. */
export function bucketSizeFor(from: Date, to: Date): BucketSize {
  const days = (to.getTime() - from.getTime()) / 86_400_000;
  return days <= 62 ? 'day' : days <= 731 ? 'week' : 'month';
}

function bucketStart(t: DateTime, size: BucketSize): DateTime {
  return size === 'week' ? t.startOf('week') : t.startOf(size);
}

/**
 * What the PDF's summary page shows, counted over the report's rows in one pass (so it always agrees with the
 * detail that follows): rows by transition and by update severity, and installs over the period in buckets.
 * Bucketed in UTC, as every time of the report is written.
 */
export class PatchHistorySummary {
  rows = 0;
  readonly byTransition = new Map<string, number>(TRANSITIONS.map((t) => [t, 0]));
  readonly bySeverity = new Map<string, number>(Object.values(Severity).map((s) => [s, 0]));
  readonly size: BucketSize;
  readonly buckets: Bucket[] = [];

  constructor(from: Date, to: Date) {
    this.size = bucketSizeFor(from, to);
    const end = DateTime.fromJSDate(to, { zone: 'utc' });
    for (let t = bucketStart(DateTime.fromJSDate(from, { zone: 'utc' }), this.size); t < end; t = t.plus({ [`${this.size}s`]: 1 })) {
      const label = this.size === 'month' ? t.toFormat('yyyy-MM') : t.toFormat('yyyy-MM-dd');
      this.buckets.push({ start: t.toJSDate(), label, installs: 0 });
    }
  }

  add(r: PatchHistoryRow): void {
    this.rows += 1;
    this.byTransition.set(r.transition, (this.byTransition.get(r.transition) ?? 0) + 1);
    this.bySeverity.set(r.severity, (this.bySeverity.get(r.severity) ?? 0) + 1);
    if (r.transition !== PatchTransition.INSTALLED) return;
    const at = new Date(eventTimeOf(r));
    // The last bucket starting at or before the install; the buckets are few, so a scan from the end is enough.
    for (let i = this.buckets.length - 1; i >= 0; i--) {
      if (this.buckets[i].start <= at) {
        this.buckets[i].installs += 1;
        return;
      }
    }
  }
}
