import { MigrationInterface, QueryRunner } from 'typeorm';

export class ComplianceFoundations1796465252960 implements MigrationInterface {
  name = 'ComplianceFoundations1796465252960';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "advisory" ("id" varchar(36) PRIMARY KEY NOT NULL, "authority" varchar(64) NOT NULL, "reference" varchar(128) NOT NULL, "title" varchar(500) NOT NULL, "noticeAt" datetime(3) NOT NULL, "cveIds" text NOT NULL, "kbs" text NOT NULL, "url" text, "createdAt" datetime(3) NOT NULL, "createdBy" varchar(200) NOT NULL)`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_advisory_reference" ON "advisory" ("authority", "reference") `);
    await queryRunner.query(`CREATE TABLE "compliance_policy" ("id" varchar(36) PRIMARY KEY NOT NULL, "policyKey" varchar(64) NOT NULL, "version" integer NOT NULL, "name" varchar(200) NOT NULL, "definition" text NOT NULL, "createdAt" datetime(3) NOT NULL, "createdBy" varchar(200) NOT NULL)`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_compliance_policy_key_version" ON "compliance_policy" ("policyKey", "version") `);
    await queryRunner.query(`CREATE TABLE "policy_assignment" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "siteId" varchar(36), "policyKey" varchar(64) NOT NULL, "assignedAt" datetime(3) NOT NULL, "assignedBy" varchar(200) NOT NULL, "removedAt" datetime(3), "removedBy" varchar(200))`);
    await queryRunner.query(`CREATE INDEX "ix_policy_assignment_tenant" ON "policy_assignment" ("tenantId", "policyKey") `);
    await queryRunner.query(`CREATE TABLE "risk_exception" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "siteId" varchar(36), "assetId" varchar(36), "updateId" varchar(36), "cveId" varchar(32), "policyKey" varchar(64), "owner" varchar(200) NOT NULL, "reason" text NOT NULL, "compensatingControl" text, "validFrom" datetime(3) NOT NULL, "expiresAt" datetime(3) NOT NULL, "createdAt" datetime(3) NOT NULL, "createdBy" varchar(200) NOT NULL, "revokedAt" datetime(3), "revokedBy" varchar(200))`);
    await queryRunner.query(`CREATE INDEX "ix_risk_exception_tenant" ON "risk_exception" ("tenantId", "expiresAt") `);
    await queryRunner.query(`DROP INDEX "ix_asset_site"`);
    await queryRunner.query(`DROP INDEX "ix_asset_last_seen"`);
    await queryRunner.query(`DROP INDEX "ix_asset_hostname"`);
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_os"`);
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_created"`);
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_last_seen"`);
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_hostname"`);
    await queryRunner.query(`CREATE TABLE "temporary_asset" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "siteId" varchar(36), "hostname" varchar(255) NOT NULL, "fqdn" varchar(255), "serialNumber" varchar(128), "osName" varchar(128), "osVersion" varchar(64), "osBuild" varchar(64), "status" varchar(16) NOT NULL, "lastSeenAt" datetime(3) NOT NULL, "createdAt" datetime(3) NOT NULL, "updatedAt" datetime(3) NOT NULL, "manufacturer" varchar(128), "model" varchar(128), "assetClassOverride" varchar(32), "esuUntil" date, CONSTRAINT "fk_asset_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_asset_site" FOREIGN KEY ("siteId") REFERENCES "site" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_asset"("id", "tenantId", "siteId", "hostname", "fqdn", "serialNumber", "osName", "osVersion", "osBuild", "status", "lastSeenAt", "createdAt", "updatedAt", "manufacturer", "model") SELECT "id", "tenantId", "siteId", "hostname", "fqdn", "serialNumber", "osName", "osVersion", "osBuild", "status", "lastSeenAt", "createdAt", "updatedAt", "manufacturer", "model" FROM "asset"`);
    await queryRunner.query(`DROP TABLE "asset"`);
    await queryRunner.query(`ALTER TABLE "temporary_asset" RENAME TO "asset"`);
    await queryRunner.query(`CREATE INDEX "ix_asset_site" ON "asset" ("siteId") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_last_seen" ON "asset" ("lastSeenAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_hostname" ON "asset" ("hostname", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_tenant_os" ON "asset" ("tenantId", "osName") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_tenant_created" ON "asset" ("tenantId", "createdAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_tenant_last_seen" ON "asset" ("tenantId", "lastSeenAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_tenant_hostname" ON "asset" ("tenantId", "hostname", "id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_hostname"`);
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_last_seen"`);
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_created"`);
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_os"`);
    await queryRunner.query(`DROP INDEX "ix_asset_hostname"`);
    await queryRunner.query(`DROP INDEX "ix_asset_last_seen"`);
    await queryRunner.query(`DROP INDEX "ix_asset_site"`);
    await queryRunner.query(`CREATE TABLE "temporary_asset" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "siteId" varchar(36), "hostname" varchar(255) NOT NULL, "fqdn" varchar(255), "serialNumber" varchar(128), "osName" varchar(128), "osVersion" varchar(64), "osBuild" varchar(64), "status" varchar(16) NOT NULL, "lastSeenAt" datetime(3) NOT NULL, "createdAt" datetime(3) NOT NULL, "updatedAt" datetime(3) NOT NULL, "manufacturer" varchar(128), "model" varchar(128), CONSTRAINT "fk_asset_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_asset_site" FOREIGN KEY ("siteId") REFERENCES "site" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_asset"("id", "tenantId", "siteId", "hostname", "fqdn", "serialNumber", "osName", "osVersion", "osBuild", "status", "lastSeenAt", "createdAt", "updatedAt", "manufacturer", "model") SELECT "id", "tenantId", "siteId", "hostname", "fqdn", "serialNumber", "osName", "osVersion", "osBuild", "status", "lastSeenAt", "createdAt", "updatedAt", "manufacturer", "model" FROM "asset"`);
    await queryRunner.query(`DROP TABLE "asset"`);
    await queryRunner.query(`ALTER TABLE "temporary_asset" RENAME TO "asset"`);
    await queryRunner.query(`CREATE INDEX "ix_asset_tenant_hostname" ON "asset" ("tenantId", "hostname", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_tenant_last_seen" ON "asset" ("tenantId", "lastSeenAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_tenant_created" ON "asset" ("tenantId", "createdAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_tenant_os" ON "asset" ("tenantId", "osName") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_hostname" ON "asset" ("hostname", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_last_seen" ON "asset" ("lastSeenAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_site" ON "asset" ("siteId") `);
    await queryRunner.query(`DROP INDEX "ix_risk_exception_tenant"`);
    await queryRunner.query(`DROP TABLE "risk_exception"`);
    await queryRunner.query(`DROP INDEX "ix_policy_assignment_tenant"`);
    await queryRunner.query(`DROP TABLE "policy_assignment"`);
    await queryRunner.query(`DROP INDEX "uq_compliance_policy_key_version"`);
    await queryRunner.query(`DROP TABLE "compliance_policy"`);
    await queryRunner.query(`DROP INDEX "uq_advisory_reference"`);
    await queryRunner.query(`DROP TABLE "advisory"`);
  }
}
