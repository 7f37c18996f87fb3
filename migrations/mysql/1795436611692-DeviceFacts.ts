import { MigrationInterface, QueryRunner } from 'typeorm';

export class DeviceFacts1795436611692 implements MigrationInterface {
  name = 'DeviceFacts1795436611692';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`asset\` ADD \`manufacturer\` varchar(128) NULL`);
    await queryRunner.query(`ALTER TABLE \`asset\` ADD \`model\` varchar(128) NULL`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`manufacturer\` varchar(128) NULL`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`model\` varchar(128) NULL`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`ownership\` varchar(16) NULL`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`inactive\` tinyint NOT NULL`);
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`attributes\` text NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`attributes\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`inactive\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`ownership\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`model\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`manufacturer\``);
    await queryRunner.query(`ALTER TABLE \`asset\` DROP COLUMN \`model\``);
    await queryRunner.query(`ALTER TABLE \`asset\` DROP COLUMN \`manufacturer\``);
  }
}
