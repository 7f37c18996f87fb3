import { MigrationInterface, QueryRunner } from 'typeorm';

export class WsusApprovals1795440915178 implements MigrationInterface {
  name = 'WsusApprovals1795440915178';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "update_approval" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "updateId" varchar(36) NOT NULL, "externalId" varchar(255) NOT NULL, "groupName" varchar(255) NOT NULL, "action" varchar(32) NOT NULL, "approvedAt" datetime(3), "approvedBy" varchar(255), "recordedAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "ix_update_approval_tenant" ON "update_approval" ("tenantId", "approvedAt") `);
    await queryRunner.query(`CREATE INDEX "ix_update_approval_update" ON "update_approval" ("updateId", "approvedAt") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_update_approval_external" ON "update_approval" ("connectorInstanceId", "externalId") `);
    await queryRunner.query(`DROP INDEX "ix_update_approval_tenant"`);
    await queryRunner.query(`DROP INDEX "ix_update_approval_update"`);
    await queryRunner.query(`DROP INDEX "uq_update_approval_external"`);
    await queryRunner.query(`CREATE TABLE "temporary_update_approval" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "updateId" varchar(36) NOT NULL, "externalId" varchar(255) NOT NULL, "groupName" varchar(255) NOT NULL, "action" varchar(32) NOT NULL, "approvedAt" datetime(3), "approvedBy" varchar(255), "recordedAt" datetime(3) NOT NULL, CONSTRAINT "fk_update_approval_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_update_approval"("id", "tenantId", "connectorInstanceId", "updateId", "externalId", "groupName", "action", "approvedAt", "approvedBy", "recordedAt") SELECT "id", "tenantId", "connectorInstanceId", "updateId", "externalId", "groupName", "action", "approvedAt", "approvedBy", "recordedAt" FROM "update_approval"`);
    await queryRunner.query(`DROP TABLE "update_approval"`);
    await queryRunner.query(`ALTER TABLE "temporary_update_approval" RENAME TO "update_approval"`);
    await queryRunner.query(`CREATE INDEX "ix_update_approval_tenant" ON "update_approval" ("tenantId", "approvedAt") `);
    await queryRunner.query(`CREATE INDEX "ix_update_approval_update" ON "update_approval" ("updateId", "approvedAt") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_update_approval_external" ON "update_approval" ("connectorInstanceId", "externalId") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_update_approval_external"`);
    await queryRunner.query(`DROP INDEX "ix_update_approval_update"`);
    await queryRunner.query(`DROP INDEX "ix_update_approval_tenant"`);
    await queryRunner.query(`CREATE TABLE "temporary_update_approval" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "updateId" varchar(36) NOT NULL, "externalId" varchar(255) NOT NULL, "groupName" varchar(255) NOT NULL, "action" varchar(32) NOT NULL, "approvedAt" datetime(3), "approvedBy" varchar(255), "recordedAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`INSERT INTO "temporary_update_approval"("id", "tenantId", "connectorInstanceId", "updateId", "externalId", "groupName", "action", "approvedAt", "approvedBy", "recordedAt") SELECT "id", "tenantId", "connectorInstanceId", "updateId", "externalId", "groupName", "action", "approvedAt", "approvedBy", "recordedAt" FROM "update_approval"`);
    await queryRunner.query(`DROP TABLE "update_approval"`);
    await queryRunner.query(`ALTER TABLE "temporary_update_approval" RENAME TO "update_approval"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_update_approval_external" ON "update_approval" ("connectorInstanceId", "externalId") `);
    await queryRunner.query(`CREATE INDEX "ix_update_approval_update" ON "update_approval" ("updateId", "approvedAt") `);
    await queryRunner.query(`CREATE INDEX "ix_update_approval_tenant" ON "update_approval" ("tenantId", "approvedAt") `);
    await queryRunner.query(`DROP INDEX "uq_update_approval_external"`);
    await queryRunner.query(`DROP INDEX "ix_update_approval_update"`);
    await queryRunner.query(`DROP INDEX "ix_update_approval_tenant"`);
    await queryRunner.query(`DROP TABLE "update_approval"`);
  }
}
