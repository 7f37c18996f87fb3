import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * patch_state.lastEventAt, firstOpenAt and maxEventAt: a summary of each (source, update)'s patch events, kept by the
 * sync where it writes them, so a compliance question about now reads the current states instead of replaying every
 * event (src/compliance/current-state.ts). The index (tenantId, maxEventAt) answers the two probes that decide it.
 *
 * Existing rows are summarised from their events. A row is left without a summary (NULL: its tenant's questions keep
 * replaying) when its events do not end in its current state, when it has none, or when some were recorded under
 * another tenant (a device moved between clients): there the current row does not stand for its history.
 */
export class PatchStateEventSummary1796533907491 implements MigrationInterface {
  name = 'PatchStateEventSummary1796533907491';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Nullable columns need no table rebuild on SQLite.
    await queryRunner.query(`ALTER TABLE "patch_state" ADD COLUMN "lastEventAt" datetime(3)`);
    await queryRunner.query(`ALTER TABLE "patch_state" ADD COLUMN "firstOpenAt" datetime(3)`);
    await queryRunner.query(`ALTER TABLE "patch_state" ADD COLUMN "maxEventAt" datetime(3)`);
    await queryRunner.query(
      `UPDATE "patch_state" SET "lastEventAt" = s.lastEventAt, "firstOpenAt" = s.firstOpenAt, "maxEventAt" = s.maxEventAt
       FROM (SELECT e."sourceDeviceId" AS sid, e."updateId" AS uid, MAX(CASE WHEN e.rn = 1 THEN e.at END) AS lastEventAt,
         MAX(CASE WHEN e.rn = 1 THEN e."toState" END) AS lastState, MIN(CASE WHEN e."toState" IN ('MISSING', 'FAILED', 'PENDING_REBOOT') THEN e.at END) AS firstOpenAt,
         MAX(e.at) AS maxEventAt, MIN(e."tenantId") AS minTenant, MAX(e."tenantId") AS maxTenant
       FROM (SELECT pe."sourceDeviceId", pe."updateId", pe."toState", pe."tenantId", COALESCE(pe."reportedAt", pe."observedAt") AS at,
           ROW_NUMBER() OVER (PARTITION BY pe."sourceDeviceId", pe."updateId" ORDER BY pe."observedAt" DESC, pe."id" DESC) AS rn
         FROM "patch_event" pe) e
       GROUP BY e."sourceDeviceId", e."updateId") s
       WHERE s.sid = "patch_state"."sourceDeviceId" AND s.uid = "patch_state"."updateId" AND s.lastState = "patch_state"."state"
         AND s.minTenant = "patch_state"."tenantId" AND s.maxTenant = "patch_state"."tenantId"`,
    );
    await queryRunner.query(`CREATE INDEX "ix_patch_state_tenant_event" ON "patch_state" ("tenantId", "maxEventAt") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_patch_state_tenant_event"`);
    await queryRunner.query(`ALTER TABLE "patch_state" DROP COLUMN "maxEventAt"`);
    await queryRunner.query(`ALTER TABLE "patch_state" DROP COLUMN "firstOpenAt"`);
    await queryRunner.query(`ALTER TABLE "patch_state" DROP COLUMN "lastEventAt"`);
  }
}
