import { MigrationInterface, QueryRunner } from 'typeorm';

export class IntelSources1796465621665 implements MigrationInterface {
  name = 'IntelSources1796465621665';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`cve_intel\` (\`id\` varchar(36) NOT NULL, \`cveId\` varchar(32) NOT NULL, \`kevDateAdded\` date NULL, \`kevDueDate\` date NULL, \`kevRansomware\` tinyint NULL, \`kevSourceId\` varchar(36) NULL, \`epssScore\` double NULL, \`epssPercentile\` double NULL, \`epssDate\` date NULL, \`epssSourceId\` varchar(36) NULL, \`cvssBaseScore\` decimal(3,1) NULL, \`cvssVector\` varchar(160) NULL, \`cvssVersion\` varchar(8) NULL, \`cvssSourceId\` varchar(36) NULL, \`updatedAt\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_cve_intel_cve\` (\`cveId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`intel_source\` (\`id\` varchar(36) NOT NULL, \`kind\` varchar(16) NOT NULL, \`version\` varchar(191) NOT NULL, \`releasedAt\` datetime(3) NULL, \`sha256\` varchar(64) NOT NULL, \`fileName\` varchar(255) NOT NULL, \`importedAt\` datetime(3) NOT NULL, \`records\` int NOT NULL, \`summary\` text NOT NULL, INDEX \`ix_intel_source_kind\` (\`kind\`, \`releasedAt\`), UNIQUE INDEX \`uq_intel_source_sha256\` (\`sha256\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`ALTER TABLE \`software_update\` ADD \`fixedBuilds\` text NULL`);
    await queryRunner.query(`ALTER TABLE \`vulnerability\` ADD \`cvssVersion\` varchar(8) NULL`);
    await queryRunner.query(`ALTER TABLE \`vulnerability\` ADD \`cvssSourceId\` varchar(36) NULL`);
    await queryRunner.query(`ALTER TABLE \`vulnerability\` ADD \`vendorSourceId\` varchar(36) NULL`);
    await queryRunner.query(`ALTER TABLE \`vulnerability\` ADD \`kevRansomware\` tinyint NULL`);
    await queryRunner.query(`ALTER TABLE \`vulnerability\` ADD \`kevSourceId\` varchar(36) NULL`);
    await queryRunner.query(`ALTER TABLE \`vulnerability\` ADD \`epssPercentile\` double NULL`);
    await queryRunner.query(`ALTER TABLE \`vulnerability\` ADD \`epssDate\` date NULL`);
    await queryRunner.query(`ALTER TABLE \`vulnerability\` ADD \`epssSourceId\` varchar(36) NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`vulnerability\` DROP COLUMN \`epssSourceId\``);
    await queryRunner.query(`ALTER TABLE \`vulnerability\` DROP COLUMN \`epssDate\``);
    await queryRunner.query(`ALTER TABLE \`vulnerability\` DROP COLUMN \`epssPercentile\``);
    await queryRunner.query(`ALTER TABLE \`vulnerability\` DROP COLUMN \`kevSourceId\``);
    await queryRunner.query(`ALTER TABLE \`vulnerability\` DROP COLUMN \`kevRansomware\``);
    await queryRunner.query(`ALTER TABLE \`vulnerability\` DROP COLUMN \`vendorSourceId\``);
    await queryRunner.query(`ALTER TABLE \`vulnerability\` DROP COLUMN \`cvssSourceId\``);
    await queryRunner.query(`ALTER TABLE \`vulnerability\` DROP COLUMN \`cvssVersion\``);
    await queryRunner.query(`ALTER TABLE \`software_update\` DROP COLUMN \`fixedBuilds\``);
    await queryRunner.query(`DROP INDEX \`uq_intel_source_sha256\` ON \`intel_source\``);
    await queryRunner.query(`DROP INDEX \`ix_intel_source_kind\` ON \`intel_source\``);
    await queryRunner.query(`DROP TABLE \`intel_source\``);
    await queryRunner.query(`DROP INDEX \`uq_cve_intel_cve\` ON \`cve_intel\``);
    await queryRunner.query(`DROP TABLE \`cve_intel\``);
  }
}
