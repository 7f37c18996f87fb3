import { MigrationInterface, QueryRunner } from 'typeorm';

export class DattoSupport1795438836281 implements MigrationInterface {
  name = 'DattoSupport1795438836281';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "patch_posture_event" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "assetId" varchar(36) NOT NULL, "sourceDeviceId" varchar(36) NOT NULL, "syncRunId" varchar(36), "fromStatus" varchar(24), "toStatus" varchar(24) NOT NULL, "approvedPending" integer, "notApproved" integer, "installed" integer, "observedAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "ix_patch_posture_event_tenant" ON "patch_posture_event" ("tenantId", "observedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_posture_event_source" ON "patch_posture_event" ("sourceDeviceId", "observedAt", "id") `);
    await queryRunner.query(`CREATE TABLE "vendor_site" ("id" varchar(36) PRIMARY KEY NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "externalId" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "tenantId" varchar(36), "siteId" varchar(36), "ignored" boolean NOT NULL, "deviceCount" integer NOT NULL, "firstSeenAt" datetime(3) NOT NULL, "lastSeenAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_vendor_site_external" ON "vendor_site" ("connectorInstanceId", "externalId") `);
    await queryRunner.query(`DROP INDEX "uq_source_device_external"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_asset"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_aad"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_serial"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_hostname"`);
    await queryRunner.query(`CREATE TABLE "temporary_source_device" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "assetId" varchar(36), "externalId" varchar(255) NOT NULL, "hostname" varchar(255), "fqdn" varchar(255), "serialNumber" varchar(128), "azureAdDeviceId" varchar(64), "smbiosUuid" varchar(64), "macAddresses" text NOT NULL, "osName" varchar(128), "osVersion" varchar(64), "osBuild" varchar(64), "lastCheckInAt" datetime(3), "vendorSite" varchar(255), "payloadDigest" varchar(64), "matchedBy" text, "stale" boolean NOT NULL, "firstSeenAt" datetime(3) NOT NULL, "lastSeenAt" datetime(3) NOT NULL, "pinnedAssetId" varchar(36), "forbiddenAssetIds" text, "manufacturer" varchar(128), "model" varchar(128), "ownership" varchar(16), "inactive" boolean NOT NULL, "attributes" text, "postureStatus" varchar(24), "postureApprovedPending" integer, "postureNotApproved" integer, "postureInstalled" integer, "vendorSiteId" varchar(255), "revision" varchar(128), CONSTRAINT "fk_source_device_asset" FOREIGN KEY ("assetId") REFERENCES "asset" ("id") ON DELETE SET NULL ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_connector" FOREIGN KEY ("connectorInstanceId") REFERENCES "connector_instance" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_source_device"("id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds", "manufacturer", "model", "ownership", "inactive", "attributes") SELECT "id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds", "manufacturer", "model", "ownership", "inactive", "attributes" FROM "source_device"`);
    await queryRunner.query(`DROP TABLE "source_device"`);
    await queryRunner.query(`ALTER TABLE "temporary_source_device" RENAME TO "source_device"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_source_device_external" ON "source_device" ("connectorInstanceId", "externalId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_asset" ON "source_device" ("assetId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_aad" ON "source_device" ("tenantId", "azureAdDeviceId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_serial" ON "source_device" ("tenantId", "serialNumber") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_hostname" ON "source_device" ("tenantId", "hostname") `);
    await queryRunner.query(`DROP INDEX "ix_patch_posture_event_tenant"`);
    await queryRunner.query(`DROP INDEX "ix_patch_posture_event_source"`);
    await queryRunner.query(`CREATE TABLE "temporary_patch_posture_event" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "assetId" varchar(36) NOT NULL, "sourceDeviceId" varchar(36) NOT NULL, "syncRunId" varchar(36), "fromStatus" varchar(24), "toStatus" varchar(24) NOT NULL, "approvedPending" integer, "notApproved" integer, "installed" integer, "observedAt" datetime(3) NOT NULL, CONSTRAINT "fk_patch_posture_event_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_patch_posture_event"("id", "tenantId", "assetId", "sourceDeviceId", "syncRunId", "fromStatus", "toStatus", "approvedPending", "notApproved", "installed", "observedAt") SELECT "id", "tenantId", "assetId", "sourceDeviceId", "syncRunId", "fromStatus", "toStatus", "approvedPending", "notApproved", "installed", "observedAt" FROM "patch_posture_event"`);
    await queryRunner.query(`DROP TABLE "patch_posture_event"`);
    await queryRunner.query(`ALTER TABLE "temporary_patch_posture_event" RENAME TO "patch_posture_event"`);
    await queryRunner.query(`CREATE INDEX "ix_patch_posture_event_tenant" ON "patch_posture_event" ("tenantId", "observedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_posture_event_source" ON "patch_posture_event" ("sourceDeviceId", "observedAt", "id") `);
    await queryRunner.query(`DROP INDEX "uq_vendor_site_external"`);
    await queryRunner.query(`CREATE TABLE "temporary_vendor_site" ("id" varchar(36) PRIMARY KEY NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "externalId" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "tenantId" varchar(36), "siteId" varchar(36), "ignored" boolean NOT NULL, "deviceCount" integer NOT NULL, "firstSeenAt" datetime(3) NOT NULL, "lastSeenAt" datetime(3) NOT NULL, CONSTRAINT "fk_vendor_site_connector" FOREIGN KEY ("connectorInstanceId") REFERENCES "connector_instance" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_vendor_site_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_vendor_site_site" FOREIGN KEY ("siteId") REFERENCES "site" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_vendor_site"("id", "connectorInstanceId", "externalId", "name", "tenantId", "siteId", "ignored", "deviceCount", "firstSeenAt", "lastSeenAt") SELECT "id", "connectorInstanceId", "externalId", "name", "tenantId", "siteId", "ignored", "deviceCount", "firstSeenAt", "lastSeenAt" FROM "vendor_site"`);
    await queryRunner.query(`DROP TABLE "vendor_site"`);
    await queryRunner.query(`ALTER TABLE "temporary_vendor_site" RENAME TO "vendor_site"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_vendor_site_external" ON "vendor_site" ("connectorInstanceId", "externalId") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_vendor_site_external"`);
    await queryRunner.query(`CREATE TABLE "temporary_vendor_site" ("id" varchar(36) PRIMARY KEY NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "externalId" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "tenantId" varchar(36), "siteId" varchar(36), "ignored" boolean NOT NULL, "deviceCount" integer NOT NULL, "firstSeenAt" datetime(3) NOT NULL, "lastSeenAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`INSERT INTO "temporary_vendor_site"("id", "connectorInstanceId", "externalId", "name", "tenantId", "siteId", "ignored", "deviceCount", "firstSeenAt", "lastSeenAt") SELECT "id", "connectorInstanceId", "externalId", "name", "tenantId", "siteId", "ignored", "deviceCount", "firstSeenAt", "lastSeenAt" FROM "vendor_site"`);
    await queryRunner.query(`DROP TABLE "vendor_site"`);
    await queryRunner.query(`ALTER TABLE "temporary_vendor_site" RENAME TO "vendor_site"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_vendor_site_external" ON "vendor_site" ("connectorInstanceId", "externalId") `);
    await queryRunner.query(`DROP INDEX "ix_patch_posture_event_source"`);
    await queryRunner.query(`DROP INDEX "ix_patch_posture_event_tenant"`);
    await queryRunner.query(`CREATE TABLE "temporary_patch_posture_event" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "assetId" varchar(36) NOT NULL, "sourceDeviceId" varchar(36) NOT NULL, "syncRunId" varchar(36), "fromStatus" varchar(24), "toStatus" varchar(24) NOT NULL, "approvedPending" integer, "notApproved" integer, "installed" integer, "observedAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`INSERT INTO "temporary_patch_posture_event"("id", "tenantId", "assetId", "sourceDeviceId", "syncRunId", "fromStatus", "toStatus", "approvedPending", "notApproved", "installed", "observedAt") SELECT "id", "tenantId", "assetId", "sourceDeviceId", "syncRunId", "fromStatus", "toStatus", "approvedPending", "notApproved", "installed", "observedAt" FROM "patch_posture_event"`);
    await queryRunner.query(`DROP TABLE "patch_posture_event"`);
    await queryRunner.query(`ALTER TABLE "temporary_patch_posture_event" RENAME TO "patch_posture_event"`);
    await queryRunner.query(`CREATE INDEX "ix_patch_posture_event_source" ON "patch_posture_event" ("sourceDeviceId", "observedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_posture_event_tenant" ON "patch_posture_event" ("tenantId", "observedAt", "id") `);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_hostname"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_serial"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_aad"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_asset"`);
    await queryRunner.query(`DROP INDEX "uq_source_device_external"`);
    await queryRunner.query(`CREATE TABLE "temporary_source_device" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "assetId" varchar(36), "externalId" varchar(255) NOT NULL, "hostname" varchar(255), "fqdn" varchar(255), "serialNumber" varchar(128), "azureAdDeviceId" varchar(64), "smbiosUuid" varchar(64), "macAddresses" text NOT NULL, "osName" varchar(128), "osVersion" varchar(64), "osBuild" varchar(64), "lastCheckInAt" datetime(3), "vendorSite" varchar(255), "payloadDigest" varchar(64), "matchedBy" text, "stale" boolean NOT NULL, "firstSeenAt" datetime(3) NOT NULL, "lastSeenAt" datetime(3) NOT NULL, "pinnedAssetId" varchar(36), "forbiddenAssetIds" text, "manufacturer" varchar(128), "model" varchar(128), "ownership" varchar(16), "inactive" boolean NOT NULL, "attributes" text, CONSTRAINT "fk_source_device_asset" FOREIGN KEY ("assetId") REFERENCES "asset" ("id") ON DELETE SET NULL ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_connector" FOREIGN KEY ("connectorInstanceId") REFERENCES "connector_instance" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_source_device"("id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds", "manufacturer", "model", "ownership", "inactive", "attributes") SELECT "id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds", "manufacturer", "model", "ownership", "inactive", "attributes" FROM "source_device"`);
    await queryRunner.query(`DROP TABLE "source_device"`);
    await queryRunner.query(`ALTER TABLE "temporary_source_device" RENAME TO "source_device"`);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_hostname" ON "source_device" ("tenantId", "hostname") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_serial" ON "source_device" ("tenantId", "serialNumber") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_aad" ON "source_device" ("tenantId", "azureAdDeviceId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_asset" ON "source_device" ("assetId") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_source_device_external" ON "source_device" ("connectorInstanceId", "externalId") `);
    await queryRunner.query(`DROP INDEX "uq_vendor_site_external"`);
    await queryRunner.query(`DROP TABLE "vendor_site"`);
    await queryRunner.query(`DROP INDEX "ix_patch_posture_event_source"`);
    await queryRunner.query(`DROP INDEX "ix_patch_posture_event_tenant"`);
    await queryRunner.query(`DROP TABLE "patch_posture_event"`);
  }
}
