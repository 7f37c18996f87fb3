import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * patch_event.evidence: how the new state was known, recorded with the event so the patch history report need not
 * join patch_state per row. Events stored before it take their state's current evidence (DERIVED when the state is
 * gone), which is what the report showed for them until now. Adding the column rebuilds the table on SQLite, and
 * dropping the table drops the append-only triggers of AuditTrail1796474129843 with it: they are created again, as
 * they were, after the copy (a migration keeps its own text rather than importing an older one's).
 *
 * Replaces ix_patch_state_tenant_state (tenantId, state, changedAt, id) and ix_patch_state_changed (changedAt, id) by
 * ix_patch_state_tenant_changed (tenantId, changedAt, id): the patchStates page of one tenant walks it in order with or
 * without a state filter; the page over every tenant, the only one the second served, sorts (see the entity).
 */
const APPEND_ONLY_TRIGGERS: Array<[string, string]> = [
  ['trg_patch_event_no_update', `BEFORE UPDATE ON "patch_event" BEGIN SELECT RAISE(ABORT, 'patch_event is append-only: UPDATE refused'); END`],
  [
    'trg_patch_event_no_delete',
    `BEFORE DELETE ON "patch_event" WHEN NOT EXISTS (SELECT 1 FROM "audit_prune_permit") BEGIN SELECT RAISE(ABORT, 'patch_event is append-only: DELETE refused (retention: patchgraph audit prune)'); END`,
  ],
];

export class PatchEventEvidence1796499183511 implements MigrationInterface {
  name = 'PatchEventEvidence1796499183511';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_patch_state_changed"`);
    await queryRunner.query(`DROP INDEX "ix_patch_state_tenant_state"`);
    await queryRunner.query(`CREATE INDEX "ix_patch_state_tenant_changed" ON "patch_state" ("tenantId", "changedAt", "id") `);
    await queryRunner.query(`DROP INDEX "ix_patch_event_run"`);
    await queryRunner.query(`DROP INDEX "ix_patch_event_source_update"`);
    await queryRunner.query(`DROP INDEX "ix_patch_event_asset_observed"`);
    await queryRunner.query(`DROP INDEX "ix_patch_event_tenant_observed"`);
    await queryRunner.query(`DROP INDEX "ix_patch_event_update"`);
    await queryRunner.query(`CREATE TABLE "temporary_patch_event" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "assetId" varchar(36) NOT NULL, "sourceDeviceId" varchar(36) NOT NULL, "updateId" varchar(36) NOT NULL, "syncRunId" varchar(36), "fromState" varchar(16), "toState" varchar(16) NOT NULL, "reportedAt" datetime(3), "observedAt" datetime(3) NOT NULL, "evidence" varchar(16) NOT NULL, CONSTRAINT "fk_patch_event_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_patch_event"("id", "tenantId", "assetId", "sourceDeviceId", "updateId", "syncRunId", "fromState", "toState", "reportedAt", "observedAt", "evidence") SELECT pe."id", pe."tenantId", pe."assetId", pe."sourceDeviceId", pe."updateId", pe."syncRunId", pe."fromState", pe."toState", pe."reportedAt", pe."observedAt", COALESCE((SELECT ps."evidence" FROM "patch_state" ps WHERE ps."sourceDeviceId" = pe."sourceDeviceId" AND ps."updateId" = pe."updateId"), 'DERIVED') FROM "patch_event" pe`);
    await queryRunner.query(`DROP TABLE "patch_event"`);
    await queryRunner.query(`ALTER TABLE "temporary_patch_event" RENAME TO "patch_event"`);
    await queryRunner.query(`CREATE INDEX "ix_patch_event_run" ON "patch_event" ("syncRunId", "tenantId") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_event_source_update" ON "patch_event" ("sourceDeviceId", "updateId", "observedAt") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_event_asset_observed" ON "patch_event" ("assetId", "observedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_event_tenant_observed" ON "patch_event" ("tenantId", "observedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_event_update" ON "patch_event" ("updateId", "observedAt") `);
    for (const [name, body] of APPEND_ONLY_TRIGGERS) await queryRunner.query(`CREATE TRIGGER "${name}" ${body}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_patch_event_update"`);
    await queryRunner.query(`DROP INDEX "ix_patch_event_tenant_observed"`);
    await queryRunner.query(`DROP INDEX "ix_patch_event_asset_observed"`);
    await queryRunner.query(`DROP INDEX "ix_patch_event_source_update"`);
    await queryRunner.query(`DROP INDEX "ix_patch_event_run"`);
    await queryRunner.query(`CREATE TABLE "temporary_patch_event" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "assetId" varchar(36) NOT NULL, "sourceDeviceId" varchar(36) NOT NULL, "updateId" varchar(36) NOT NULL, "syncRunId" varchar(36), "fromState" varchar(16), "toState" varchar(16) NOT NULL, "reportedAt" datetime(3), "observedAt" datetime(3) NOT NULL, CONSTRAINT "fk_patch_event_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_patch_event"("id", "tenantId", "assetId", "sourceDeviceId", "updateId", "syncRunId", "fromState", "toState", "reportedAt", "observedAt") SELECT "id", "tenantId", "assetId", "sourceDeviceId", "updateId", "syncRunId", "fromState", "toState", "reportedAt", "observedAt" FROM "patch_event"`);
    await queryRunner.query(`DROP TABLE "patch_event"`);
    await queryRunner.query(`ALTER TABLE "temporary_patch_event" RENAME TO "patch_event"`);
    await queryRunner.query(`CREATE INDEX "ix_patch_event_update" ON "patch_event" ("updateId", "observedAt") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_event_tenant_observed" ON "patch_event" ("tenantId", "observedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_event_asset_observed" ON "patch_event" ("assetId", "observedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_event_source_update" ON "patch_event" ("sourceDeviceId", "updateId", "observedAt") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_event_run" ON "patch_event" ("syncRunId", "tenantId") `);
    for (const [name, body] of APPEND_ONLY_TRIGGERS) await queryRunner.query(`CREATE TRIGGER "${name}" ${body}`);
    await queryRunner.query(`DROP INDEX "ix_patch_state_tenant_changed"`);
    await queryRunner.query(`CREATE INDEX "ix_patch_state_tenant_state" ON "patch_state" ("tenantId", "state", "changedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_state_changed" ON "patch_state" ("changedAt", "id") `);
  }
}
