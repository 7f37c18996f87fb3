/**
 * A MAC address as patchgraph stores and compares it: 12 upper-case hex digits without separators, from any common
 * notation ("A4:C3:F0:12:34:56", "a4-c3-f0-12-34-56", "a4c3.f012.3456", "a4c3f0123456"); null when it is not one.
 * The one definition the engine (what it stores), identity (what it matches, after dropping unusable addresses) and
 * the contract kit (what the engine will tell a connector it knows) share.
 */
export function compactMac(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const compact = raw.replace(/[\s:.-]/g, '').toUpperCase();
  return /^[0-9A-F]{12}$/.test(compact) ? compact : null;
}
