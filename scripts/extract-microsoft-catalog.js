#!/usr/bin/env node
'use strict';

/**
 * Builds connectors/shared/microsoft/data/microsoft-catalog.json: a small catalog of Windows
 * cumulative updates (KB, products, fixed builds, supersedence) and the CVEs
 * they fix, joined with CISA KEV and EPSS.
 *
 * Input is the public data set described in <shared-data-dir>/README.md:
 *   msrc-cvrf/*.xml  MSRC Security Update Guide CVRF 1.1 XML documents
 *   kev/known_exploited_vulnerabilities_2026.08.21.json  CISA KEV catalog
 *   epss/*.csv       EPSS scores, ';'-separated, no header: cve;epss;percentile
 *
 * Usage: node scripts/extract-microsoft-catalog.js <path-to-shared-data-dir> <output.json>
 *
 * Plain Node (>= 20), CommonJS, built-ins only. The XML is read with regular
 * expressions scoped element by element; the CVRF files are machine-generated,
 * have no CDATA sections or comments and never nest an element inside another
 * element of the same name, which is what makes this safe. The script fails
 * loudly if it finds something it does not expect.
 *
 * Nothing at runtime reads this script or the shared data; the JSON output is
 * committed into the repository.
 */

const fs = require('node:fs');
const path = require('node:path');

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/** CVRF documents, in the order they are processed (oldest month first). */
const CVRF_FILES = [
  'msrc-cvrf/2024-Aug.xml',
  'msrc-cvrf/2024-Sep_microsoft-subset.xml',
  'msrc-cvrf/2026-Feb.xml',
];

const KEV_FILE = 'kev/known_exploited_vulnerabilities_2026.08.21.json';
const EPSS_DIR = 'epss';

/**
 * Products whose monthly cumulative update is kept, by exact
 * prod:FullProductName. The order is also the order used in titles and
 * product lists. A product missing from a document is skipped for that month.
 */
const TARGET_PRODUCTS = [
  'Windows 10 Version 22H2 for x64-based Systems',
  'Windows 11 Version 22H2 for x64-based Systems',
  'Windows 11 Version 23H2 for x64-based Systems',
  'Windows 11 Version 24H2 for x64-based Systems',
  'Windows 11 Version 25H2 for x64-based Systems',
  'Windows Server 2022',
];

/** MSRC severities, lowest first. */
const SEVERITY_ORDER = ['Low', 'Moderate', 'Important', 'Critical'];

// ---------------------------------------------------------------------------
// Minimal XML helpers
// ---------------------------------------------------------------------------

const NAME = '[A-Za-z_][\\w.:-]*';
const ATTR = `\\s+${NAME}\\s*=\\s*(?:"[^"]*"|'[^']*')`;

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (m, e) => {
    switch (e) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
      default:
        return String.fromCodePoint(
          e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10),
        );
    }
  });
}

