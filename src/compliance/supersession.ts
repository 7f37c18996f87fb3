/**
 * Which catalog entries, once installed, also close another's finding. Microsoft's cumulative updates each supersede
 * the one before (the catalog keeps the KBs an update supersedes), so a machine on March's cumulative update has
 * February's fixes even if a source still lists February's as missing. The relation is followed transitively: March
 * supersedes February, which superseded January.
 */
export interface SupersessionFacts {
  id: string;
  kb: string | null;
  supersedes: readonly string[];
}

/** (updateId, supersederId) pairs for the updates asked about: each update paired with every entry superseding it. */
export function supersessionPairs(updates: readonly SupersessionFacts[], updateIds: Iterable<string>): Array<{ updateId: string; supersederId: string }> {
  const byKb = new Map<string, string[]>();
  const supersededBy = new Map<string, SupersessionFacts[]>();
  for (const u of updates) {
    if (u.kb) byKb.set(u.kb, [...(byKb.get(u.kb) ?? []), u.id]);
    for (const kb of u.supersedes) supersededBy.set(kb, [...(supersededBy.get(kb) ?? []), u]);
  }
  const kbOf = new Map(updates.map((u) => [u.id, u.kb]));
  const pairs: Array<{ updateId: string; supersederId: string }> = [];
  for (const updateId of new Set(updateIds)) {
    const kb = kbOf.get(updateId);
    if (!kb) continue;
    const seenKbs = new Set([kb]);
    const superseders = new Set<string>();
    const queue = [kb];
    while (queue.length > 0) {
      for (const s of supersededBy.get(queue.pop()!) ?? []) {
        if (s.id === updateId || superseders.has(s.id)) continue;
        superseders.add(s.id);
        if (s.kb && !seenKbs.has(s.kb)) {
          seenKbs.add(s.kb);
          queue.push(s.kb);
        }
      }
    }
    // An entry with the same KB (a tenant's own copy of a Microsoft update) is the same fix, not a later one.
    for (const same of byKb.get(kb) ?? []) superseders.delete(same);
    for (const supersederId of [...superseders].sort()) pairs.push({ updateId, supersederId });
  }
  return pairs;
}
