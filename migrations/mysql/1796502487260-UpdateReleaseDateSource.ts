import { MigrationInterface, QueryRunner } from 'typeorm';

export class UpdateReleaseDateSource1796502487260 implements MigrationInterface {
  name = 'UpdateReleaseDateSource1796502487260';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`software_update\` ADD \`releasedAtSource\` varchar(16) NOT NULL DEFAULT 'SOURCE'`);
    // Entries every tenant shares were always written from Microsoft's data; tenants' own entries from a source's date.
    await queryRunner.query(`UPDATE \`software_update\` SET \`releasedAtSource\` = 'MICROSOFT' WHERE \`owner\` = 'shared'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`software_update\` DROP COLUMN \`releasedAtSource\``);
  }
}
