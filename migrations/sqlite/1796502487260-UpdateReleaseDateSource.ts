import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Written by hand: the generator rebuilds software_update to add a column, and dropping that table in down() fails
 * on the foreign keys of patch states and fix links that reference it. SQLite adds and drops a column in place.
 */
export class UpdateReleaseDateSource1796502487260 implements MigrationInterface {
  name = 'UpdateReleaseDateSource1796502487260';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "software_update" ADD COLUMN "releasedAtSource" varchar(16) NOT NULL DEFAULT ('SOURCE')`);
    // Entries every tenant shares were always written from Microsoft's data; tenants' own entries from a source's date.
    await queryRunner.query(`UPDATE "software_update" SET "releasedAtSource" = 'MICROSOFT' WHERE "owner" = 'shared'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "software_update" DROP COLUMN "releasedAtSource"`);
  }
}
