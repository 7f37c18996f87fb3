/**
 * Ids that are the same on every WSUS server: an update's UpdateId comes from Microsoft, and the two built-in target
 * groups have fixed ids in every SUSDB. Everything else a server makes itself (seeded GUIDs).
 */
import { createHash } from 'node:crypto';

/** "All Computers" and "Unassigned Computers" carry these ids in every SUSDB. */
export const ALL_COMPUTERS_ID = 'a0a08746-4dbe-4a37-9adf-9e7652c0b421';
export const UNASSIGNED_COMPUTERS_ID = 'b73ca6ed-5727-47f3-84de-015e03f6a88a';
export const ALL_COMPUTERS = 'All Computers';
export const UNASSIGNED_COMPUTERS = 'Unassigned Computers';

/** A GUID named by `text` (version-5 shape): the same text gives the same id in every run and on every server. */
export function nameGuid(text: string): string {
  const h = createHash('sha1').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
