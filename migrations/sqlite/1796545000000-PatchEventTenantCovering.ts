import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * ix_patch_event_tenant_observed carries every column the CSV export's streamed statement reads
 * (PatchHistorySource's STREAMED), after the same (tenantId, observedAt, id) it ordered by, so the export reads the
 * index alone instead of the table row of each event. It replaces the narrower index rather than sitting beside it:
 * the same prefix serves every statement that used that one, and patch_event takes one index write per event, not two.
 */
export class PatchEventTenantCovering1796545000000 implements MigrationInterface {
  name = 'PatchEventTenantCovering1796545000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_patch_event_tenant_observed"`);
    await queryRunner.query(
      `CREATE INDEX "ix_patch_event_tenant_observed" ON "patch_event" ("tenantId", "observedAt", "id", "reportedAt", "fromState", "toState", "syncRunId", "updateId", "sourceDeviceId", "evidence") `,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_patch_event_tenant_observed"`);
    await queryRunner.query(`CREATE INDEX "ix_patch_event_tenant_observed" ON "patch_event" ("tenantId", "observedAt", "id") `);
  }
}
