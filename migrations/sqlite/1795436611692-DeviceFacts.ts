import { MigrationInterface, QueryRunner } from 'typeorm';

export class DeviceFacts1795436611692 implements MigrationInterface {
  name = 'DeviceFacts1795436611692';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_hostname"`);
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_last_seen"`);
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_created"`);
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_os"`);
    await queryRunner.query(`DROP INDEX "ix_asset_hostname"`);
    await queryRunner.query(`DROP INDEX "ix_asset_last_seen"`);
    await queryRunner.query(`DROP INDEX "ix_asset_site"`);
    await queryRunner.query(`CREATE TABLE "temporary_asset" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "siteId" varchar(36), "hostname" varchar(255) NOT NULL, "fqdn" varchar(255), "serialNumber" varchar(128), "osName" varchar(128), "osVersion" varchar(64), "osBuild" varchar(64), "status" varchar(16) NOT NULL, "lastSeenAt" datetime(3) NOT NULL, "createdAt" datetime(3) NOT NULL, "updatedAt" datetime(3) NOT NULL, "manufacturer" varchar(128), "model" varchar(128), CONSTRAINT "fk_asset_site" FOREIGN KEY ("siteId") REFERENCES "site" ("id") ON DELETE SET NULL ON UPDATE NO ACTION, CONSTRAINT "fk_asset_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_asset"("id", "tenantId", "siteId", "hostname", "fqdn", "serialNumber", "osName", "osVersion", "osBuild", "status", "lastSeenAt", "createdAt", "updatedAt") SELECT "id", "tenantId", "siteId", "hostname", "fqdn", "serialNumber", "osName", "osVersion", "osBuild", "status", "lastSeenAt", "createdAt", "updatedAt" FROM "asset"`);
    await queryRunner.query(`DROP TABLE "asset"`);
    await queryRunner.query(`ALTER TABLE "temporary_asset" RENAME TO "asset"`);
    await queryRunner.query(`CREATE INDEX "ix_asset_tenant_hostname" ON "asset" ("tenantId", "hostname", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_tenant_last_seen" ON "asset" ("tenantId", "lastSeenAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_tenant_created" ON "asset" ("tenantId", "createdAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_tenant_os" ON "asset" ("tenantId", "osName") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_hostname" ON "asset" ("hostname", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_last_seen" ON "asset" ("lastSeenAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_asset_site" ON "asset" ("siteId") `);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_hostname"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_serial"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_aad"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_asset"`);
    await queryRunner.query(`DROP INDEX "uq_source_device_external"`);
    await queryRunner.query(`CREATE TABLE "temporary_source_device" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "assetId" varchar(36), "externalId" varchar(255) NOT NULL, "hostname" varchar(255), "fqdn" varchar(255), "serialNumber" varchar(128), "azureAdDeviceId" varchar(64), "smbiosUuid" varchar(64), "macAddresses" text NOT NULL, "osName" varchar(128), "osVersion" varchar(64), "osBuild" varchar(64), "lastCheckInAt" datetime(3), "vendorSite" varchar(255), "payloadDigest" varchar(64), "matchedBy" text, "stale" boolean NOT NULL, "firstSeenAt" datetime(3) NOT NULL, "lastSeenAt" datetime(3) NOT NULL, "pinnedAssetId" varchar(36), "forbiddenAssetIds" text, "manufacturer" varchar(128), "model" varchar(128), "ownership" varchar(16), "inactive" boolean NOT NULL, "attributes" text, CONSTRAINT "fk_source_device_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_connector" FOREIGN KEY ("connectorInstanceId") REFERENCES "connector_instance" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_asset" FOREIGN KEY ("assetId") REFERENCES "asset" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_source_device"("id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds", "inactive") SELECT "id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds", 0 FROM "source_device"`);
    await queryRunner.query(`DROP TABLE "source_device"`);
    await queryRunner.query(`ALTER TABLE "temporary_source_device" RENAME TO "source_device"`);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_hostname" ON "source_device" ("tenantId", "hostname") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_serial" ON "source_device" ("tenantId", "serialNumber") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_aad" ON "source_device" ("tenantId", "azureAdDeviceId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_asset" ON "source_device" ("assetId") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_source_device_external" ON "source_device" ("connectorInstanceId", "externalId") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Rebuilt the way up() rebuilds (new table, copy, drop, rename): TypeORM reverts with foreign keys on, and the
    // generated rename-first order would rewrite other tables' references to the temporary name and then drop it.
    await queryRunner.query(`DROP INDEX "uq_source_device_external"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_asset"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_aad"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_serial"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_hostname"`);
    await queryRunner.query(`CREATE TABLE "temporary_source_device" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "assetId" varchar(36), "externalId" varchar(255) NOT NULL, "hostname" varchar(255), "fqdn" varchar(255), "serialNumber" varchar(128), "azureAdDeviceId" varchar(64), "smbiosUuid" varchar(64), "macAddresses" text NOT NULL, "osName" varchar(128), "osVersion" varchar(64), "osBuild" varchar(64), "lastCheckInAt" datetime(3), "vendorSite" varchar(255), "payloadDigest" varchar(64), "matchedBy" text, "stale" boolean NOT NULL, "firstSeenAt" datetime(3) NOT NULL, "lastSeenAt" datetime(3) NOT NULL, "pinnedAssetId" varchar(36), "forbiddenAssetIds" text, CONSTRAINT "fk_source_device_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_connector" FOREIGN KEY ("connectorInstanceId") REFERENCES "connector_instance" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_asset" FOREIGN KEY ("assetId") REFERENCES "asset" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_source_device"("id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds") SELECT "id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds" FROM "source_device"`);
    await queryRunner.query(`DROP TABLE "source_device"`);
    await queryRunner.query(`ALTER TABLE "temporary_source_device" RENAME TO "source_device"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_source_device_external" ON "source_device" ("connectorInstanceId", "externalId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_asset" ON "source_device" ("assetId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_aad" ON "source_device" ("tenantId", "azureAdDeviceId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_serial" ON "source_device" ("tenantId", "serialNumber") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_hostname" ON "source_device" ("tenantId", "hostname") `);
    await queryRunner.query(`DROP INDEX "ix_asset_site"`);
    await queryRunner.query(`DROP INDEX "ix_asset_last_seen"`);
    await queryRunner.query(`DROP INDEX "ix_asset_hostname"`);
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_os"`);
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_created"`);
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_last_seen"`);
    await queryRunner.query(`DROP INDEX "ix_asset_tenant_hostname"`);
    await queryRunner.query(`CREATE TABLE "temporary_asset" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "siteId" varchar(36), "hostname" varchar(255) NOT NULL, "fqdn" varchar(255), "serialNumber" varchar(128), "osName" varchar(128), "osVersion" varchar(64), "osBuild" varchar(64), "status" varchar(16) NOT NULL, "lastSeenAt" datetime(3) NOT NULL, "createdAt" datetime(3) NOT NULL, "updatedAt" datetime(3) NOT NULL, CONSTRAINT "fk_asset_site" FOREIGN KEY ("siteId") REFERENCES "site" ("id") ON DELETE SET NULL ON UPDATE NO ACTION, CONSTRAINT "fk_asset_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_asset"("id", "tenantId", "siteId", "hostname", "fqdn", "serialNumber", "osName", "osVersion", "osBuild", "status", "lastSeenAt", "createdAt", "updatedAt") SELECT "id", "tenantId", "siteId", "hostname", "fqdn", "serialNumber", "osName", "osVersion", "osBuild", "status", "lastSeenAt", "createdAt", "updatedAt" FROM "asset"`);
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
}
