/** How a device's identity match is stored in source_device.matchedBy. */
import type { IdentityResolution } from '../../identity/match';

/** A device's stored match (matchedByJson's form; older rows hold a bare rule name). */
export function storedMatch(json: string | null): { rule: string | null; conflicts: string[] } {
  if (!json) return { rule: null, conflicts: [] };
  try {
    const parsed = JSON.parse(json) as { rule?: string; conflicts?: string[] };
    return { rule: parsed.rule ?? null, conflicts: parsed.conflicts ?? [] };
  } catch {
    return { rule: json, conflicts: [] };
  }
}

export function matchedByJson(resolution: IdentityResolution): string {
  return JSON.stringify({ rule: resolution.matchedBy.rule, values: resolution.matchedBy.values, conflicts: resolution.conflicts });
}
