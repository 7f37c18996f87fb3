import { MigrationInterface, QueryRunner } from 'typeorm';

export class SyncEngine1795432601351 implements MigrationInterface {
  name = 'SyncEngine1795432601351';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`sync_lock\` (\`connectorInstanceId\` varchar(36) NOT NULL, \`token\` varchar(36) NOT NULL, \`holder\` varchar(255) NOT NULL, \`acquiredAt\` datetime(3) NOT NULL, \`expiresAt\` datetime(3) NOT NULL, PRIMARY KEY (\`connectorInstanceId\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`pinnedAssetId\` varchar(36) NULL`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`forbiddenAssetIds\` text NULL`);
    await queryRunner.query(`ALTER TABLE \`sync_run\` ADD \`mode\` varchar(16) NOT NULL`);
    await queryRunner.query(`ALTER TABLE \`sync_run\` ADD \`trigger\` varchar(16) NOT NULL`);
    await queryRunner.query(`ALTER TABLE \`sync_run\` ADD \`triggeredBy\` varchar(200) NULL`);
    await queryRunner.query(`ALTER TABLE \`sync_run\` ADD \`errorKind\` varchar(32) NULL`);
    // Hand-edited from DROP + ADD so existing match explanations survive the wider column.
    await queryRunner.query(`ALTER TABLE \`source_device\` MODIFY \`matchedBy\` text NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`source_device\` MODIFY \`matchedBy\` varchar(512) COLLATE "utf8mb4_unicode_ci" NULL`);
    await queryRunner.query(`ALTER TABLE \`sync_run\` DROP COLUMN \`errorKind\``);
    await queryRunner.query(`ALTER TABLE \`sync_run\` DROP COLUMN \`triggeredBy\``);
    await queryRunner.query(`ALTER TABLE \`sync_run\` DROP COLUMN \`trigger\``);
    await queryRunner.query(`ALTER TABLE \`sync_run\` DROP COLUMN \`mode\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`forbiddenAssetIds\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`pinnedAssetId\``);
    await queryRunner.query(`DROP TABLE \`sync_lock\``);
  }
}
