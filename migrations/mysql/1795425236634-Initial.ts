import { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795425236634 implements MigrationInterface {
  name = 'Initial1795425236634';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`api_key\` (\`id\` varchar(36) NOT NULL, \`name\` varchar(200) NOT NULL, \`prefix\` varchar(16) NOT NULL, \`secretHash\` varchar(64) NOT NULL, \`role\` varchar(32) NOT NULL, \`allTenants\` tinyint NOT NULL DEFAULT 0, \`tenantIds\` text NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`lastUsedAt\` datetime(3) NULL, \`revokedAt\` datetime(3) NULL, UNIQUE INDEX \`uq_api_key_hash\` (\`secretHash\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`tenant\` (\`id\` varchar(36) NOT NULL, \`name\` varchar(200) NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_tenant_name\` (\`name\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`site\` (\`id\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NOT NULL, \`name\` varchar(200) NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_site_tenant_name\` (\`tenantId\`, \`name\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`asset\` (\`id\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NOT NULL, \`siteId\` varchar(36) NULL, \`hostname\` varchar(255) NOT NULL, \`fqdn\` varchar(255) NULL, \`serialNumber\` varchar(128) NULL, \`osName\` varchar(128) NULL, \`osVersion\` varchar(64) NULL, \`osBuild\` varchar(64) NULL, \`status\` varchar(16) NOT NULL, \`lastSeenAt\` datetime(3) NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, INDEX \`ix_asset_site\` (\`siteId\`), INDEX \`ix_asset_tenant_os\` (\`tenantId\`, \`osName\`), INDEX \`ix_asset_tenant_created\` (\`tenantId\`, \`createdAt\`, \`id\`), INDEX \`ix_asset_tenant_last_seen\` (\`tenantId\`, \`lastSeenAt\`, \`id\`), INDEX \`ix_asset_tenant_hostname\` (\`tenantId\`, \`hostname\`, \`id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`audit_event\` (\`id\` varchar(36) NOT NULL, \`chainKey\` varchar(36) NOT NULL, \`seq\` int NOT NULL, \`tenantId\` varchar(36) NULL, \`occurredAt\` datetime(3) NOT NULL, \`actor\` varchar(255) NOT NULL, \`action\` varchar(64) NOT NULL, \`targetType\` varchar(64) NOT NULL, \`targetId\` varchar(255) NULL, \`data\` text NOT NULL, \`prevHash\` varchar(64) NOT NULL, \`hash\` varchar(64) NOT NULL, INDEX \`ix_audit_event_tenant_time\` (\`tenantId\`, \`occurredAt\`, \`id\`), UNIQUE INDEX \`uq_audit_event_chain_seq\` (\`chainKey\`, \`seq\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`connector_instance\` (\`id\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NULL, \`kind\` varchar(64) NOT NULL, \`name\` varchar(200) NOT NULL, \`config\` text NOT NULL, \`secretsCiphertext\` text NULL, \`syncIntervalSeconds\` int NULL, \`enabled\` tinyint NOT NULL DEFAULT 1, \`cursors\` text NULL, \`createdAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, INDEX \`ix_connector_instance_tenant\` (\`tenantId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`patch_event\` (\`id\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NOT NULL, \`assetId\` varchar(36) NOT NULL, \`sourceDeviceId\` varchar(36) NOT NULL, \`updateId\` varchar(36) NOT NULL, \`syncRunId\` varchar(36) NULL, \`fromState\` varchar(16) NULL, \`toState\` varchar(16) NOT NULL, \`reportedAt\` datetime(3) NULL, \`observedAt\` datetime(3) NOT NULL, INDEX \`ix_patch_event_update\` (\`updateId\`, \`observedAt\`), INDEX \`ix_patch_event_tenant_observed\` (\`tenantId\`, \`observedAt\`, \`id\`), INDEX \`ix_patch_event_asset_observed\` (\`assetId\`, \`observedAt\`, \`id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`source_device\` (\`id\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NOT NULL, \`connectorInstanceId\` varchar(36) NOT NULL, \`assetId\` varchar(36) NULL, \`externalId\` varchar(255) NOT NULL, \`hostname\` varchar(255) NULL, \`fqdn\` varchar(255) NULL, \`serialNumber\` varchar(128) NULL, \`azureAdDeviceId\` varchar(64) NULL, \`smbiosUuid\` varchar(64) NULL, \`macAddresses\` text NOT NULL, \`osName\` varchar(128) NULL, \`osVersion\` varchar(64) NULL, \`osBuild\` varchar(64) NULL, \`lastCheckInAt\` datetime(3) NULL, \`vendorSite\` varchar(255) NULL, \`payloadDigest\` varchar(64) NULL, \`matchedBy\` varchar(512) NULL, \`stale\` tinyint NOT NULL DEFAULT 0, \`firstSeenAt\` datetime(3) NOT NULL, \`lastSeenAt\` datetime(3) NOT NULL, INDEX \`ix_source_device_tenant_hostname\` (\`tenantId\`, \`hostname\`), INDEX \`ix_source_device_tenant_serial\` (\`tenantId\`, \`serialNumber\`), INDEX \`ix_source_device_tenant_aad\` (\`tenantId\`, \`azureAdDeviceId\`), INDEX \`ix_source_device_asset\` (\`assetId\`), UNIQUE INDEX \`uq_source_device_external\` (\`connectorInstanceId\`, \`externalId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`software_update\` (\`id\` varchar(36) NOT NULL, \`catalogKey\` varchar(191) NOT NULL, \`kb\` varchar(32) NULL, \`title\` varchar(512) NOT NULL, \`vendor\` varchar(64) NOT NULL, \`products\` text NOT NULL, \`classification\` varchar(32) NOT NULL, \`severity\` varchar(16) NOT NULL, \`maxCvssBaseScore\` decimal(3,1) NULL, \`releasedAt\` datetime(3) NOT NULL, \`supersedes\` text NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, INDEX \`ix_update_severity\` (\`severity\`, \`releasedAt\`), INDEX \`ix_update_classification\` (\`classification\`, \`releasedAt\`), INDEX \`ix_update_released\` (\`releasedAt\`, \`id\`), INDEX \`ix_update_kb\` (\`kb\`), UNIQUE INDEX \`uq_update_catalog_key\` (\`catalogKey\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`patch_state\` (\`id\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NOT NULL, \`assetId\` varchar(36) NOT NULL, \`sourceDeviceId\` varchar(36) NOT NULL, \`updateId\` varchar(36) NOT NULL, \`state\` varchar(16) NOT NULL, \`evidence\` varchar(16) NOT NULL, \`firstSeenMissingAt\` datetime(3) NULL, \`installedAt\` datetime(3) NULL, \`changedAt\` datetime(3) NOT NULL, \`observedAt\` datetime(3) NOT NULL, INDEX \`ix_patch_state_update\` (\`updateId\`, \`state\`), INDEX \`ix_patch_state_tenant_state\` (\`tenantId\`, \`state\`, \`id\`), INDEX \`ix_patch_state_asset_state\` (\`assetId\`, \`state\`), UNIQUE INDEX \`uq_patch_state_source_update\` (\`sourceDeviceId\`, \`updateId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`sync_run\` (\`id\` varchar(36) NOT NULL, \`connectorInstanceId\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NULL, \`status\` varchar(16) NOT NULL, \`startedAt\` datetime(3) NOT NULL, \`finishedAt\` datetime(3) NULL, \`counts\` text NOT NULL, \`errorMessage\` text NULL, INDEX \`ix_sync_run_tenant_started\` (\`tenantId\`, \`startedAt\`, \`id\`), INDEX \`ix_sync_run_connector_started\` (\`connectorInstanceId\`, \`startedAt\`, \`id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`vulnerability\` (\`id\` varchar(36) NOT NULL, \`cveId\` varchar(32) NOT NULL, \`title\` varchar(512) NULL, \`cvssBaseScore\` decimal(3,1) NULL, \`cvssVector\` varchar(160) NULL, \`severity\` varchar(16) NOT NULL, \`exploited\` tinyint NOT NULL DEFAULT 0, \`kevDateAdded\` date NULL, \`kevDueDate\` date NULL, \`epssScore\` double NULL, \`publishedAt\` datetime(3) NULL, \`updatedAt\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_vulnerability_cve\` (\`cveId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`update_vulnerability\` (\`updateId\` varchar(36) NOT NULL, \`vulnerabilityId\` varchar(36) NOT NULL, INDEX \`ix_update_vulnerability_vuln\` (\`vulnerabilityId\`, \`updateId\`), PRIMARY KEY (\`updateId\`, \`vulnerabilityId\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`ALTER TABLE \`site\` ADD CONSTRAINT \`fk_site_tenant\` FOREIGN KEY (\`tenantId\`) REFERENCES \`tenant\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`asset\` ADD CONSTRAINT \`fk_asset_tenant\` FOREIGN KEY (\`tenantId\`) REFERENCES \`tenant\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`asset\` ADD CONSTRAINT \`fk_asset_site\` FOREIGN KEY (\`siteId\`) REFERENCES \`site\`(\`id\`) ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`connector_instance\` ADD CONSTRAINT \`fk_connector_instance_tenant\` FOREIGN KEY (\`tenantId\`) REFERENCES \`tenant\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`patch_event\` ADD CONSTRAINT \`fk_patch_event_tenant\` FOREIGN KEY (\`tenantId\`) REFERENCES \`tenant\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD CONSTRAINT \`fk_source_device_tenant\` FOREIGN KEY (\`tenantId\`) REFERENCES \`tenant\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD CONSTRAINT \`fk_source_device_connector\` FOREIGN KEY (\`connectorInstanceId\`) REFERENCES \`connector_instance\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD CONSTRAINT \`fk_source_device_asset\` FOREIGN KEY (\`assetId\`) REFERENCES \`asset\`(\`id\`) ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`patch_state\` ADD CONSTRAINT \`fk_patch_state_tenant\` FOREIGN KEY (\`tenantId\`) REFERENCES \`tenant\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`patch_state\` ADD CONSTRAINT \`fk_patch_state_asset\` FOREIGN KEY (\`assetId\`) REFERENCES \`asset\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`patch_state\` ADD CONSTRAINT \`fk_patch_state_source_device\` FOREIGN KEY (\`sourceDeviceId\`) REFERENCES \`source_device\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`patch_state\` ADD CONSTRAINT \`fk_patch_state_update\` FOREIGN KEY (\`updateId\`) REFERENCES \`software_update\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`sync_run\` ADD CONSTRAINT \`fk_sync_run_connector\` FOREIGN KEY (\`connectorInstanceId\`) REFERENCES \`connector_instance\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`update_vulnerability\` ADD CONSTRAINT \`fk_update_vulnerability_update\` FOREIGN KEY (\`updateId\`) REFERENCES \`software_update\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`update_vulnerability\` ADD CONSTRAINT \`fk_update_vulnerability_vuln\` FOREIGN KEY (\`vulnerabilityId\`) REFERENCES \`vulnerability\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`update_vulnerability\` DROP FOREIGN KEY \`fk_update_vulnerability_vuln\``);
    await queryRunner.query(`ALTER TABLE \`update_vulnerability\` DROP FOREIGN KEY \`fk_update_vulnerability_update\``);
    await queryRunner.query(`ALTER TABLE \`sync_run\` DROP FOREIGN KEY \`fk_sync_run_connector\``);
    await queryRunner.query(`ALTER TABLE \`patch_state\` DROP FOREIGN KEY \`fk_patch_state_update\``);
    await queryRunner.query(`ALTER TABLE \`patch_state\` DROP FOREIGN KEY \`fk_patch_state_source_device\``);
    await queryRunner.query(`ALTER TABLE \`patch_state\` DROP FOREIGN KEY \`fk_patch_state_asset\``);
    await queryRunner.query(`ALTER TABLE \`patch_state\` DROP FOREIGN KEY \`fk_patch_state_tenant\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP FOREIGN KEY \`fk_source_device_asset\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP FOREIGN KEY \`fk_source_device_connector\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP FOREIGN KEY \`fk_source_device_tenant\``);
    await queryRunner.query(`ALTER TABLE \`patch_event\` DROP FOREIGN KEY \`fk_patch_event_tenant\``);
    await queryRunner.query(`ALTER TABLE \`connector_instance\` DROP FOREIGN KEY \`fk_connector_instance_tenant\``);
    await queryRunner.query(`ALTER TABLE \`asset\` DROP FOREIGN KEY \`fk_asset_site\``);
    await queryRunner.query(`ALTER TABLE \`asset\` DROP FOREIGN KEY \`fk_asset_tenant\``);
    await queryRunner.query(`ALTER TABLE \`site\` DROP FOREIGN KEY \`fk_site_tenant\``);
    await queryRunner.query(`DROP INDEX \`ix_update_vulnerability_vuln\` ON \`update_vulnerability\``);
    await queryRunner.query(`DROP TABLE \`update_vulnerability\``);
    await queryRunner.query(`DROP INDEX \`uq_vulnerability_cve\` ON \`vulnerability\``);
    await queryRunner.query(`DROP TABLE \`vulnerability\``);
    await queryRunner.query(`DROP INDEX \`ix_sync_run_connector_started\` ON \`sync_run\``);
    await queryRunner.query(`DROP INDEX \`ix_sync_run_tenant_started\` ON \`sync_run\``);
    await queryRunner.query(`DROP TABLE \`sync_run\``);
    await queryRunner.query(`DROP INDEX \`uq_patch_state_source_update\` ON \`patch_state\``);
    await queryRunner.query(`DROP INDEX \`ix_patch_state_asset_state\` ON \`patch_state\``);
    await queryRunner.query(`DROP INDEX \`ix_patch_state_tenant_state\` ON \`patch_state\``);
    await queryRunner.query(`DROP INDEX \`ix_patch_state_update\` ON \`patch_state\``);
    await queryRunner.query(`DROP TABLE \`patch_state\``);
    await queryRunner.query(`DROP INDEX \`uq_update_catalog_key\` ON \`software_update\``);
    await queryRunner.query(`DROP INDEX \`ix_update_kb\` ON \`software_update\``);
    await queryRunner.query(`DROP INDEX \`ix_update_released\` ON \`software_update\``);
    await queryRunner.query(`DROP INDEX \`ix_update_classification\` ON \`software_update\``);
    await queryRunner.query(`DROP INDEX \`ix_update_severity\` ON \`software_update\``);
    await queryRunner.query(`DROP TABLE \`software_update\``);
    await queryRunner.query(`DROP INDEX \`uq_source_device_external\` ON \`source_device\``);
    await queryRunner.query(`DROP INDEX \`ix_source_device_asset\` ON \`source_device\``);
    await queryRunner.query(`DROP INDEX \`ix_source_device_tenant_aad\` ON \`source_device\``);
    await queryRunner.query(`DROP INDEX \`ix_source_device_tenant_serial\` ON \`source_device\``);
    await queryRunner.query(`DROP INDEX \`ix_source_device_tenant_hostname\` ON \`source_device\``);
    await queryRunner.query(`DROP TABLE \`source_device\``);
    await queryRunner.query(`DROP INDEX \`ix_patch_event_asset_observed\` ON \`patch_event\``);
    await queryRunner.query(`DROP INDEX \`ix_patch_event_tenant_observed\` ON \`patch_event\``);
    await queryRunner.query(`DROP INDEX \`ix_patch_event_update\` ON \`patch_event\``);
    await queryRunner.query(`DROP TABLE \`patch_event\``);
    await queryRunner.query(`DROP INDEX \`ix_connector_instance_tenant\` ON \`connector_instance\``);
    await queryRunner.query(`DROP TABLE \`connector_instance\``);
    await queryRunner.query(`DROP INDEX \`uq_audit_event_chain_seq\` ON \`audit_event\``);
    await queryRunner.query(`DROP INDEX \`ix_audit_event_tenant_time\` ON \`audit_event\``);
    await queryRunner.query(`DROP TABLE \`audit_event\``);
    await queryRunner.query(`DROP INDEX \`ix_asset_tenant_hostname\` ON \`asset\``);
    await queryRunner.query(`DROP INDEX \`ix_asset_tenant_last_seen\` ON \`asset\``);
    await queryRunner.query(`DROP INDEX \`ix_asset_tenant_created\` ON \`asset\``);
    await queryRunner.query(`DROP INDEX \`ix_asset_tenant_os\` ON \`asset\``);
    await queryRunner.query(`DROP INDEX \`ix_asset_site\` ON \`asset\``);
    await queryRunner.query(`DROP TABLE \`asset\``);
    await queryRunner.query(`DROP INDEX \`uq_site_tenant_name\` ON \`site\``);
    await queryRunner.query(`DROP TABLE \`site\``);
    await queryRunner.query(`DROP INDEX \`uq_tenant_name\` ON \`tenant\``);
    await queryRunner.query(`DROP TABLE \`tenant\``);
    await queryRunner.query(`DROP INDEX \`uq_api_key_hash\` ON \`api_key\``);
    await queryRunner.query(`DROP TABLE \`api_key\``);
  }
}
