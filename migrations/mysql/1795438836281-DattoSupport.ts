import { MigrationInterface, QueryRunner } from 'typeorm';

export class DattoSupport1795438836281 implements MigrationInterface {
  name = 'DattoSupport1795438836281';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`patch_posture_event\` (\`id\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NOT NULL, \`assetId\` varchar(36) NOT NULL, \`sourceDeviceId\` varchar(36) NOT NULL, \`syncRunId\` varchar(36) NULL, \`fromStatus\` varchar(24) NULL, \`toStatus\` varchar(24) NOT NULL, \`approvedPending\` int NULL, \`notApproved\` int NULL, \`installed\` int NULL, \`observedAt\` datetime(3) NOT NULL, INDEX \`ix_patch_posture_event_tenant\` (\`tenantId\`, \`observedAt\`, \`id\`), INDEX \`ix_patch_posture_event_source\` (\`sourceDeviceId\`, \`observedAt\`, \`id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`vendor_site\` (\`id\` varchar(36) NOT NULL, \`connectorInstanceId\` varchar(36) NOT NULL, \`externalId\` varchar(255) NOT NULL, \`name\` varchar(255) NOT NULL, \`tenantId\` varchar(36) NULL, \`siteId\` varchar(36) NULL, \`ignored\` tinyint NOT NULL, \`deviceCount\` int NOT NULL, \`firstSeenAt\` datetime(3) NOT NULL, \`lastSeenAt\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_vendor_site_external\` (\`connectorInstanceId\`, \`externalId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`postureStatus\` varchar(24) NULL`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`postureApprovedPending\` int NULL`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`postureNotApproved\` int NULL`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`postureInstalled\` int NULL`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`vendorSiteId\` varchar(255) NULL`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`revision\` varchar(128) NULL`);
    await queryRunner.query(`ALTER TABLE \`patch_posture_event\` ADD CONSTRAINT \`fk_patch_posture_event_tenant\` FOREIGN KEY (\`tenantId\`) REFERENCES \`tenant\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`vendor_site\` ADD CONSTRAINT \`fk_vendor_site_connector\` FOREIGN KEY (\`connectorInstanceId\`) REFERENCES \`connector_instance\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`vendor_site\` ADD CONSTRAINT \`fk_vendor_site_tenant\` FOREIGN KEY (\`tenantId\`) REFERENCES \`tenant\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`vendor_site\` ADD CONSTRAINT \`fk_vendor_site_site\` FOREIGN KEY (\`siteId\`) REFERENCES \`site\`(\`id\`) ON DELETE SET NULL ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`vendor_site\` DROP FOREIGN KEY \`fk_vendor_site_site\``);
    await queryRunner.query(`ALTER TABLE \`vendor_site\` DROP FOREIGN KEY \`fk_vendor_site_tenant\``);
    await queryRunner.query(`ALTER TABLE \`vendor_site\` DROP FOREIGN KEY \`fk_vendor_site_connector\``);
    await queryRunner.query(`ALTER TABLE \`patch_posture_event\` DROP FOREIGN KEY \`fk_patch_posture_event_tenant\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`revision\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`vendorSiteId\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`postureInstalled\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`postureNotApproved\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`postureApprovedPending\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`postureStatus\``);
    await queryRunner.query(`DROP INDEX \`uq_vendor_site_external\` ON \`vendor_site\``);
    await queryRunner.query(`DROP TABLE \`vendor_site\``);
    await queryRunner.query(`DROP INDEX \`ix_patch_posture_event_source\` ON \`patch_posture_event\``);
    await queryRunner.query(`DROP INDEX \`ix_patch_posture_event_tenant\` ON \`patch_posture_event\``);
    await queryRunner.query(`DROP TABLE \`patch_posture_event\``);
  }
}
