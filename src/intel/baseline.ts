/**
 * The intel baseline shipped in the repository (intel/baseline/, see its README): a dated KEV catalog, EPSS scores
 * and CVE records, imported at start-up so a fresh clone has intel without the demo. Files already imported, or
 * of which a version at least as new is held, are skipped, so a start after the first costs a hash per file.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataSource } from 'typeorm';
import { expandPaths, importIntelFile, ImportOutcome } from './import-intel';

/** intel/baseline in the repository: found by walking up, since this runs from src/intel and from dist/src/intel. */
export function baselineDir(from = __dirname): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      const baseline = join(dir, 'intel', 'baseline');
      return existsSync(baseline) ? baseline : null;
    }
    if (dirname(dir) === dir) return null;
  }
}

export async function importBaseline(dataSource: DataSource, now: Date, dir = baselineDir()): Promise<ImportOutcome[]> {
  if (!dir) return [];
  const outcomes: ImportOutcome[] = [];
  for (const { path } of expandPaths([dir])) {
    const outcome = await importIntelFile(dataSource, path, now, { skipIfNewerHeld: true, actor: 'patchgraph:intel-baseline' });
    if (outcome) outcomes.push(outcome);
  }
  return outcomes;
}
