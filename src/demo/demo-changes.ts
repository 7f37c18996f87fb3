import { DataSource } from 'typeorm';
import { ChangeActor, ChangeAdmin } from '../access/change-admin';
import { TenantScope } from '../access/tenant-scope';
import { ChangeRisk, ChangeType } from '../change/change-kinds';
import { occurrences } from '../change/maintenance-windows';
import { Asset, ChangeRequest, PatchState, Site, Tenant, Update } from '../entities';
import { Clock } from '../util/clock';

/**
 * Change management as the demo's dental practice runs it: an agreed evening window, a pilot ring and the rest,
 * this month's rollout scheduled in the next window, and an emergency fix for the York surgery under way, whose
 * verification reads what the demo's WSUS and Datto data report. A technician requests, the practice manager
 * approves (the requester may not approve their own change). Run once, after the first syncs.
 */
const TECHNICIAN: ChangeActor = { id: 'demo:sam', label: 'demo:Sam Patel (MSP technician)' };
const PRACTICE_MANAGER: ChangeActor = { id: 'demo:priya', label: 'demo:Priya Shah (practice manager, Northwind Dental)' };
const TENANT = 'Northwind Dental';
const EVENINGS = { rrule: 'FREQ=WEEKLY;BYDAY=TU', firstStart: '2026-01-06T19:00', timeZone: 'Europe/London', durationMinutes: 240 };

export async function setUpDemoChanges(dataSource: DataSource, clock: Clock): Promise<void> {
  if ((await dataSource.getRepository(ChangeRequest).count()) > 0) return;
  const tenant = await dataSource.getRepository(Tenant).findOneBy({ name: TENANT });
  if (!tenant) return;
  const admin = new ChangeAdmin(dataSource, TenantScope.allTenants(), clock);
  const leeds = await dataSource.getRepository(Site).findOneByOrFail({ tenantId: tenant.id, name: 'Leeds Surgery' });
  const york = await dataSource.getRepository(Site).findOneByOrFail({ tenantId: tenant.id, name: 'York Surgery' });
  const assets = await dataSource.getRepository(Asset).find({ where: { tenantId: tenant.id }, order: { hostname: 'ASC' } });
  const updates = await missingSecurityUpdates(dataSource, tenant.id, york.id);
  if (assets.length < 2 || updates.length === 0) return;

  await admin.createWindow({ tenantId: tenant.id, name: 'Tuesday evenings', ...EVENINGS }, PRACTICE_MANAGER);
  const pilotAsset = assets.find((a) => a.siteId === leeds.id) ?? assets[0];
  const pilot = await admin.createRing({
    tenantId: tenant.id, name: 'Pilot', position: 1, assetIds: [pilotAsset.id], minSuccessRate: 1, minDevices: 1, soakHours: 48,
  }, TECHNICIAN);
  const surgeries = await admin.createRing({
    tenantId: tenant.id, name: 'Surgeries', position: 2, assetIds: assets.filter((a) => a.id !== pilotAsset.id).map((a) => a.id), minSuccessRate: 0.95, minDevices: 5, soakHours: 24,
  }, TECHNICIAN);

  const now = clock.now();
  const [next] = occurrences(EVENINGS, now, new Date(now.getTime() + 8 * 86_400_000));
  const common = {
    tenantId: tenant.id, updateIds: updates, kbs: [], risk: ChangeRisk.MEDIUM,
    testPlan: 'Installed on the pilot machine first; the practice-management and X-ray imaging software checked the next morning',
    rollbackPlan: 'Uninstall the update (wusa /uninstall /kb:…) and restart; the imaging PC is restored from the previous night\'s image if it does not start',
  };
  const rollout = await admin.create({
    ...common, type: ChangeType.NORMAL, title: 'Monthly rollout: pilot, then both surgeries',
    description: 'This month\'s security update on every practice machine, pilot ring first.', targets: { assetIds: [], siteIds: [], ringIds: [pilot.id, surgeries.id] },
    impact: 'Each machine restarts once, after surgery hours', plannedStart: next.start, plannedEnd: new Date(next.start.getTime() + 3 * 3600_000),
    externalTickets: [{ system: 'ConnectWise', id: 'CW-20417' }],
  }, TECHNICIAN);
  await admin.transition(rollout.id, 'submit', {}, TECHNICIAN, 1);
  await admin.transition(rollout.id, 'approve', { comment: 'Agreed for Tuesday evening' }, PRACTICE_MANAGER, 1);
  await admin.transition(rollout.id, 'schedule', {}, TECHNICIAN, 1);

  const emergency = await admin.create({
    ...common, type: ChangeType.EMERGENCY, title: 'Out-of-band security updates at the York surgery',
    description: 'York\'s machines lack security updates whose vulnerabilities are exploited; they cannot wait for Tuesday.', targets: { assetIds: [], siteIds: [york.id], ringIds: [] },
    impact: 'York machines restart during the lunch break', plannedStart: now, plannedEnd: new Date(now.getTime() + 2 * 3600_000),
    externalTickets: [{ system: 'ConnectWise', id: 'CW-20431' }],
  }, TECHNICIAN);
  await admin.transition(emergency.id, 'submit', {}, TECHNICIAN, 1);
  await admin.transition(emergency.id, 'approve', { comment: 'Go ahead at lunchtime' }, PRACTICE_MANAGER, 1);
  await admin.transition(emergency.id, 'schedule', { comment: 'Outside the Tuesday window: emergency' }, TECHNICIAN, 1);
  await admin.transition(emergency.id, 'start', {}, TECHNICIAN, 1);
}

/** The security updates the site's machines report missing, by KB (at most two): what an emergency change would deploy. */
async function missingSecurityUpdates(dataSource: DataSource, tenantId: string, siteId: string): Promise<string[]> {
  const rows = await dataSource.createQueryBuilder(PatchState, 'ps')
    .innerJoin(Asset, 'a', 'a.id = ps.assetId')
    .innerJoin(Update, 'u', 'u.id = ps.updateId')
    .select('ps.updateId', 'updateId').addSelect('u.kb', 'kb').distinct(true)
    .where('ps.tenantId = :tenantId AND ps.effective = :yes AND a.siteId = :siteId', { tenantId, yes: true, siteId })
    .andWhere("u.classification = 'SECURITY' AND u.kb IS NOT NULL AND ps.state IN ('MISSING', 'FAILED')")
    .orderBy('u.kb', 'ASC')
    .getRawMany<{ updateId: string; kb: string }>();
  return rows.slice(0, 2).map((r) => r.updateId);
}
