import { MigrationInterface, QueryRunner } from 'typeorm';

export class UnattachedRecords1796456180004 implements MigrationInterface {
  name = 'UnattachedRecords1796456180004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`unattached_record\` (\`id\` varchar(36) NOT NULL, \`connectorInstanceId\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NULL, \`externalId\` varchar(255) NOT NULL, \`hostname\` varchar(255) NULL, \`vendorSiteId\` varchar(255) NULL, \`vendorSite\` varchar(255) NULL, \`reason\` varchar(24) NOT NULL, \`firstSeenAt\` datetime(3) NOT NULL, \`lastSeenAt\` datetime(3) NOT NULL, INDEX \`ix_unattached_record_tenant\` (\`tenantId\`, \`lastSeenAt\`), UNIQUE INDEX \`uq_unattached_record_external\` (\`connectorInstanceId\`, \`externalId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`deletedInSource\` tinyint NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE \`vendor_site\` ADD \`deletedDevicesSite\` tinyint NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE \`unattached_record\` ADD CONSTRAINT \`fk_unattached_record_connector\` FOREIGN KEY (\`connectorInstanceId\`) REFERENCES \`connector_instance\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`unattached_record\` ADD CONSTRAINT \`fk_unattached_record_tenant\` FOREIGN KEY (\`tenantId\`) REFERENCES \`tenant\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`unattached_record\` DROP FOREIGN KEY \`fk_unattached_record_tenant\``);
    await queryRunner.query(`ALTER TABLE \`unattached_record\` DROP FOREIGN KEY \`fk_unattached_record_connector\``);
    await queryRunner.query(`ALTER TABLE \`vendor_site\` DROP COLUMN \`deletedDevicesSite\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`deletedInSource\``);
    await queryRunner.query(`DROP INDEX \`uq_unattached_record_external\` ON \`unattached_record\``);
    await queryRunner.query(`DROP INDEX \`ix_unattached_record_tenant\` ON \`unattached_record\``);
    await queryRunner.query(`DROP TABLE \`unattached_record\``);
  }
}
