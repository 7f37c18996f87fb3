import { MigrationInterface, QueryRunner } from 'typeorm';
import { backfillEffectiveStates } from '../backfill-effective-states';

export class EffectiveEvidence1796454588093 implements MigrationInterface {
  name = 'EffectiveEvidence1796454588093';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_hostname"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_serial"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_aad"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_asset"`);
    await queryRunner.query(`DROP INDEX "uq_source_device_external"`);
    await queryRunner.query(`CREATE TABLE "temporary_source_device" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "assetId" varchar(36), "externalId" varchar(255) NOT NULL, "hostname" varchar(255), "fqdn" varchar(255), "serialNumber" varchar(128), "azureAdDeviceId" varchar(64), "smbiosUuid" varchar(64), "macAddresses" text NOT NULL, "osName" varchar(128), "osVersion" varchar(64), "osBuild" varchar(64), "lastCheckInAt" datetime(3), "vendorSite" varchar(255), "payloadDigest" varchar(64), "matchedBy" text, "stale" boolean NOT NULL, "firstSeenAt" datetime(3) NOT NULL, "lastSeenAt" datetime(3) NOT NULL, "pinnedAssetId" varchar(36), "forbiddenAssetIds" text, "manufacturer" varchar(128), "model" varchar(128), "ownership" varchar(16), "inactive" boolean NOT NULL, "attributes" text, "postureStatus" varchar(24), "postureApprovedPending" integer, "postureNotApproved" integer, "postureInstalled" integer, "vendorSiteId" varchar(255), "revision" varchar(128), "enrolledAt" datetime(3), CONSTRAINT "fk_source_device_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_connector" FOREIGN KEY ("connectorInstanceId") REFERENCES "connector_instance" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_asset" FOREIGN KEY ("assetId") REFERENCES "asset" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_source_device"("id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds", "manufacturer", "model", "ownership", "inactive", "attributes", "postureStatus", "postureApprovedPending", "postureNotApproved", "postureInstalled", "vendorSiteId", "revision") SELECT "id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds", "manufacturer", "model", "ownership", "inactive", "attributes", "postureStatus", "postureApprovedPending", "postureNotApproved", "postureInstalled", "vendorSiteId", "revision" FROM "source_device"`);
    await queryRunner.query(`DROP TABLE "source_device"`);
    await queryRunner.query(`ALTER TABLE "temporary_source_device" RENAME TO "source_device"`);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_hostname" ON "source_device" ("tenantId", "hostname") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_serial" ON "source_device" ("tenantId", "serialNumber") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_aad" ON "source_device" ("tenantId", "azureAdDeviceId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_asset" ON "source_device" ("assetId") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_source_device_external" ON "source_device" ("connectorInstanceId", "externalId") `);
    await queryRunner.query(`DROP INDEX "uq_patch_state_source_update"`);
    await queryRunner.query(`DROP INDEX "ix_patch_state_asset_state"`);
    await queryRunner.query(`DROP INDEX "ix_patch_state_tenant_state"`);
    await queryRunner.query(`DROP INDEX "ix_patch_state_changed"`);
    await queryRunner.query(`DROP INDEX "ix_patch_state_update"`);
    await queryRunner.query(`CREATE TABLE "temporary_patch_state" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "assetId" varchar(36) NOT NULL, "sourceDeviceId" varchar(36) NOT NULL, "updateId" varchar(36) NOT NULL, "state" varchar(16) NOT NULL, "evidence" varchar(16) NOT NULL, "firstSeenMissingAt" datetime(3), "installedAt" datetime(3), "changedAt" datetime(3) NOT NULL, "observedAt" datetime(3) NOT NULL, "effective" boolean NOT NULL DEFAULT (0), CONSTRAINT "fk_patch_state_update" FOREIGN KEY ("updateId") REFERENCES "software_update" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_patch_state_source_device" FOREIGN KEY ("sourceDeviceId") REFERENCES "source_device" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_patch_state_asset" FOREIGN KEY ("assetId") REFERENCES "asset" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_patch_state_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_patch_state"("id", "tenantId", "assetId", "sourceDeviceId", "updateId", "state", "evidence", "firstSeenMissingAt", "installedAt", "changedAt", "observedAt") SELECT "id", "tenantId", "assetId", "sourceDeviceId", "updateId", "state", "evidence", "firstSeenMissingAt", "installedAt", "changedAt", "observedAt" FROM "patch_state"`);
    await queryRunner.query(`DROP TABLE "patch_state"`);
    await queryRunner.query(`ALTER TABLE "temporary_patch_state" RENAME TO "patch_state"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_patch_state_source_update" ON "patch_state" ("sourceDeviceId", "updateId") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_state_asset_state" ON "patch_state" ("assetId", "state") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_state_tenant_state" ON "patch_state" ("tenantId", "state", "changedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_state_changed" ON "patch_state" ("changedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_state_update" ON "patch_state" ("updateId", "state") `);
    await backfillEffectiveStates(queryRunner, (n) => `"${n}"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_patch_state_update"`);
    await queryRunner.query(`DROP INDEX "ix_patch_state_changed"`);
    await queryRunner.query(`DROP INDEX "ix_patch_state_tenant_state"`);
    await queryRunner.query(`DROP INDEX "ix_patch_state_asset_state"`);
    await queryRunner.query(`DROP INDEX "uq_patch_state_source_update"`);
    await queryRunner.query(`CREATE TABLE "temporary_patch_state" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "assetId" varchar(36) NOT NULL, "sourceDeviceId" varchar(36) NOT NULL, "updateId" varchar(36) NOT NULL, "state" varchar(16) NOT NULL, "evidence" varchar(16) NOT NULL, "firstSeenMissingAt" datetime(3), "installedAt" datetime(3), "changedAt" datetime(3) NOT NULL, "observedAt" datetime(3) NOT NULL, CONSTRAINT "fk_patch_state_update" FOREIGN KEY ("updateId") REFERENCES "software_update" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_patch_state_source_device" FOREIGN KEY ("sourceDeviceId") REFERENCES "source_device" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_patch_state_asset" FOREIGN KEY ("assetId") REFERENCES "asset" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_patch_state_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_patch_state"("id", "tenantId", "assetId", "sourceDeviceId", "updateId", "state", "evidence", "firstSeenMissingAt", "installedAt", "changedAt", "observedAt") SELECT "id", "tenantId", "assetId", "sourceDeviceId", "updateId", "state", "evidence", "firstSeenMissingAt", "installedAt", "changedAt", "observedAt" FROM "patch_state"`);
    await queryRunner.query(`DROP TABLE "patch_state"`);
    await queryRunner.query(`ALTER TABLE "temporary_patch_state" RENAME TO "patch_state"`);
    await queryRunner.query(`CREATE INDEX "ix_patch_state_update" ON "patch_state" ("updateId", "state") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_state_changed" ON "patch_state" ("changedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_state_tenant_state" ON "patch_state" ("tenantId", "state", "changedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_patch_state_asset_state" ON "patch_state" ("assetId", "state") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_patch_state_source_update" ON "patch_state" ("sourceDeviceId", "updateId") `);
    await queryRunner.query(`DROP INDEX "uq_source_device_external"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_asset"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_aad"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_serial"`);
    await queryRunner.query(`DROP INDEX "ix_source_device_tenant_hostname"`);
    await queryRunner.query(`CREATE TABLE "temporary_source_device" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "connectorInstanceId" varchar(36) NOT NULL, "assetId" varchar(36), "externalId" varchar(255) NOT NULL, "hostname" varchar(255), "fqdn" varchar(255), "serialNumber" varchar(128), "azureAdDeviceId" varchar(64), "smbiosUuid" varchar(64), "macAddresses" text NOT NULL, "osName" varchar(128), "osVersion" varchar(64), "osBuild" varchar(64), "lastCheckInAt" datetime(3), "vendorSite" varchar(255), "payloadDigest" varchar(64), "matchedBy" text, "stale" boolean NOT NULL, "firstSeenAt" datetime(3) NOT NULL, "lastSeenAt" datetime(3) NOT NULL, "pinnedAssetId" varchar(36), "forbiddenAssetIds" text, "manufacturer" varchar(128), "model" varchar(128), "ownership" varchar(16), "inactive" boolean NOT NULL, "attributes" text, "postureStatus" varchar(24), "postureApprovedPending" integer, "postureNotApproved" integer, "postureInstalled" integer, "vendorSiteId" varchar(255), "revision" varchar(128), CONSTRAINT "fk_source_device_tenant" FOREIGN KEY ("tenantId") REFERENCES "tenant" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_connector" FOREIGN KEY ("connectorInstanceId") REFERENCES "connector_instance" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "fk_source_device_asset" FOREIGN KEY ("assetId") REFERENCES "asset" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_source_device"("id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds", "manufacturer", "model", "ownership", "inactive", "attributes", "postureStatus", "postureApprovedPending", "postureNotApproved", "postureInstalled", "vendorSiteId", "revision") SELECT "id", "tenantId", "connectorInstanceId", "assetId", "externalId", "hostname", "fqdn", "serialNumber", "azureAdDeviceId", "smbiosUuid", "macAddresses", "osName", "osVersion", "osBuild", "lastCheckInAt", "vendorSite", "payloadDigest", "matchedBy", "stale", "firstSeenAt", "lastSeenAt", "pinnedAssetId", "forbiddenAssetIds", "manufacturer", "model", "ownership", "inactive", "attributes", "postureStatus", "postureApprovedPending", "postureNotApproved", "postureInstalled", "vendorSiteId", "revision" FROM "source_device"`);
    await queryRunner.query(`DROP TABLE "source_device"`);
    await queryRunner.query(`ALTER TABLE "temporary_source_device" RENAME TO "source_device"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_source_device_external" ON "source_device" ("connectorInstanceId", "externalId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_asset" ON "source_device" ("assetId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_aad" ON "source_device" ("tenantId", "azureAdDeviceId") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_serial" ON "source_device" ("tenantId", "serialNumber") `);
    await queryRunner.query(`CREATE INDEX "ix_source_device_tenant_hostname" ON "source_device" ("tenantId", "hostname") `);
  }
}
