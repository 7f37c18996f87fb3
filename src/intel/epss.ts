/**
 * EPSS scores (https://www.first.org/epss/data_stats) in the two CSV forms found in the wild:
 * - FIRST's daily file (epss_scores-YYYY-MM-DD.csv[.gz]): a comment line
 *   `#model_version:v2025.03.14,score_date:2026-08-16T00:00:00+0000`, a `cve,epss,percentile` header, then rows;
 * - the `;`-separated, headerless `cve;epss;percentile` lines that crawlers of FIRST's API write.
 */
import { CVE_ID, INTEL_LIMITS, IntelFormatError, isDate, parseDateTime } from './intel-error';

export interface EpssRow {
  cveId: string;
  score: number;
  percentile: number;
}

export interface EpssFile {
  /** "v2025.03.14"; null when the file does not say (the headerless form). */
  modelVersion: string | null;
  /** YYYY-MM-DD the scores are for; from the comment line, else from a date in the file name, else null. */
  scoreDate: string | null;
  rows: EpssRow[];
}

const ROW = /^CVE-\d{4}-\d{4,}[,;]/;

/** True when the text starts like one of the two forms. */
export function looksLikeEpss(text: string): boolean {
  const first = text.slice(0, 200).replace(/^\uFEFF/, '').trimStart();
  return first.startsWith('#model_version') || /^cve,epss,percentile\b/i.test(first) || ROW.test(first);
}

export function parseEpss(text: string, file: string): EpssFile {
  const fail = (line: number | null, reason: string): never => {
    throw new IntelFormatError(file, line === null ? null : `line ${line}`, reason);
  };
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let modelVersion: string | null = null;
  let scoreDate: string | null = null;
  let i = 0;
  if (lines[0]?.startsWith('#')) {
    const fields = new Map(
      lines[0].slice(1).split(',').map((part) => {
        const at = part.indexOf(':');
        return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as [string, string];
      }),
    );
    modelVersion = fields.get('model_version') ?? null;
    const date = parseDateTime(fields.get('score_date')?.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (!modelVersion || !date) fail(1, 'expected "#model_version:…,score_date:…"');
    scoreDate = date!.toISOString().slice(0, 10);
    i = 1;
  }
  let separator = ';';
  if (/^cve,epss,percentile\s*$/i.test(lines[i] ?? '')) {
    separator = ',';
    i += 1;
  } else if (modelVersion !== null) {
    fail(i + 1, 'expected the header "cve,epss,percentile"');
  } else if ((lines[i] ?? '').includes(',')) {
    separator = ',';
  }
  if (scoreDate === null) {
    const named = /(\d{4}-\d{2}-\d{2})/.exec(file)?.[1];
    if (named && isDate(named)) scoreDate = named;
  }
  const rows: EpssRow[] = [];
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    if (rows.length >= INTEL_LIMITS.epssRows) fail(i + 1, `more than ${INTEL_LIMITS.epssRows} rows`);
    const cols = line.split(separator);
    if (cols.length !== 3) fail(i + 1, `expected 3 columns cve${separator}epss${separator}percentile, got ${cols.length}`);
    const [cveId, scoreText, percentileText] = cols.map((c) => c.trim());
    if (!CVE_ID.test(cveId)) fail(i + 1, `not a CVE id: ${JSON.stringify(cveId.slice(0, 40))}`);
    const score = Number(scoreText);
    const percentile = Number(percentileText);
    if (scoreText === '' || !Number.isFinite(score) || score < 0 || score > 1) fail(i + 1, `epss must be a number from 0 to 1, got ${JSON.stringify(scoreText.slice(0, 40))}`);
    if (percentileText === '' || !Number.isFinite(percentile) || percentile < 0 || percentile > 1) {
      fail(i + 1, `percentile must be a number from 0 to 1, got ${JSON.stringify(percentileText.slice(0, 40))}`);
    }
    if (seen.has(cveId)) fail(i + 1, `${cveId} is listed twice`);
    seen.add(cveId);
    rows.push({ cveId, score, percentile });
  }
  if (rows.length === 0) fail(null, 'no score rows');
  return { modelVersion, scoreDate, rows };
}
