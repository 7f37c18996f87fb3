import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The append-only tables refuse UPDATE, and DELETE unless the retention job's permit row exists (it exists only
 * inside that job's transaction). The chain heads are never deleted and only move forward, to the event just
 * appended. A later migration that rebuilds one of these tables on SQLite (TypeORM copies it into a new table)
 * drops its triggers with it and must create them again: test/integration/audit-trail.test.ts checks they exist.
 */
const APPEND_ONLY = ['audit_event', 'patch_event', 'patch_posture_event', 'run_event_leaves'];
const TRIGGERS: Array<[string, string]> = [
  ...APPEND_ONLY.flatMap((t): Array<[string, string]> => [
    [`trg_${t}_no_update`, `BEFORE UPDATE ON "${t}" BEGIN SELECT RAISE(ABORT, '${t} is append-only: UPDATE refused'); END`],
    [
      `trg_${t}_no_delete`,
      `BEFORE DELETE ON "${t}" WHEN NOT EXISTS (SELECT 1 FROM "audit_prune_permit") BEGIN SELECT RAISE(ABORT, '${t} is append-only: DELETE refused (retention: patchgraph audit prune)'); END`,
    ],
  ]),
  ['trg_audit_chain_head_no_delete', `BEFORE DELETE ON "audit_chain_head" BEGIN SELECT RAISE(ABORT, 'audit_chain_head rows are never deleted'); END`],
  [
    'trg_audit_chain_head_forward',
    `BEFORE UPDATE ON "audit_chain_head" WHEN NEW."chainKey" <> OLD."chainKey" OR NEW."seq" <> OLD."seq" + 1
      OR NOT EXISTS (SELECT 1 FROM "audit_event" e WHERE e."chainKey" = NEW."chainKey" AND e."seq" = NEW."seq" AND e."hash" = NEW."hash")
      BEGIN SELECT RAISE(ABORT, 'audit_chain_head only moves forward, to the event just appended'); END`,
  ],
];

export class AuditTrail1796474129843 implements MigrationInterface {
  name = 'AuditTrail1796474129843';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "audit_prune_permit" ("id" varchar(36) PRIMARY KEY NOT NULL, "grantedAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`CREATE TABLE "run_event_leaves" ("id" varchar(36) PRIMARY KEY NOT NULL, "syncRunId" varchar(36) NOT NULL, "tenantId" varchar(36) NOT NULL, "chunk" integer NOT NULL, "entries" text NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "ix_run_event_leaves_tenant" ON "run_event_leaves" ("tenantId", "syncRunId") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_run_event_leaves_chunk" ON "run_event_leaves" ("syncRunId", "tenantId", "chunk") `);
    await queryRunner.query(`CREATE INDEX "ix_audit_event_target" ON "audit_event" ("targetType", "targetId") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_event_run" ON "patch_event" ("syncRunId", "tenantId") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_posture_event_run" ON "patch_posture_event" ("syncRunId", "tenantId") `);
    for (const [name, body] of TRIGGERS) await queryRunner.query(`CREATE TRIGGER "${name}" ${body}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [name] of [...TRIGGERS].reverse()) await queryRunner.query(`DROP TRIGGER "${name}"`);
    await queryRunner.query(`DROP INDEX "ix_patch_posture_event_run"`);
    await queryRunner.query(`DROP INDEX "ix_patch_event_run"`);
    await queryRunner.query(`DROP INDEX "ix_audit_event_target"`);
    await queryRunner.query(`DROP INDEX "uq_run_event_leaves_chunk"`);
    await queryRunner.query(`DROP INDEX "ix_run_event_leaves_tenant"`);
    await queryRunner.query(`DROP TABLE "run_event_leaves"`);
    await queryRunner.query(`DROP TABLE "audit_prune_permit"`);
  }
}