function parseAttrs(raw) {
  const attrs = {};
  const re = new RegExp(`(${NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g');
  let m;
  while ((m = re.exec(raw)) !== null) {
    attrs[m[1]] = decodeEntities(m[2] !== undefined ? m[2] : m[3]);
  }
  return attrs;
}

/**
 * All elements named `tag` inside `xml` (which must not nest an element of the
 * same name). Returns [{ attrs, inner }] where inner is the raw, undecoded
 * content ('' for an empty or self-closing element).
 */
function elements(xml, tag) {
  const t = escapeRegExp(tag);
  const re = new RegExp(`<${t}((?:${ATTR})*)\\s*(?:/>|>([\\s\\S]*?)</${t}\\s*>)`, 'g');
  const out = [];
  let m;
  while ((m = re.exec(xml)) !== null) {
    const inner = m[2] || '';
    if (new RegExp(`<${t}[\\s/>]`).test(inner)) {
      throw new Error(`Unexpected nested <${tag}> element`);
    }
    out.push({ attrs: parseAttrs(m[1]), inner });
  }
  return out;
}

function first(xml, tag) {
  const all = elements(xml, tag);
  return all.length ? all[0] : null;
}

/** Decoded, trimmed text of the first `tag` child, or null if absent. */
function text(xml, tag) {
  const el = first(xml, tag);
  if (!el) return null;
  if (/<[A-Za-z_]/.test(el.inner)) throw new Error(`<${tag}> has element content`);
  return decodeEntities(el.inner).trim();
}

function texts(xml, tag) {
  return elements(xml, tag).map((el) => decodeEntities(el.inner).trim());
}

/** vuln:ProductID children (CVRF allows several ids in one element, space-separated). */
function productIds(xml) {
  return texts(xml, 'vuln:ProductID').flatMap((s) => s.split(/\s+/)).filter(Boolean);
}

// ---------------------------------------------------------------------------
// Value helpers
// ---------------------------------------------------------------------------

/** MSRC dates are UTC without a zone designator, e.g. 2024-08-13T07:00:00. */
function toIsoUtc(s) {
  if (!s) return null;
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/.test(s) ? s : `${s}Z`;
  const d = new Date(withZone);
  if (Number.isNaN(d.getTime())) throw new Error(`Bad date: ${s}`);
  return d.toISOString();
}

function normaliseKb(s) {
  const m = /^\s*(?:KB)?\s*(\d{6,8})\s*$/i.exec(s || '');
  return m ? `KB${m[1]}` : null;
}

function severityRank(s) {
  if (s == null) return -1;
  const i = SEVERITY_ORDER.findIndex((x) => x.toLowerCase() === String(s).trim().toLowerCase());
  if (i < 0) throw new Error(`Unknown MSRC severity: ${s}`);
  return i;
}

function maxSeverity(list) {
  let best = null;
  for (const s of list) if (severityRank(s) > severityRank(best)) best = s;
  return best == null ? null : SEVERITY_ORDER[severityRank(best)].toUpperCase();
}

function parseCveId(id) {
  const m = /^CVE-(\d{4})-(\d+)$/.exec(id);
  if (!m) throw new Error(`Bad CVE id: ${id}`);
  return [Number(m[1]), Number(m[2])];
}

/** CVE ids in year, then numeric sequence order. */
function compareCve(a, b) {
  const [ya, na] = parseCveId(a);
  const [yb, nb] = parseCveId(b);
  return ya - yb || na - nb;
}

function isHotpatch(subType) {
  return /hot\s*patch/i.test(subType || '');
}

function intersects(ids, set) {
  return ids.some((id) => set.has(id));
}

function warn(msg) {
  process.stderr.write(`warning: ${msg}\n`);
}

function info(msg) {
  process.stderr.write(`${msg}\n`);
}

// ---------------------------------------------------------------------------
// CVRF parsing
// ---------------------------------------------------------------------------

function parseCvrf(xml, file) {
  const tracking = first(xml, 'cvrf:DocumentTracking');
  if (!tracking) throw new Error(`${file}: no cvrf:DocumentTracking`);
  const documentId = text(first(tracking.inner, 'cvrf:Identification').inner, 'cvrf:ID');
  const initialReleaseDate = text(tracking.inner, 'cvrf:InitialReleaseDate');
  const currentReleaseDate = text(tracking.inner, 'cvrf:CurrentReleaseDate');
  if (!documentId || !initialReleaseDate) throw new Error(`${file}: incomplete DocumentTracking`);

  const tree = first(xml, 'prod:ProductTree');
  if (!tree) throw new Error(`${file}: no prod:ProductTree`);
  /** name -> Set of ProductIDs; id -> name */
  const idsByName = new Map();
  const nameById = new Map();
  for (const el of elements(tree.inner, 'prod:FullProductName')) {
    const id = el.attrs.ProductID;
    const name = decodeEntities(el.inner).trim();
    if (!id) throw new Error(`${file}: FullProductName without ProductID`);
    if (nameById.has(id) && nameById.get(id) !== name) {
      throw new Error(`${file}: ProductID ${id} names both "${nameById.get(id)}" and "${name}"`);
    }
    nameById.set(id, name);
    if (!idsByName.has(name)) idsByName.set(name, new Set());
    idsByName.get(name).add(id);
  }

  const vulnerabilities = elements(xml, 'vuln:Vulnerability').map((v) => parseVulnerability(v.inner, file));

  return {
    file,
    documentId,
    initialReleaseDate,
    currentReleaseDate,
    releasedAt: toIsoUtc(initialReleaseDate),
    idsByName,
    nameById,
    vulnerabilities,
  };
}

function parseVulnerability(xml, file) {
  const cve = text(xml, 'vuln:CVE');
  if (!cve) throw new Error(`${file}: vulnerability without vuln:CVE`);

  const threatsEl = first(xml, 'vuln:Threats');
  const threats = threatsEl
    ? elements(threatsEl.inner, 'vuln:Threat').map((t) => ({
        type: t.attrs.Type,
        description: text(t.inner, 'vuln:Description') || '',
        productIds: productIds(t.inner),
      }))
    : [];

  const scoreSetsEl = first(xml, 'vuln:CVSSScoreSets');
  const scoreSets = scoreSetsEl
    ? elements(scoreSetsEl.inner, 'vuln:ScoreSet').map((s) => ({
        baseScore: text(s.inner, 'vuln:BaseScore'),
        vector: text(s.inner, 'vuln:Vector'),
        productIds: productIds(s.inner),
      }))
    : [];

  const remediationsEl = first(xml, 'vuln:Remediations');
  const remediations = remediationsEl
    ? elements(remediationsEl.inner, 'vuln:Remediation').map((r) => ({
        type: r.attrs.Type,
        description: text(r.inner, 'vuln:Description'),
        supercedence: text(r.inner, 'vuln:Supercedence'),
        restartRequired: text(r.inner, 'vuln:RestartRequired'),
        subType: text(r.inner, 'vuln:SubType'),
        fixedBuild: text(r.inner, 'vuln:FixedBuild'),
        productIds: productIds(r.inner),
      }))
    : [];

  // Per-vulnerability RevisionHistory uses cvrf:Revision / cvrf:Date.
  const historyEl = first(xml, 'vuln:RevisionHistory');
  const revisionDates = historyEl
    ? elements(historyEl.inner, 'vuln:Revision').map((r) => text(r.inner, 'cvrf:Date')).filter(Boolean)
    : [];

  return {
    cve,
    title: text(xml, 'vuln:Title') || '',
    threats,
    scoreSets,
    remediations,
    revisionDates,
  };
}

/** Vendor Fix remediations that name a KB, with the KB normalised. */
function vendorFixes(vuln) {
  const out = [];
  for (const r of vuln.remediations) {
    if (r.type !== 'Vendor Fix') continue;
    const kb = normaliseKb(r.description);
    if (!kb) continue;
    out.push({ ...r, kb });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Selection of the cumulative updates
// ---------------------------------------------------------------------------

/**
 * For one document and one product, counts the CVEs per KB among Vendor Fix
 * remediations (hotpatch KBs and KBs without a FixedBuild excluded) and returns
 * the KB with the most CVEs.
 */
function chooseCumulativeUpdate(doc, productName) {
  const ids = doc.idsByName.get(productName);
  const cvesByKb = new Map();
  const skipped = new Map();
  for (const v of doc.vulnerabilities) {
    for (const r of vendorFixes(v)) {
      if (!intersects(r.productIds, ids)) continue;
      if (isHotpatch(r.subType) || !r.fixedBuild) {
        const why = isHotpatch(r.subType) ? `hotpatch "${r.subType}"` : 'no FixedBuild';
        if (!skipped.has(r.kb)) skipped.set(r.kb, { why, cves: new Set() });
        skipped.get(r.kb).cves.add(v.cve);
        continue;
      }
      if (!cvesByKb.has(r.kb)) cvesByKb.set(r.kb, new Set());
      cvesByKb.get(r.kb).add(v.cve);
    }
  }
  const ranked = [...cvesByKb.entries()]
    .map(([kb, cves]) => ({ kb, count: cves.size }))
    .sort((a, b) => b.count - a.count || a.kb.localeCompare(b.kb));
  if (ranked.length > 1 && ranked[0].count === ranked[1].count) {
    warn(`${doc.documentId} ${productName}: tie between ${ranked[0].kb} and ${ranked[1].kb}; taking ${ranked[0].kb}`);
  }
  const summary = ranked.map((r) => `${r.kb}=${r.count}`).join(', ');
  const skippedSummary = [...skipped.entries()].map(([kb, s]) => `${kb}=${s.cves.size} (${s.why})`).join(', ');
  info(`  ${productName}: ${summary || '(none)'}${skippedSummary ? `; ignored ${skippedSummary}` : ''}`);
  return ranked.length ? ranked[0].kb : null;
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

function loadKev(dataDir) {
  const kev = JSON.parse(fs.readFileSync(path.join(dataDir, KEV_FILE), 'utf8'));
  const byCve = new Map();
  for (const v of kev.vulnerabilities) {
    byCve.set(v.cveID, {
      dateAdded: v.dateAdded,
      dueDate: v.dueDate,
      knownRansomwareCampaignUse: v.knownRansomwareCampaignUse,
    });
  }
  return { catalogVersion: kev.catalogVersion, byCve };
}

function loadEpss(dataDir) {
  const dir = path.join(dataDir, EPSS_DIR);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.csv')).sort();
  if (files.length === 0) throw new Error(`No EPSS .csv file in ${dir}`);
  const byCve = new Map();
  for (const f of files) {
    const lines = fs.readFileSync(path.join(dir, f), 'utf8').split(/\r?\n/);
    lines.forEach((line, i) => {
      if (!line.trim() || line.startsWith('#')) return;
      const cols = line.split(';');
      const score = Number(cols[1]);
      const percentile = Number(cols[2]);
      if (cols.length !== 3 || !/^CVE-\d{4}-\d+$/.test(cols[0]) || !Number.isFinite(score) || !Number.isFinite(percentile)) {
        throw new Error(`${f}:${i + 1}: unexpected EPSS line: ${line}`);
      }
      byCve.set(cols[0], { score, percentile });
    });
  }
  return { files: files.map((f) => `${EPSS_DIR}/${f}`), byCve };
}

function main(argv) {
  if (argv.length !== 2) {
    process.stderr.write('Usage: node scripts/extract-microsoft-catalog.js <path-to-shared-data-dir> <output.json>\n');
    process.exit(2);
  }
  const [dataDir, outFile] = argv;

  const docs = CVRF_FILES.map((f) => {
    const doc = parseCvrf(fs.readFileSync(path.join(dataDir, f), 'utf8'), f);
    info(`${f}: ${doc.documentId}, ${doc.vulnerabilities.length} vulnerabilities, ${doc.nameById.size} products`);
    return doc;
  });
  const kev = loadKev(dataDir);
  const epss = loadEpss(dataDir);

  // 1. Choose the cumulative update per (document, product), grouping products
  //    that share a KB into one update.
  /** kb -> { kb, doc, products: [] } */
  const updatesByKb = new Map();
  for (const doc of docs) {
    info(`${doc.documentId}: CVEs per Vendor Fix KB`);
    for (const product of TARGET_PRODUCTS) {
      if (!doc.idsByName.has(product)) {
        info(`  ${product}: not in ProductTree`);
        continue;
      }
      const kb = chooseCumulativeUpdate(doc, product);
      if (!kb) {
        warn(`${doc.documentId} ${product}: no cumulative update found`);
        continue;
      }
      const existing = updatesByKb.get(kb);
      if (existing && existing.doc !== doc) {
        throw new Error(`${kb} chosen in both ${existing.doc.documentId} and ${doc.documentId}`);
      }
      if (existing) existing.products.push(product);
      else updatesByKb.set(kb, { kb, doc, products: [product] });
    }
  }

  // 2. Gather, for each chosen KB, every CVE whose Vendor Fix names that KB for
  //    one of the update's products, in any document (a document can list a
  //    later month's KB for a re-released CVE), plus builds, supersedence,
  //    restart and severity.
  /** cve -> Map(doc -> Set of product names of kept updates that fix it) */
  const keptProductsByCve = new Map();
  const updates = [];
  for (const u of updatesByKb.values()) {
    const cves = new Set();
    const builds = new Map(); // product -> Map(build -> count)
    const supersedes = new Set();
    const restart = new Set();
    const severities = [];
    for (const doc of docs) {
      const idsOfUpdate = new Set(u.products.flatMap((p) => [...(doc.idsByName.get(p) || [])]));
      for (const v of doc.vulnerabilities) {
        const fixes = vendorFixes(v).filter((r) => r.kb === u.kb && intersects(r.productIds, idsOfUpdate));
        if (fixes.length === 0) continue;
        cves.add(v.cve);
        const fixedIds = new Set();
        for (const r of fixes) {
          for (const id of r.productIds) if (idsOfUpdate.has(id)) fixedIds.add(id);
          if (r.restartRequired) restart.add(r.restartRequired);
          for (const part of (r.supercedence || '').split(/[,;]/)) {
            const kb = normaliseKb(part);
            if (kb) supersedes.add(kb);
            else if (part.trim()) warn(`${u.kb}: ignored supercedence "${part.trim()}"`);
          }
          if (doc === u.doc && r.fixedBuild) {
            for (const id of r.productIds) {
              const name = doc.nameById.get(id);
              if (!u.products.includes(name)) continue;
              if (!builds.has(name)) builds.set(name, new Map());
              const m = builds.get(name);
              m.set(r.fixedBuild, (m.get(r.fixedBuild) || 0) + 1);
            }
          }
        }
        for (const t of v.threats) {
          if (t.type === 'Severity' && intersects(t.productIds, fixedIds)) severities.push(t.description);
        }
        if (!keptProductsByCve.has(v.cve)) keptProductsByCve.set(v.cve, new Map());
        const perDoc = keptProductsByCve.get(v.cve);
        if (!perDoc.has(doc)) perDoc.set(doc, new Set());
        for (const id of fixedIds) perDoc.get(doc).add(id);
      }
    }

    const fixedBuilds = {};
    for (const p of u.products) {
      const m = builds.get(p);
      if (!m) {
        warn(`${u.kb}: no FixedBuild for ${p}`);
        continue;
      }
      const ranked = [...m.entries()].sort((a, b) => b[1] - a[1]);
      if (ranked.length > 1) {
        warn(`${u.kb} ${p}: several FixedBuilds ${ranked.map(([b, n]) => `${b}×${n}`).join(', ')}; taking the most common`);
      }
      fixedBuilds[p] = ranked[0][0];
    }
    if (restart.size > 1) warn(`${u.kb}: RestartRequired values ${[...restart].join('/')}`);
    supersedes.delete(u.kb);

    const month = u.doc.releasedAt.slice(0, 7);
    updates.push({
      kb: u.kb,
      title: `${month} Cumulative Update for ${u.products.join(' and ')} (${u.kb})`,
      products: u.products,
      classification: 'SECURITY',
      severity: maxSeverity(severities),
      releasedAt: u.doc.releasedAt,
      fixedBuilds,
      supersedes: [...supersedes].sort(),
      restartRequired: restart.has('Yes'),
      cves: [...cves].sort(compareCve),
    });
  }
  updates.sort((a, b) => a.releasedAt.localeCompare(b.releasedAt) || a.kb.localeCompare(b.kb));

  // 3. Vulnerabilities referenced by the kept updates. Scores and severities
  //    are taken over the product ids of the kept updates that fix the CVE.
  const vulnerabilities = [];
  for (const [cve, perDoc] of keptProductsByCve) {
    let title = null;
    let best = null; // { baseScore, vector }
    const severities = [];
    let exploited = false;
    let publiclyDisclosed = false;
    let publishedAt = null;
    for (const [doc, ids] of perDoc) {
      const v = doc.vulnerabilities.find((x) => x.cve === cve);
      if (title == null) title = v.title;
      for (const s of v.scoreSets) {
        if (!intersects(s.productIds, ids) || s.baseScore == null || s.baseScore === '') continue;
        const score = Number(s.baseScore);
        if (!Number.isFinite(score)) throw new Error(`${cve}: bad BaseScore ${s.baseScore}`);
        if (!best || score > best.baseScore) best = { baseScore: score, vector: s.vector || null };
      }
      for (const t of v.threats) {
        if (t.type === 'Severity' && intersects(t.productIds, ids)) severities.push(t.description);
        if (t.type === 'Exploit Status') {
          if (/(^|;)\s*Exploited:Yes\b/i.test(t.description)) exploited = true;
          if (/(^|;)\s*Publicly Disclosed:Yes\b/i.test(t.description)) publiclyDisclosed = true;
        }
      }
      const dates = v.revisionDates.map(toIsoUtc).sort();
      const published = dates.length ? dates[0] : doc.releasedAt;
      if (!publishedAt || published < publishedAt) publishedAt = published;
    }
    if (!best) warn(`${cve}: no CVSS score set for the kept products`);
    vulnerabilities.push({
      cveId: cve,
      title,
      cvssBaseScore: best ? best.baseScore : null,
      cvssVector: best ? best.vector : null,
      severity: maxSeverity(severities),
      exploited,
      publiclyDisclosed,
      publishedAt,
      kev: kev.byCve.get(cve) || null,
      epss: epss.byCve.get(cve) || null,
    });
  }
  vulnerabilities.sort((a, b) => compareCve(a.cveId, b.cveId));

  for (const v of vulnerabilities) {
    if (v.kev && !v.exploited) warn(`${v.cveId}: in KEV but MSRC says Exploited:No`);
    if (!v.kev && v.exploited) warn(`${v.cveId}: MSRC says Exploited:Yes but not in KEV ${kev.catalogVersion}`);
    if (!v.epss) warn(`${v.cveId}: no EPSS score`);
    if (!v.severity) warn(`${v.cveId}: no MSRC severity for the kept products`);
  }

  const catalog = {
    provenance: {
      generatedBy: 'scripts/extract-microsoft-catalog.js',
      sources: docs.map((d) => ({
        file: d.file,
        documentId: d.documentId,
        currentReleaseDate: toIsoUtc(d.currentReleaseDate),
      })),
      kevCatalogVersion: kev.catalogVersion,
      epssFile: epss.files.join(', '),
    },
    updates,
    vulnerabilities,
  };

  const json = `${JSON.stringify(catalog, null, 2)}\n`;
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  fs.writeFileSync(outFile, json);
  info(
    `wrote ${outFile}: ${updates.length} updates, ${vulnerabilities.length} vulnerabilities, ` +
      `${vulnerabilities.filter((v) => v.kev).length} in KEV, ${Buffer.byteLength(json)} bytes`,
  );
}

main(process.argv.slice(2));
