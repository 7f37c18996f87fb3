import { MigrationInterface, QueryRunner } from 'typeorm';

export class SharedCatalogTrust1796459209793 implements MigrationInterface {
  name = 'SharedCatalogTrust1796459209793';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_update_catalog_key"`);
    await queryRunner.query(`DROP INDEX "ix_update_kb"`);
    await queryRunner.query(`DROP INDEX "ix_update_released"`);
    await queryRunner.query(`DROP INDEX "ix_update_classification"`);
    await queryRunner.query(`DROP INDEX "ix_update_severity"`);
    await queryRunner.query(`CREATE TABLE "temporary_software_update" ("id" varchar(36) PRIMARY KEY NOT NULL, "catalogKey" varchar(191) NOT NULL, "kb" varchar(32), "title" varchar(512) NOT NULL, "vendor" varchar(64) NOT NULL, "products" text NOT NULL, "classification" varchar(32) NOT NULL, "severity" varchar(16) NOT NULL, "maxCvssBaseScore" decimal(3,1), "releasedAt" datetime(3) NOT NULL, "supersedes" text NOT NULL, "createdAt" datetime(3) NOT NULL, "updatedAt" datetime(3) NOT NULL, "owner" varchar(36) NOT NULL DEFAULT ('shared'))`);
    await queryRunner.query(`INSERT INTO "temporary_software_update"("id", "catalogKey", "kb", "title", "vendor", "products", "classification", "severity", "maxCvssBaseScore", "releasedAt", "supersedes", "createdAt", "updatedAt") SELECT "id", "catalogKey", "kb", "title", "vendor", "products", "classification", "severity", "maxCvssBaseScore", "releasedAt", "supersedes", "createdAt", "updatedAt" FROM "software_update"`);
    await queryRunner.query(`DROP TABLE "software_update"`);
    await queryRunner.query(`ALTER TABLE "temporary_software_update" RENAME TO "software_update"`);
    await queryRunner.query(`CREATE INDEX "ix_update_kb" ON "software_update" ("kb") `);
    await queryRunner.query(`CREATE INDEX "ix_update_released" ON "software_update" ("releasedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_update_classification" ON "software_update" ("classification", "releasedAt") `);
    await queryRunner.query(`CREATE INDEX "ix_update_severity" ON "software_update" ("severity", "releasedAt") `);
    await queryRunner.query(`CREATE INDEX "ix_update_owner" ON "software_update" ("owner", "releasedAt", "id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_update_catalog_key" ON "software_update" ("catalogKey", "owner") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_update_catalog_key"`);
    await queryRunner.query(`DROP INDEX "ix_update_owner"`);
    await queryRunner.query(`DROP INDEX "ix_update_severity"`);
    await queryRunner.query(`DROP INDEX "ix_update_classification"`);
    await queryRunner.query(`DROP INDEX "ix_update_released"`);
    await queryRunner.query(`DROP INDEX "ix_update_kb"`);
    await queryRunner.query(`CREATE TABLE "temporary_software_update" ("id" varchar(36) PRIMARY KEY NOT NULL, "catalogKey" varchar(191) NOT NULL, "kb" varchar(32), "title" varchar(512) NOT NULL, "vendor" varchar(64) NOT NULL, "products" text NOT NULL, "classification" varchar(32) NOT NULL, "severity" varchar(16) NOT NULL, "maxCvssBaseScore" decimal(3,1), "releasedAt" datetime(3) NOT NULL, "supersedes" text NOT NULL, "createdAt" datetime(3) NOT NULL, "updatedAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`INSERT INTO "temporary_software_update"("id", "catalogKey", "kb", "title", "vendor", "products", "classification", "severity", "maxCvssBaseScore", "releasedAt", "supersedes", "createdAt", "updatedAt") SELECT "id", "catalogKey", "kb", "title", "vendor", "products", "classification", "severity", "maxCvssBaseScore", "releasedAt", "supersedes", "createdAt", "updatedAt" FROM "software_update"`);
    await queryRunner.query(`DROP TABLE "software_update"`);
    await queryRunner.query(`ALTER TABLE "temporary_software_update" RENAME TO "software_update"`);
    await queryRunner.query(`CREATE INDEX "ix_update_severity" ON "software_update" ("severity", "releasedAt") `);
    await queryRunner.query(`CREATE INDEX "ix_update_classification" ON "software_update" ("classification", "releasedAt") `);
    await queryRunner.query(`CREATE INDEX "ix_update_released" ON "software_update" ("releasedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_update_kb" ON "software_update" ("kb") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_update_catalog_key" ON "software_update" ("catalogKey") `);
  }
}
