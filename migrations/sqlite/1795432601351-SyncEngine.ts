import { MigrationInterface, QueryRunner } from 'typeorm';

export class SyncEngine1795432601351 implements MigrationInterface {
  name = 'SyncEngine1795432601351';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "sync_lock" ("connectorInstanceId" varchar(36) PRIMARY KEY NOT NULL, "token" varchar(36) NOT NULL, "holder" varchar(255) NOT NULL, "acquiredAt" datetime(3) NOT NULL, "expiresAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`DROP INDEX "uq_source_device_external"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_asset"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_aad"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_serial"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_hostname"`);
    await queryRunner.query(`CREATE TABLE "temporary_source_device" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "assetId" varchar(36), "externalId" varchar(255) NOT NULL, "hostname" varchar(255), "fqdn" varchar(255), "serialNumber" varchar(128), "azureAdDeviceId" varchar(64), "smbiosUuid" varchar(64), "macAddresses" text NOT NULL, "osName" varchar(128), "osVersion" varchar(64), "osBuild" varchar(64), "lastCheckInAt" datetime(3), "vendorSite" varchar(255), "payloadDigest" varchar(64), "matchedBy" varchar(512), "stale" boolean NOT NULL, "firstSeenAt" datetime(3) NOT NULL, "lastSeenAt" datetime(3) NOT NULL, "pinnedAssetId" varchar(36), "forbiddenAssetIds" text, CONSTRAINT "fk_source_device_asset" FOREIGN KEY ("assetId") REFERENCES "asset" ("id") ON DELETE SET NULL ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_connector" FOREIGN KEY ("connectorInstanceId") REFERENCES "connector_instance" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_source_device"("id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt") SELECT "id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt" FROM "source_device"`);
    await queryRunner.query(`DROP TABLE "source_device"`);
    await queryRunner.query(`ALTER TABLE "temporary_source_device" RENAME TO "source_device"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_source_device_external" ON "source_device" ("connectorInstanceId", "externalId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_asset" ON "source_device" ("assetId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_aad" ON "source_device" ("tenantId", "azureAdDeviceId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_serial" ON "source_device" ("tenantId", "serialNumber") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_hostname" ON "source_device" ("tenantId", "hostname") `);
    await queryRunner.query(`DROP INDEX "ix_sync_run_connector_started"`);
    await queryRunner.query(`DROP INDEX "ix_sync_run_tenant_started"`);
    await queryRunner.query(`CREATE TABLE "temporary_sync_run" ("id" varchar(36) PRIMARY KEY NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "tenantId" varchar(36), "status" varchar(16) NOT NULL, "startedAt" datetime(3) NOT NULL, "finishedAt" datetime(3), "counts" text NOT NULL, "errorMessage" text, "mode" varchar(16) NOT NULL, "trigger" varchar(16) NOT NULL, "triggeredBy" varchar(200), "errorKind" varchar(32), CONSTRAINT "fk_sync_run_connector" FOREIGN KEY ("connectorInstanceId") REFERENCES "connector_instance" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_sync_run"("id", "connectorInstanceId", "tenantId", "status", "startedAt", "finishedAt", "counts", "errorMessage") SELECT "id", "connectorInstanceId", "tenantId", "status", "startedAt", "finishedAt", "counts", "errorMessage" FROM "sync_run"`);
    await queryRunner.query(`DROP TABLE "sync_run"`);
    await queryRunner.query(`ALTER TABLE "temporary_sync_run" RENAME TO "sync_run"`);
    await queryRunner.query(`CREATE INDEX "ix_sync_run_connector_started" ON "sync_run" ("connectorInstanceId", "startedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_sync_run_tenant_started" ON "sync_run" ("tenantId", "startedAt", "id") `);
    await queryRunner.query(`DROP INDEX "uq_source_device_external"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_asset"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_aad"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_serial"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_hostname"`);
    await queryRunner.query(`CREATE TABLE "temporary_source_device" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "assetId" varchar(36), "externalId" varchar(255) NOT NULL, "hostname" varchar(255), "fqdn" varchar(255), "serialNumber" varchar(128), "azureAdDeviceId" varchar(64), "smbiosUuid" varchar(64), "macAddresses" text NOT NULL, "osName" varchar(128), "osVersion" varchar(64), "osBuild" varchar(64), "lastCheckInAt" datetime(3), "vendorSite" varchar(255), "payloadDigest" varchar(64), "matchedBy" text, "stale" boolean NOT NULL, "firstSeenAt" datetime(3) NOT NULL, "lastSeenAt" datetime(3) NOT NULL, "pinnedAssetId" varchar(36), "forbiddenAssetIds" text, CONSTRAINT "fk_source_device_asset" FOREIGN KEY ("assetId") REFERENCES "asset" ("id") ON DELETE SET NULL ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_connector" FOREIGN KEY ("connectorInstanceId") REFERENCES "connector_instance" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_source_device"("id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds") SELECT "id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds" FROM "source_device"`);
    await queryRunner.query(`DROP TABLE "source_device"`);
    await queryRunner.query(`ALTER TABLE "temporary_source_device" RENAME TO "source_device"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_source_device_external" ON "source_device" ("connectorInstanceId", "externalId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_asset" ON "source_device" ("assetId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_aad" ON "source_device" ("tenantId", "azureAdDeviceId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_serial" ON "source_device" ("tenantId", "serialNumber") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_hostname" ON "source_device" ("tenantId", "hostname") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Rebuilt the way up() rebuilds (new table, copy, drop, rename): TypeORM reverts with foreign keys on, and the
    // generated rename-first order would rewrite other tables' references to the temporary name and then drop it.
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_hostname"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_serial"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_aad"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_asset"`);
    await queryRunner.query(`DROP INDEX "uq_source_device_external"`);
    await queryRunner.query(`CREATE TABLE "temporary_source_device" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "assetId" varchar(36), "externalId" varchar(255) NOT NULL, "hostname" varchar(255), "fqdn" varchar(255), "serialNumber" varchar(128), "azureAdDeviceId" varchar(64), "smbiosUuid" varchar(64), "macAddresses" text NOT NULL, "osName" varchar(128), "osVersion" varchar(64), "osBuild" varchar(64), "lastCheckInAt" datetime(3), "vendorSite" varchar(255), "payloadDigest" varchar(64), "matchedBy" varchar(512), "stale" boolean NOT NULL, "firstSeenAt" datetime(3) NOT NULL, "lastSeenAt" datetime(3) NOT NULL, "pinnedAssetId" varchar(36), "forbiddenAssetIds" text, CONSTRAINT "fk_source_device_asset" FOREIGN KEY ("assetId") REFERENCES "asset" ("id") ON DELETE SET NULL ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_connector" FOREIGN KEY ("connectorInstanceId") REFERENCES "connector_instance" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_source_device"("id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds") SELECT "id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds" FROM "source_device"`);
    await queryRunner.query(`DROP TABLE "source_device"`);
    await queryRunner.query(`ALTER TABLE "temporary_source_device" RENAME TO "source_device"`);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_hostname" ON "source_device" ("tenantId", "hostname") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_serial" ON "source_device" ("tenantId", "serialNumber") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_aad" ON "source_device" ("tenantId", "azureAdDeviceId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_asset" ON "source_device" ("assetId") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_source_device_external" ON "source_device" ("connectorInstanceId", "externalId") `);
    await queryRunner.query(`DROP INDEX "ix_sync_run_tenant_started"`);
    await queryRunner.query(`DROP INDEX "ix_sync_run_connector_started"`);
    await queryRunner.query(`CREATE TABLE "temporary_sync_run" ("id" varchar(36) PRIMARY KEY NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "tenantId" varchar(36), "status" varchar(16) NOT NULL, "startedAt" datetime(3) NOT NULL, "finishedAt" datetime(3), "counts" text NOT NULL, "errorMessage" text, CONSTRAINT "fk_sync_run_connector" FOREIGN KEY ("connectorInstanceId") REFERENCES "connector_instance" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_sync_run"("id", "connectorInstanceId", "tenantId", "status", "startedAt", "finishedAt", "counts", "errorMessage") SELECT "id", "connectorInstanceId", "tenantId", "status", "startedAt", "finishedAt", "counts", "errorMessage" FROM "sync_run"`);
    await queryRunner.query(`DROP TABLE "sync_run"`);
    await queryRunner.query(`ALTER TABLE "temporary_sync_run" RENAME TO "sync_run"`);
    await queryRunner.query(`CREATE INDEX "ix_sync_run_tenant_started" ON "sync_run" ("tenantId", "startedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_sync_run_connector_started" ON "sync_run" ("connectorInstanceId", "startedAt", "id") `);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_hostname"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_serial"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_aad"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_asset"`);
    await queryRunner.query(`DROP INDEX "uq_source_device_external"`);
    await queryRunner.query(`CREATE TABLE "temporary_source_device" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "assetId" varchar(36), "externalId" varchar(255) NOT NULL, "hostname" varchar(255), "fqdn" varchar(255), "serialNumber" varchar(128), "azureAdDeviceId" varchar(64), "smbiosUuid" varchar(64), "macAddresses" text NOT NULL, "osName" varchar(128), "osVersion" varchar(64), "osBuild" varchar(64), "lastCheckInAt" datetime(3), "vendorSite" varchar(255), "payloadDigest" varchar(64), "matchedBy" varchar(512), "stale" boolean NOT NULL, "firstSeenAt" datetime(3) NOT NULL, "lastSeenAt" datetime(3) NOT NULL, CONSTRAINT "fk_source_device_asset" FOREIGN KEY ("assetId") REFERENCES "asset" ("id") ON DELETE SET NULL ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_connector" FOREIGN KEY ("connectorInstanceId") REFERENCES "connector_instance" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_source_device"("id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt") SELECT "id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt" FROM "source_device"`);
    await queryRunner.query(`DROP TABLE "source_device"`);
    await queryRunner.query(`ALTER TABLE "temporary_source_device" RENAME TO "source_device"`);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_hostname" ON "source_device" ("tenantId", "hostname") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_serial" ON "source_device" ("tenantId", "serialNumber") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_aad" ON "source_device" ("tenantId", "azureAdDeviceId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_asset" ON "source_device" ("assetId") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_source_device_external" ON "source_device" ("connectorInstanceId", "externalId") `);
    await queryRunner.query(`DROP TABLE "sync_lock"`);
  }
}
