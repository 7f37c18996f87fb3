import { MigrationInterface, QueryRunner } from 'typeorm';

export class ApiKeyLifecycle1796464308677 implements MigrationInterface {
  name = 'ApiKeyLifecycle1796464308677';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`api_key\` ADD \`expiresAt\` datetime(3) NULL`);
    await queryRunner.query(`ALTER TABLE \`api_key\` ADD \`createdBy\` varchar(500) NOT NULL DEFAULT 'unknown'`);
    await queryRunner.query(`ALTER TABLE \`api_key\` ADD \`rotatedAt\` datetime(3) NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`api_key\` DROP COLUMN \`rotatedAt\``);
    await queryRunner.query(`ALTER TABLE \`api_key\` DROP COLUMN \`createdBy\``);
    await queryRunner.query(`ALTER TABLE \`api_key\` DROP COLUMN \`expiresAt\``);
  }
}
