/**
 * Which intel format a file holds, decided by its content (a KEV catalog renamed "feed.json" is still a KEV
 * catalog), and the parsed document.
 */
import { looksLikeCveRecord, parseCveRecord, CveRecord } from './cve-json5';
import { CvrfDocument, looksLikeCvrfXml, parseCvrfXml } from './cvrf';
import { EpssFile, looksLikeEpss, parseEpss } from './epss';
import { INTEL_LIMITS, IntelFormatError } from './intel-error';
import { KevCatalog, looksLikeKev, parseKev } from './kev';
import { IntelKind } from './kinds';

export type ParsedIntel =
  | { kind: IntelKind.KEV; kev: KevCatalog }
  | { kind: IntelKind.EPSS; epss: EpssFile }
  | { kind: IntelKind.CVE_JSON5; cve: CveRecord }
  | { kind: IntelKind.MSRC_CVRF; cvrf: CvrfDocument };

/** JSON.parse with the line of the fault in the message. */
function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const position = /position (\d+)/.exec(message)?.[1];
    const line = position === undefined ? null : `line ${text.slice(0, Number(position)).split('\n').length}`;
    throw new IntelFormatError(file, line, `not valid JSON: ${message.replace(/^.*?: /, '').slice(0, 120)}`);
  }
}

/** The parsed file, or null when it is none of the formats (the caller decides whether that is an error). */
export function parseIntel(text: string, file: string): ParsedIntel | null {
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (start.startsWith('{')) {
    const doc = parseJson(start, file);
    if (looksLikeKev(doc)) return { kind: IntelKind.KEV, kev: parseKev(doc, file) };
    if (looksLikeCveRecord(doc)) {
      if (text.length > INTEL_LIMITS.cveRecordBytes) throw new IntelFormatError(file, null, `a CVE record over ${INTEL_LIMITS.cveRecordBytes} bytes is not accepted`);
      return { kind: IntelKind.CVE_JSON5, cve: parseCveRecord(doc, file) };
    }
    if (typeof doc === 'object' && doc !== null && 'DocumentTracking' in doc && 'Vulnerability' in doc) {
      throw new IntelFormatError(file, null, 'the MSRC CVRF JSON form is not supported; download the XML form (Accept: application/xml) of the same document');
    }
    return null;
  }
  if (start.startsWith('<')) return looksLikeCvrfXml(start) ? { kind: IntelKind.MSRC_CVRF, cvrf: parseCvrfXml(start, file) } : null;
  if (looksLikeEpss(start)) return { kind: IntelKind.EPSS, epss: parseEpss(start, file) };
  return null;
}
