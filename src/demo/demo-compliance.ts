import { DataSource } from 'typeorm';
import { ComplianceAdmin } from '../access/compliance-admin';
import { TenantScope } from '../access/tenant-scope';
import { Asset, PolicyAssignment, Tenant } from '../entities';
import { Clock } from '../util/clock';

/**
 * What an MSP sets up for compliance, as the demo's clients would have it: each tenant assigned the frameworks it
 * must meet (a school trust the DfE standards and Cyber Essentials, a dental practice Cyber Essentials, a logistics
 * firm Cyber Essentials and CISA's KEV deadlines), Extended Security Updates bought for the trust's Windows 10
 * machines, a server marked internet-facing and one accepted risk. Run once, after the first syncs.
 */
export const DEMO_ASSIGNMENTS: Array<{ tenant: string; policies: string[] }> = [
  { tenant: 'Contoso Academy Trust', policies: ['dfe-cyber-standards', 'cyber-essentials-v3.3'] },
  { tenant: 'Fabrikam Logistics', policies: ['cyber-essentials-v3.3', 'cisa-bod-22-01'] },
  { tenant: 'Northwind Dental', policies: ['cyber-essentials-v3.3'] },
];

/** Windows 10 ESU, year two, as Microsoft sells it to education customers: covered until 13 October 2027. */
const ESU_UNTIL = '2027-10-12';

export async function setUpDemoCompliance(dataSource: DataSource, clock: Clock): Promise<void> {
  if ((await dataSource.getRepository(PolicyAssignment).count()) > 0) return;
  const admin = new ComplianceAdmin(dataSource, TenantScope.allTenants(), clock, { label: 'demo' });
  const tenantId = async (name: string) => (await dataSource.getRepository(Tenant).findOneByOrFail({ name })).id;
  for (const a of DEMO_ASSIGNMENTS) for (const policy of a.policies) await admin.assignPolicy(policy, await tenantId(a.tenant), null);

  const contoso = await tenantId('Contoso Academy Trust');
  const assets = await dataSource.getRepository(Asset).findBy({ tenantId: contoso });
  for (const asset of assets.filter((x) => /windows 10/i.test(x.osName ?? ''))) await admin.setAssetEsu(asset.id, ESU_UNTIL);
  const examServer = assets.find((x) => x.hostname.toLowerCase() === 'cat-srv-006');
  if (examServer) {
    await admin.setAssetClass(examServer.id, 'INTERNET_FACING_SERVER');
    const now = clock.now();
    await admin.createRiskException({
      tenantId: contoso, assetId: examServer.id, owner: 'Head of IT, Contoso Academy Trust',
      reason: 'The exam-board software on this server is certified only on its current build; updates resume when the exam season ends.',
      compensatingControl: 'Inbound traffic restricted to the exam board\'s addresses; daily offline backup.',
      validFrom: now, expiresAt: new Date(now.getTime() + 30 * 86_400_000),
    });
  }
}
