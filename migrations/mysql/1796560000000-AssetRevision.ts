import { MigrationInterface, QueryRunner } from 'typeorm';

/** asset.revision and tenant.assetsRevision, raised by every change a compliance answer reads (kept answers evaluate again what they name). */
export class AssetRevision1796560000000 implements MigrationInterface {
  name = 'AssetRevision1796560000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`asset\` ADD \`revision\` int NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE \`tenant\` ADD \`assetsRevision\` int NOT NULL DEFAULT '0'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`tenant\` DROP COLUMN \`assetsRevision\``);
    await queryRunner.query(`ALTER TABLE \`asset\` DROP COLUMN \`revision\``);
  }
}
