import { PatchHistoryRow } from '../patch-history-row';

/**
 * The JSON Lines form: one JSON object per row and line (LF), nothing else: no header, no metadata, so every line
 * is a row and the file's digest covers rows alone. Keys keep the order of PatchHistoryRow; CVE facts stay structured.
 */
export function jsonLine(r: PatchHistoryRow): string {
  return `${JSON.stringify(r)}\n`;
}
