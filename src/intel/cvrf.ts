/**
 * Microsoft security update data as an MSRC CVRF document: the XML (ICASI CVRF 1.1) form of
 * https://api.msrc.microsoft.com/cvrf/v3.0/cvrf/<YYYY-Mon>. Read with fast-xml-parser; a DOCTYPE is refused, so no
 * entity expansion can blow the document up, and the size of what is accepted is bounded (INTEL_LIMITS).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CVE_ID, INTEL_LIMITS, IntelFormatError, parseDateTime } from './intel-error';

export interface CvrfFix {
  kb: string;
  productIds: string[];
  fixedBuild: string | null;
  supersedes: string[];
  subType: string | null;
  restartRequired: boolean;
}

export interface CvrfVulnerability {
  cveId: string;
  title: string | null;
  /** MSRC severity ("Critical", "Important"…) per product id. */
  severities: Array<{ severity: string; productIds: string[] }>;
  scoreSets: Array<{ baseScore: number; vector: string | null; productIds: string[] }>;
  exploited: boolean;
  fixes: CvrfFix[];
  revisionDates: Date[];
}

export interface CvrfDocument {
  documentId: string;
  title: string;
  initialReleaseDate: Date;
  currentReleaseDate: Date;
  /** ProductID → FullProductName. */
  products: Map<string, string>;
  vulnerabilities: CvrfVulnerability[];
}

const ARRAYS = new Set(['Vulnerability', 'Threat', 'ScoreSet', 'Remediation', 'Revision', 'ProductID', 'FullProductName', 'Branch', 'Note', 'Status', 'CWE']);

export function looksLikeCvrfXml(text: string): boolean {
  const head = text.slice(0, 4096);
  return /^\s*(<\?xml[^>]*>\s*)?</.test(text.slice(0, 200).replace(/^\uFEFF/, '')) && /<(\w+:)?cvrfdoc[\s>]/.test(head);
}

export function normaliseKb(value: unknown): string | null {
  const m = /^\s*(?:KB)?\s*(\d{6,8})\s*$/i.exec(typeof value === 'string' ? value : '');
  return m ? `KB${m[1]}` : null;
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** An element's text whether or not it has attributes ({ '#text': … }). */
function textOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number') return String(value).trim();
  if (typeof value === 'object' && '#text' in (value as object)) return String((value as { '#text': unknown })['#text']).trim();
  return null;
}

const productIdsOf = (node: Record<string, unknown> | undefined): string[] =>
  asArray(node?.ProductID as unknown[]).flatMap((p) => (textOf(p) ?? '').split(/\s+/)).filter(Boolean);

