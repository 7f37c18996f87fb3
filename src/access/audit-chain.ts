import { DataSource } from 'typeorm';
import { ChainVerification, verifyAuditChain } from '../audit/verify-chain';
import { Tenant } from '../entities';
import { ForbiddenError, NotFoundError } from '../errors';
import { TenantScope } from './tenant-scope';

/** Verification of the audit chains the request may see: its tenants', and the MSP-wide one for an all-tenants principal. */
export class AuditChainAccess {
  constructor(private readonly dataSource: DataSource, private readonly scope: TenantScope) {}

  /** tenantId null is the MSP-wide chain. `describe` names the tenant in a NOT_FOUND as the caller gave it. */
  async verify(tenantId: string | null, range: { from?: Date | null; to?: Date | null }, describe: (id: string) => string = (id) => id): Promise<ChainVerification> {
    if (tenantId === null) {
      if (!this.scope.all) throw new ForbiddenError('Only a principal with access to all tenants can verify the MSP-wide audit chain');
    } else if (!this.scope.allows(tenantId) || !(await this.dataSource.getRepository(Tenant).existsBy({ id: tenantId }))) {
      throw new NotFoundError('Tenant', describe(tenantId));
    }
    return verifyAuditChain(this.dataSource, tenantId, range);
  }
}
