/** CHG-2026-000123: the year the change was raised and its number within that year, as people quote it. */
export function changeReference(year: number, n: number): string {
  return `CHG-${year}-${String(n).padStart(6, '0')}`;
}
