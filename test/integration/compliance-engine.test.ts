/**
 * The compliance engine on real catalog data (Microsoft's August 2024 cumulative update KB5041585 for Windows 11
 * 23H2, released 2024-08-13T07:00Z, fixing CVE-2024-38178: in CISA KEV since 2024-08-13, due 2024-09-03), on both
 * engines: preset boundaries, install events, knownAt, posture-only machines and exceptions.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TenantScope } from '../../src/access/tenant-scope';
import { ComplianceReport } from '../../src/compliance/compliance-report';
import { ComplianceEvaluation } from '../../src/compliance/evaluation';
import { PolicyDefinition } from '../../src/compliance/policy-definition';
import { PRESETS } from '../../src/compliance/presets';
import { importIntelFile } from '../../src/intel/import-intel';
import { Asset, IntelSource, PatchEvent, PatchState, RiskException, SourceDevice, Tenant, Update } from '../../src/entities';
import { EvidenceKind, PatchStateValue, ReleaseDateSource, Severity, UpdateClassification } from '../../src/entities/enums';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';

const ONBOARDED = new Date('2024-08-01T00:00:00Z');

describe(`compliance engine on ${ENGINE}`, () => {
  let db: TestDatabase;
  let f: Factory;
  let tenant: Tenant;
  let kb: string;
  let catalogIds: Map<string, { id: string }>;
  const assets: Record<string, Asset> = {};
  const sources: Record<string, SourceDevice> = {};
  const evidenceOf: Record<string, EvidenceKind> = {};

  async function machine(name: string, evidence: EvidenceKind | null, osName = 'Windows 11 Pro', osBuild = '22631.3880'): Promise<void> {
    const [asset] = await f.insertAssets([f.asset(tenant, { hostname: name, osName, osBuild, osVersion: '23H2', lastSeenAt: new Date('2026-11-01T00:00:00Z'), createdAt: ONBOARDED })]);
    const connector = await f.connector(tenant, evidence === EvidenceKind.REPORTED ? 'wsus' : evidence === null ? 'datto-rmm' : 'intune');
    const source = f.source(asset, connector, { firstSeenAt: ONBOARDED });
    await f.insert(SourceDevice, [source]);
    assets[name] = asset;
    sources[name] = source;
    if (!evidence) return;
    evidenceOf[name] = evidence;
    await f.insert(PatchState, [{ ...f.patchState(source, kb, PatchStateValue.MISSING), evidence } as PatchState]);
    await event(name, null, PatchStateValue.MISSING, new Date('2024-08-14T09:00:00Z'));
  }

  async function event(name: string, from: PatchStateValue | null, to: PatchStateValue, observedAt: Date, reportedAt: Date | null = null): Promise<void> {
    await f.insert(PatchEvent, [Object.assign(new PatchEvent(), {
      id: newId(), tenantId: tenant.id, assetId: assets[name].id, sourceDeviceId: sources[name].id, updateId: kb, syncRunId: null,
      fromState: from, toState: to, evidence: evidenceOf[name], reportedAt, observedAt,
    })]);
  }

  const statusOf = async (name: string, policyKey: string, asOf: string, knownAt = '2026-12-01T00:00:00Z') => {
    const evaluation = new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), {
      policyKey, policy: PRESETS[policyKey], asOf: new Date(asOf), knownAt: new Date(knownAt), assignedOnly: false,
    });
    const rows = await new ComplianceReport(evaluation).assets(100, null, null);
    return rows.find((r) => r.hostname === name)?.status;
  };

  beforeAll(async () => {
    db = await openTestDatabase();
    f = new Factory(db.dataSource);
    // Known since the day after the release, as a catalog synced then would be: answers asked with knownAt in 2024 see it.
    const { updates } = await f.catalog(new Date('2024-08-14T00:00:00Z'));
    kb = updates.get('KB5041585')!.id;
    catalogIds = updates;
    tenant = await f.tenant('Contoso Academy Trust');
    await machine('WSUS-PC', EvidenceKind.REPORTED);
    await machine('INTUNE-PC', EvidenceKind.DERIVED);
    await machine('DATTO-PC', null);
  });
  afterAll(() => db.drop());

  it('Cyber Essentials: within 14 days of the real release, overdue from the 14th day at the release time (Europe/London)', async () => {
    expect(await statusOf('WSUS-PC', 'cyber-essentials-v3.3', '2024-08-20T12:00:00Z')).toBe('COMPLIANT');
    // Due 2024-08-27T07:00Z; the 72-hour warning starts three days before.
    expect(await statusOf('WSUS-PC', 'cyber-essentials-v3.3', '2024-08-24T06:59:59Z')).toBe('COMPLIANT');
    expect(await statusOf('WSUS-PC', 'cyber-essentials-v3.3', '2024-08-26T12:00:00Z')).toBe('DUE_SOON');
    expect(await statusOf('WSUS-PC', 'cyber-essentials-v3.3', '2024-08-27T06:59:59.999Z')).toBe('DUE_SOON');
    expect(await statusOf('WSUS-PC', 'cyber-essentials-v3.3', '2024-08-27T07:00:00Z')).toBe('NON_COMPLIANT');
    expect(await statusOf('INTUNE-PC', 'cyber-essentials-v3.3', '2024-08-28T00:00:00Z')).toBe('NON_COMPLIANT');
  });

  it('BOD 22-01: the KEV entry\'s due date (2024-09-03) is the last compliant day', async () => {
    expect(await statusOf('WSUS-PC', 'cisa-bod-22-01', '2024-08-20T12:00:00Z')).toBe('COMPLIANT');
    expect(await statusOf('WSUS-PC', 'cisa-bod-22-01', '2024-09-03T23:59:59Z')).toBe('DUE_SOON');
    expect(await statusOf('WSUS-PC', 'cisa-bod-22-01', '2024-09-04T00:00:00Z')).toBe('NON_COMPLIANT');
  });

  it('a posture-only machine is UNVERIFIED under a per-update rule', async () => {
    expect(await statusOf('DATTO-PC', 'cyber-essentials-v3.3', '2024-09-10T00:00:00Z')).toBe('UNVERIFIED');
  });

  it('an install flips the answer for dates after it, not before; knownAt reproduces the earlier answer', async () => {
    // Installed 2024-09-09 (as WSUS reports), recorded by patchgraph's sync on 2024-09-10.
    await event('WSUS-PC', PatchStateValue.MISSING, PatchStateValue.INSTALLED, new Date('2024-09-10T06:00:00Z'), new Date('2024-09-09T15:00:00Z'));
    expect(await statusOf('WSUS-PC', 'cisa-bod-22-01', '2024-09-08T00:00:00Z')).toBe('NON_COMPLIANT');
    expect(await statusOf('WSUS-PC', 'cisa-bod-22-01', '2024-09-09T16:00:00Z')).toBe('COMPLIANT');
    // A report made on the evening of the 9th, before the sync recorded the install, said NON_COMPLIANT; it still does.
    expect(await statusOf('WSUS-PC', 'cisa-bod-22-01', '2024-09-09T16:00:00Z', '2024-09-09T18:00:00Z')).toBe('NON_COMPLIANT');
  });

  it('an exception makes a finding EXEMPT until it expires', async () => {
    await f.insert(RiskException, [Object.assign(new RiskException(), {
      id: newId(), tenantId: tenant.id, siteId: null, assetId: assets['INTUNE-PC'].id, updateId: null, cveId: 'CVE-2024-38178', policyKey: null,
      owner: 'Head of IT', reason: 'Line-of-business app breaks on this build', compensatingControl: 'Isolated VLAN',
      validFrom: new Date('2024-08-20T00:00:00Z'), expiresAt: new Date('2024-10-01T00:00:00Z'), createdAt: new Date('2024-08-20T00:00:00Z'),
      createdBy: 'test', revokedAt: null, revokedBy: null,
    })]);
    expect(await statusOf('INTUNE-PC', 'cyber-essentials-v3.3', '2024-09-15T00:00:00Z')).toBe('EXEMPT');
    expect(await statusOf('INTUNE-PC', 'cyber-essentials-v3.3', '2024-10-01T00:00:00Z')).toBe('NON_COMPLIANT');
    expect(await statusOf('INTUNE-PC', 'cyber-essentials-v3.3', '2024-08-19T00:00:00Z')).toBe('COMPLIANT');
  });

  it('a re-imaged machine: its current record outvotes the old, stale one that still says missing', async () => {
    await machine('REIMAGED-PC', EvidenceKind.REPORTED);
    await db.dataSource.query('UPDATE source_device SET stale = ?, lastCheckInAt = ? WHERE id = ?', [ENGINE === 'sqlite' ? 1 : true, '2024-08-20 00:00:00.000', sources['REIMAGED-PC'].id]);
    const fresh = f.source(assets['REIMAGED-PC'], await f.connector(tenant, 'intune'), { firstSeenAt: ONBOARDED });
    await f.insert(SourceDevice, [fresh]);
    await f.insert(PatchState, [{ ...f.patchState(fresh, kb, PatchStateValue.INSTALLED), evidence: EvidenceKind.DERIVED } as PatchState]);
    await f.insert(PatchEvent, [Object.assign(new PatchEvent(), {
      id: newId(), tenantId: tenant.id, assetId: assets['REIMAGED-PC'].id, sourceDeviceId: fresh.id, updateId: kb, syncRunId: null,
      fromState: null, toState: PatchStateValue.INSTALLED, evidence: EvidenceKind.DERIVED, reportedAt: null, observedAt: new Date('2024-08-25T09:00:00Z'),
    })]);
    // While the old record was still reporting (before its last check-in), its per-KB report decides; after, the current record.
    expect(await statusOf('REIMAGED-PC', 'cisa-bod-22-01', '2024-08-19T00:00:00Z')).toBe('COMPLIANT');
    expect(await statusOf('REIMAGED-PC', 'cisa-bod-22-01', '2024-09-10T00:00:00Z')).toBe('COMPLIANT');
    await db.dataSource.query('UPDATE source_device SET stale = ? WHERE id = ?', [ENGINE === 'sqlite' ? 0 : false, sources['REIMAGED-PC'].id]);
    expect(await statusOf('REIMAGED-PC', 'cisa-bod-22-01', '2024-09-10T00:00:00Z')).toBe('NON_COMPLIANT');
    await db.dataSource.query('UPDATE source_device SET stale = ? WHERE id = ?', [ENGINE === 'sqlite' ? 1 : true, sources['REIMAGED-PC'].id]);
  });

  it('counts assets by status in one aggregate', async () => {
    const evaluation = new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), {
      policyKey: 'cyber-essentials-v3.3', policy: PRESETS['cyber-essentials-v3.3'], asOf: new Date('2024-09-15T00:00:00Z'), knownAt: new Date('2026-12-01T00:00:00Z'), assignedOnly: false,
    });
    const counts = Object.fromEntries((await new ComplianceReport(evaluation).statusCounts()).map((c) => [c.status, c.count]));
    expect(counts).toEqual({ COMPLIANT: 2, EXEMPT: 1, DUE_SOON: 0, UNVERIFIED: 1, NON_COMPLIANT: 0 });
  });

  it('a KEV due date changed by a later import leaves answers asked with an earlier knownAt as they were', async () => {
    await machine('KEV-PC', EvidenceKind.REPORTED);
    const asOf = '2024-09-05T12:00:00Z';
    const before = '2024-09-06T00:00:00Z';
    const after = '2024-09-11T00:00:00Z';
    expect(await statusOf('KEV-PC', 'cisa-bod-22-01', asOf, before)).toBe('NON_COMPLIANT');

    // A KEV catalog released on 10 September moves the due date of the entries added on 13 August (the six zero-days
    // KB5041585 fixes) to the 30th; patchgraph imports it that day.
    const kev = JSON.parse(readFileSync(join(__dirname, '..', '..', 'intel', 'baseline', 'kev', 'known_exploited_vulnerabilities_2026.08.21.json'), 'utf8'));
    const moved = kev.vulnerabilities.filter((v: { dateAdded: string }) => v.dateAdded === '2024-08-13').map((v: object) => ({ ...v, dueDate: '2024-09-30' }));
    const dir = mkdtempSync(join(tmpdir(), 'patchgraph-kev-'));
    const file = join(dir, 'known_exploited_vulnerabilities.json');
    writeFileSync(file, JSON.stringify({ ...kev, catalogVersion: '2024.09.10', dateReleased: '2024-09-10T15:00:00.000Z', count: moved.length, vulnerabilities: moved }));
    expect((await importIntelFile(db.dataSource, file, new Date('2024-09-10T16:00:00Z')))?.status).toBe('imported');
    const source = await db.dataSource.getRepository(IntelSource).findOneByOrFail({ version: '2024.09.10' });
    rmSync(dir, { recursive: true, force: true });

    expect(await statusOf('KEV-PC', 'cisa-bod-22-01', asOf, before)).toBe('NON_COMPLIANT');
    expect(await statusOf('KEV-PC', 'cisa-bod-22-01', asOf, after)).toBe('COMPLIANT');
    const held = async (knownAt: string) => {
      const evaluation = new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), {
        policyKey: 'cisa-bod-22-01', policy: PRESETS['cisa-bod-22-01'], asOf: new Date(asOf), knownAt: new Date(knownAt), assignedOnly: false,
      });
      return (await evaluation.updateFacts()).find((u) => u.id === kb)!.cves.find((c) => c.cveId === 'CVE-2024-38178');
    };
    // Each answer names where its facts came from: the bundled catalog before the import, that KEV version after.
    expect(await held(before)).toMatchObject({ kevDateAdded: '2024-08-13', kevDueDate: '2024-09-03', kevSourceId: null });
    expect(await held(after)).toMatchObject({ kevDateAdded: '2024-08-13', kevDueDate: '2024-09-30', kevSourceId: source.id });
  });

  it('a rule over thousands of catalog entries is answered: its terms reach the database as one parameter', async () => {
    // 6,000 unrated third-party updates a tenant's RMM reported: six values per term once made 36,000 bound
    // parameters, past SQLite's 32,766, and the question failed.
    const released = new Date('2024-07-01T00:00:00Z');
    const updates = Array.from({ length: 6000 }, (_, i) => Object.assign(new Update(), {
      id: newId(), catalogKey: `rmm:app-${i}`, owner: tenant.id, kb: null, title: `Third-party app ${i} 1.0.${i}`, vendor: 'Various', products: ['App'],
      classification: UpdateClassification.UPDATE, severity: Severity.UNSPECIFIED, maxCvssBaseScore: null, releasedAt: released, releasedAtSource: ReleaseDateSource.SOURCE, fixedBuilds: null, supersedes: [],
      createdAt: ONBOARDED, updatedAt: ONBOARDED,
    }));
    await f.insert(Update, updates);
    await machine('APPS-PC', EvidenceKind.REPORTED);
    await f.insert(PatchState, [{ ...f.patchState(sources['APPS-PC'], updates[5999].id, PatchStateValue.MISSING), evidence: EvidenceKind.REPORTED } as PatchState]);
    await f.insert(PatchEvent, [Object.assign(new PatchEvent(), {
      id: newId(), tenantId: tenant.id, assetId: assets['APPS-PC'].id, sourceDeviceId: sources['APPS-PC'].id, updateId: updates[5999].id, syncRunId: null,
      fromState: null, toState: PatchStateValue.MISSING, evidence: EvidenceKind.REPORTED, reportedAt: null, observedAt: new Date('2024-07-02T00:00:00Z'),
    })]);
    const policy: PolicyDefinition = {
      name: 'Every unrated update within 30 days', description: '', source: 'test', timeZone: 'UTC', dueSoonHours: 0,
      findingRules: [{ id: 'unrated-30d', description: '', scope: { unrated: true }, clockStart: 'RELEASE', allowance: { days: 30 } }], deviceRules: [],
    };
    const evaluation = new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), {
      policyKey: 'custom', policy, asOf: new Date('2024-08-05T00:00:00Z'), knownAt: new Date('2026-12-01T00:00:00Z'), assignedOnly: false,
    });
    const findings = await new ComplianceReport(evaluation).findings([assets['APPS-PC'].id]);
    expect(findings.map((x) => [x.updateId, x.status, x.dueAt?.toISOString()])).toEqual([[updates[5999].id, 'NON_COMPLIANT', '2024-07-31T00:00:00.000Z']]);
  });

  it('says when a release clock rests only on when the update was first seen', async () => {
    const update = (n: number, releasedAtSource: ReleaseDateSource) => Object.assign(new Update(), {
      id: newId(), catalogKey: `rmm:dated-${n}`, owner: tenant.id, kb: null, title: `RMM patch ${n}`, vendor: 'Various', products: [], classification: UpdateClassification.UPDATE,
      severity: Severity.UNSPECIFIED, maxCvssBaseScore: null, releasedAt: new Date('2024-07-01T00:00:00Z'), releasedAtSource, fixedBuilds: null, supersedes: [], createdAt: ONBOARDED, updatedAt: ONBOARDED,
    });
    const [firstSeen, dated] = [update(1, ReleaseDateSource.FIRST_SEEN), update(2, ReleaseDateSource.SOURCE)];
    await f.insert(Update, [firstSeen, dated]);
    const policy: PolicyDefinition = {
      name: 'Release and detection clocks', description: '', source: 'test', timeZone: 'UTC', dueSoonHours: 0, deviceRules: [],
      findingRules: [
        { id: 'release-30d', description: '', scope: { unrated: true }, clockStart: 'RELEASE', allowance: { days: 30 } },
        { id: 'detected-30d', description: '', scope: { unrated: true }, clockStart: 'FIRST_DETECTED', allowance: { days: 30 } },
      ],
    };
    const evaluation = new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), {
      policyKey: 'custom', policy, asOf: new Date('2024-08-05T00:00:00Z'), knownAt: new Date('2026-12-01T00:00:00Z'), assignedOnly: false,
    });
    expect(await evaluation.clockStartsAtFirstSeen('release-30d', firstSeen.id)).toBe(true);
    expect(await evaluation.clockStartsAtFirstSeen('release-30d', dated.id)).toBe(false);
    expect(await evaluation.clockStartsAtFirstSeen('detected-30d', firstSeen.id)).toBe(false);
  });
  it('a superseding cumulative update installed closes the older one\'s finding from when it was installed', async () => {
    // WSUS still lists August's KB5041585 as missing, but September's KB5043076 (which supersedes it) went in on 2 October (after the KEV due date,
    // moved to 30 September by the import above).
    await machine('SUPERSEDED-PC', EvidenceKind.REPORTED);
    const september = catalogIds.get('KB5043076')!.id;
    const installed = (observedAt: string, reportedAt: string) => f.insert(PatchEvent, [Object.assign(new PatchEvent(), {
      id: newId(), tenantId: tenant.id, assetId: assets['SUPERSEDED-PC'].id, sourceDeviceId: sources['SUPERSEDED-PC'].id, updateId: september, syncRunId: null,
      fromState: null, toState: PatchStateValue.INSTALLED, evidence: EvidenceKind.REPORTED, reportedAt: new Date(reportedAt), observedAt: new Date(observedAt),
    })]);
    await installed('2024-10-03T06:00:00Z', '2024-10-02T15:00:00Z');
    expect(await statusOf('SUPERSEDED-PC', 'cisa-bod-22-01', '2024-10-01T12:00:00Z')).toBe('NON_COMPLIANT');
    expect(await statusOf('SUPERSEDED-PC', 'cisa-bod-22-01', '2024-10-02T16:00:00Z')).toBe('COMPLIANT');
    // Recorded only on the 3rd: a report made before then still says what patchgraph knew.
    expect(await statusOf('SUPERSEDED-PC', 'cisa-bod-22-01', '2024-10-02T16:00:00Z', '2024-10-02T18:00:00Z')).toBe('NON_COMPLIANT');
    // The superseding update rolled back (its last event no longer INSTALLED): the older finding is open again.
    await f.insert(PatchEvent, [Object.assign(new PatchEvent(), {
      id: newId(), tenantId: tenant.id, assetId: assets['SUPERSEDED-PC'].id, sourceDeviceId: sources['SUPERSEDED-PC'].id, updateId: september, syncRunId: null,
      fromState: PatchStateValue.INSTALLED, toState: PatchStateValue.MISSING, evidence: EvidenceKind.REPORTED, reportedAt: new Date('2024-10-20T10:00:00Z'), observedAt: new Date('2024-10-20T12:00:00Z'),
    })]);
    expect(await statusOf('SUPERSEDED-PC', 'cisa-bod-22-01', '2024-10-15T00:00:00Z')).toBe('COMPLIANT');
    expect(await statusOf('SUPERSEDED-PC', 'cisa-bod-22-01', '2024-10-21T00:00:00Z')).toBe('NON_COMPLIANT');
  });
});
