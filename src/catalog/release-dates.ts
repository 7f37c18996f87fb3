/**
 * Which release date a catalog entry carries. Many RMMs report updates without a date, and a compliance clock that
 * starts at release counts from it, so a guess must never be stored as if a vendor had said it. Strongest first:
 * Microsoft's data (bundled catalog, MSRC CVRF), a source whose own catalog gives a date, the first time a sync saw
 * the update. A stronger kind replaces a weaker one; a date of the same kind is never replaced (the first source
 * to give one wins, and first seen stays the first time).
 */
import { EntityManager, In, Not } from 'typeorm';
import type { UpdateRecord } from '../../connectors/sdk/contract';
import { updateRows } from '../db/insert-rows';
import { Update } from '../entities';
import { ReleaseDateSource } from '../entities/enums';
import { SHARED_OWNER } from '../entities/update.entity';
import { findIn } from '../db/find-in';

const RANK: readonly ReleaseDateSource[] = [ReleaseDateSource.FIRST_SEEN, ReleaseDateSource.SOURCE, ReleaseDateSource.MICROSOFT];

export interface ReleaseDate {
  releasedAt: Date;
  releasedAtSource: ReleaseDateSource;
}

const validDate = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());

/** The date a new entry gets from the record that creates it (`trusted` when it is Microsoft's data). */
export function releaseDateOf(record: Pick<UpdateRecord, 'releasedAt'>, trusted: boolean, now: Date): ReleaseDate {
  if (validDate(record.releasedAt)) return { releasedAt: record.releasedAt, releasedAtSource: trusted ? ReleaseDateSource.MICROSOFT : ReleaseDateSource.SOURCE };
  return { releasedAt: now, releasedAtSource: ReleaseDateSource.FIRST_SEEN };
}

/** Whether `offered` replaces the entry's date: only a stronger kind does. */
export function replacesReleaseDate(entry: ReleaseDate, offered: ReleaseDate): boolean {
  return RANK.indexOf(offered.releasedAtSource) > RANK.indexOf(entry.releasedAtSource);
}

/** Moves `entry` to `offered` when that is stronger; returns whether it changed. */
export function strengthenReleaseDate(entry: Update, offered: ReleaseDate, now: Date): boolean {
  if (!replacesReleaseDate(entry, offered)) return false;
  Object.assign(entry, offered, { updatedAt: now });
  return true;
}

export const RELEASE_DATE_COLUMNS = ['releasedAt', 'releasedAtSource', 'updatedAt'] as const;

/**
 * Tenants' own entries for updates Microsoft's data now dates (a CVRF import naming a KB a tenant's source reported
 * first) take Microsoft's date.
 */
export async function applyMicrosoftDates(m: EntityManager, dates: ReadonlyMap<string, Date>, now: Date): Promise<number> {
  if (dates.size === 0) return 0;
  const own = await findIn(m, Update, 'catalogKey', [...dates.keys()], { owner: Not(SHARED_OWNER), releasedAtSource: In([ReleaseDateSource.SOURCE, ReleaseDateSource.FIRST_SEEN]) });
  const changed = own.filter((u) => strengthenReleaseDate(u, { releasedAt: dates.get(u.catalogKey)!, releasedAtSource: ReleaseDateSource.MICROSOFT }, now));
  await updateRows(m, Update, changed, [...RELEASE_DATE_COLUMNS]);
  return changed.length;
}
