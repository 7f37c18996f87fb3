/**
 * The real cumulative updates of the bundled Microsoft catalog as WSUS lists them: one update per KB and release
 * (Microsoft publishes KB5043076 once for 22H2 and once for 23H2, under different UpdateIds), titled as the update
 * catalog titles them, filed under WSUS's product categories. Only what the server could have synchronised by `now`.
 */
import { CatalogUpdate, MICROSOFT_CATALOG } from '../../shared/microsoft/microsoft-catalog';
import { nameGuid } from './ids';
import type { SeededRandom } from '../../sdk/testkit/seeded-random';
import { HOUR, yearMonth } from './susdb-time';
import type { SimUpdate } from './update';
import { RELEASES } from './windows';

/** "CRITICAL" → "Critical", as vUpdate.MsrcSeverity spells it. */
const capitalised = (severity: string) => severity.charAt(0).toUpperCase() + severity.slice(1).toLowerCase();

function byRelease(a: CatalogUpdate, b: CatalogUpdate): number {
  return a.releasedAt.localeCompare(b.releasedAt) || a.kb.localeCompare(b.kb);
}

export function catalogUpdates(r: SeededRandom, nowMs: number): SimUpdate[] {
  const out: SimUpdate[] = [];
  for (const cu of [...MICROSOFT_CATALOG.updates].sort(byRelease)) {
    const created = Date.parse(cu.releasedAt);
    for (const product of cu.products) {
      const release = RELEASES.find((rel) => rel.catalogProduct === product);
      const fixed = /\.(\d+)$/.exec(cu.fixedBuilds[product] ?? '');
      if (!release || !fixed) continue;
      const arrival = created + r.between(1, 6) * HOUR + r.int(HOUR);
      if (arrival > nowMs) continue;
      const kb = cu.kb.replace(/^KB/i, '');
      const n = out.length;
      out.push({
        // UpdateIds come from Microsoft: the same on every WSUS server, whatever the seed.
        id: nameGuid(`wsus-update:${cu.kb}:${product}`),
        revision: r.pick([1, 1, 1, 2, 100, 101, 200]),
        title: `${yearMonth(created)} Cumulative Update for ${release.inTitle} for x64-based Systems (KB${kb})`,
        kind: 'cumulative',
        kb,
        kbPrefixed: n % 5 === 2,
        severity: capitalised(cu.severity),
        classification: 'Security Updates',
        products: [release.wsusProduct],
        created,
        arrival,
        declined: false,
        bitAsInteger: n % 7 === 3,
        release: release.build,
        fixedRevision: Number(fixed[1]),
        makes: null,
        restart: true,
      });
    }
  }
  return out;
}

/** The releases Microsoft had shipped a cumulative update for by `nowMs`: a machine cannot run a release before that. */
export function releasesOutBy(nowMs: number): Set<number> {
  const out = new Set<number>();
  for (const cu of MICROSOFT_CATALOG.updates) {
    if (Date.parse(cu.releasedAt) > nowMs) continue;
    for (const product of cu.products) {
      const release = RELEASES.find((rel) => rel.catalogProduct === product);
      if (release) out.add(release.build);
    }
  }
  return out;
}