export function parseCvrfXml(text: string, file: string): CvrfDocument {
  const fail = (where: string | null, reason: string): never => {
    throw new IntelFormatError(file, where, reason);
  };
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) fail(null, 'a DOCTYPE or ENTITY declaration is not accepted in a CVRF document');
  const valid = XMLValidator.validate(text);
  if (valid !== true) fail(`line ${valid.err.line}`, `not well-formed XML: ${valid.err.msg}`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    processEntities: true,
    htmlEntities: false,
    isArray: (name) => ARRAYS.has(name),
    // The notes are HTML prose patchgraph does not use; left unparsed they cost nothing.
    stopNodes: ['cvrfdoc.DocumentNotes', 'cvrfdoc.Vulnerability.Notes', 'cvrfdoc.Vulnerability.Acknowledgments'],
  });
  const root = (parser.parse(text) as { cvrfdoc?: Record<string, unknown> }).cvrfdoc;
  if (!root) fail(null, 'not a CVRF document (no cvrfdoc root element)');
  const tracking = root!.DocumentTracking as Record<string, unknown> | undefined;
  const documentId = textOf((tracking?.Identification as Record<string, unknown> | undefined)?.ID);
  if (!documentId) fail('cvrfdoc/DocumentTracking/Identification/ID', 'missing');
  const initialReleaseDate = parseDateTime(textOf(tracking!.InitialReleaseDate));
  if (!initialReleaseDate) fail('cvrfdoc/DocumentTracking/InitialReleaseDate', `expected a date-time, got ${JSON.stringify(textOf(tracking!.InitialReleaseDate))}`);
  const currentReleaseDate = parseDateTime(textOf(tracking!.CurrentReleaseDate)) ?? initialReleaseDate;

  const products = new Map<string, string>();
  const walk = (node: unknown, path: string) => {
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    for (const p of asArray(n.FullProductName as unknown[])) {
      const id = (p as Record<string, unknown>)?.['@_ProductID'];
      const name = textOf(p);
      if (typeof id !== 'string' || !id || !name) fail(`${path}/FullProductName`, 'a product without ProductID or name');
      if (products.size >= INTEL_LIMITS.cvrfProducts) fail(path, `more than ${INTEL_LIMITS.cvrfProducts} products`);
      products.set(id as string, name as string);
    }
    for (const b of asArray(n.Branch as unknown[])) walk(b, `${path}/Branch`);
  };
  if (!root!.ProductTree) fail('cvrfdoc/ProductTree', 'missing');
  walk(root!.ProductTree, 'cvrfdoc/ProductTree');

  const list = asArray(root!.Vulnerability as unknown[]);
  if (list.length > INTEL_LIMITS.cvrfVulnerabilities) fail('cvrfdoc/Vulnerability', `${list.length} elements; at most ${INTEL_LIMITS.cvrfVulnerabilities} are accepted`);
  const vulnerabilities = list.map((raw, i): CvrfVulnerability => {
    const at = `cvrfdoc/Vulnerability[${i + 1}]`;
    const v = raw as Record<string, unknown>;
    const cveId = textOf(v.CVE);
    if (!cveId || !CVE_ID.test(cveId)) fail(`${at}/CVE`, `not a CVE id: ${JSON.stringify(cveId)}`);
    const threats = asArray((v.Threats as Record<string, unknown> | undefined)?.Threat as unknown[]) as Array<Record<string, unknown>>;
    const severities = threats
      .filter((t) => t['@_Type'] === 'Severity' && textOf(t.Description))
      .map((t) => ({ severity: textOf(t.Description)!, productIds: productIdsOf(t) }));
    const exploited = threats.some((t) => t['@_Type'] === 'Exploit Status' && /(^|;)\s*Exploited:Yes\b/i.test(textOf(t.Description) ?? ''));
    const scoreSets = (asArray((v.CVSSScoreSets as Record<string, unknown> | undefined)?.ScoreSet as unknown[]) as Array<Record<string, unknown>>).flatMap((s, j) => {
      const text = textOf(s.BaseScore);
      if (text === null || text === '') return [];
      const baseScore = Number(text);
      if (!Number.isFinite(baseScore) || baseScore < 0 || baseScore > 10) fail(`${at}/CVSSScoreSets/ScoreSet[${j + 1}]/BaseScore`, `expected a number from 0 to 10, got ${JSON.stringify(text)}`);
      return [{ baseScore, vector: textOf(s.Vector), productIds: productIdsOf(s) }];
    });
    const fixes = (asArray((v.Remediations as Record<string, unknown> | undefined)?.Remediation as unknown[]) as Array<Record<string, unknown>>).flatMap((r): CvrfFix[] => {
      const kb = r['@_Type'] === 'Vendor Fix' ? normaliseKb(textOf(r.Description)) : null;
      if (!kb) return [];
      const supersedes = (textOf(r.Supercedence) ?? '').split(/[,;]/).map(normaliseKb).filter((x): x is string => !!x && x !== kb);
      return [{ kb, productIds: productIdsOf(r), fixedBuild: textOf(r.FixedBuild) || null, supersedes, subType: textOf(r.SubType) || null, restartRequired: textOf(r.RestartRequired) === 'Yes' }];
    });
    const revisionDates = (asArray((v.RevisionHistory as Record<string, unknown> | undefined)?.Revision as unknown[]) as Array<Record<string, unknown>>)
      .map((r) => parseDateTime(textOf(r.Date)))
      .filter((d): d is Date => d !== null);
    return { cveId: cveId!, title: textOf(v.Title) || null, severities, scoreSets, exploited, fixes, revisionDates };
  });
  return {
    documentId: documentId!,
    title: textOf(root!.DocumentTitle) ?? documentId!,
    initialReleaseDate: initialReleaseDate!,
    currentReleaseDate: currentReleaseDate!,
    products,
    vulnerabilities,
  };
}
