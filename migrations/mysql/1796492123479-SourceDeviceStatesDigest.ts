import { MigrationInterface, QueryRunner } from 'typeorm';

export class SourceDeviceStatesDigest1796492123479 implements MigrationInterface {
  name = 'SourceDeviceStatesDigest1796492123479';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`statesDigest\` varchar(64) NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`statesDigest\``);
  }
}
