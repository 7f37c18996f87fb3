import { MigrationInterface, QueryRunner } from 'typeorm';

export class IntelSources1796465621665 implements MigrationInterface {
  name = 'IntelSources1796465621665';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "cve_intel" ("id" varchar(36) PRIMARY KEY NOT NULL, "cveId" varchar(32) NOT NULL, "kevDateAdded" date, "kevDueDate" date, "kevRansomware" boolean, "kevSourceId" varchar(36), "epssScore" double, "epssPercentile" double, "epssDate" date, "epssSourceId" varchar(36), "cvssBaseScore" decimal(3,1), "cvssVector" varchar(160), "cvssVersion" varchar(8), "cvssSourceId" varchar(36), "updatedAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_cve_intel_cve" ON "cve_intel" ("cveId") `);
    await queryRunner.query(`CREATE TABLE "intel_source" ("id" varchar(36) PRIMARY KEY NOT NULL, "kind" varchar(16) NOT NULL, "version" varchar(191) NOT NULL, "releasedAt" datetime(3), "sha256" varchar(64) NOT NULL, "fileName" varchar(255) NOT NULL, "importedAt" datetime(3) NOT NULL, "records" integer NOT NULL, "summary" text NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "ix_intel_source_kind" ON "intel_source" ("kind", "releasedAt") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_intel_source_sha256" ON "intel_source" ("sha256") `);
    await queryRunner.query(`DROP INDEX "uq_update_catalog_key"`);
    await queryRunner.query(`DROP INDEX "ix_update_owner"`);
    await queryRunner.query(`DROP INDEX "ix_update_severity"`);
    await queryRunner.query(`DROP INDEX "ix_update_classification"`);
    await queryRunner.query(`DROP INDEX "ix_update_released"`);
    await queryRunner.query(`DROP INDEX "ix_update_kb"`);
    await queryRunner.query(`CREATE TABLE "temporary_software_update" ("id" varchar(36) PRIMARY KEY NOT NULL, "catalogKey" varchar(191) NOT NULL, "kb" varchar(32), "title" varchar(512) NOT NULL, "vendor" varchar(64) NOT NULL, "products" text NOT NULL, "classification" varchar(32) NOT NULL, "severity" varchar(16) NOT NULL, "maxCvssBaseScore" decimal(3,1), "releasedAt" datetime(3) NOT NULL, "supersedes" text NOT NULL, "createdAt" datetime(3) NOT NULL, "updatedAt" datetime(3) NOT NULL, "owner" varchar(36) NOT NULL DEFAULT ('shared'), "fixedBuilds" text)`);
    await queryRunner.query(`INSERT INTO "temporary_software_update"("id", "catalogKey", "kb", "title", "vendor", "products", "classification", "severity", "maxCvssBaseScore", "releasedAt", "supersedes", "createdAt", "updatedAt", "owner") SELECT "id", "catalogKey", "kb", "title", "vendor", "products", "classification", "severity", "maxCvssBaseScore", "releasedAt", "supersedes", "createdAt", "updatedAt", "owner" FROM "software_update"`);
    await queryRunner.query(`DROP TABLE "software_update"`);
    await queryRunner.query(`ALTER TABLE "temporary_software_update" RENAME TO "software_update"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_update_catalog_key" ON "software_update" ("catalogKey", "owner") `);
    await queryRunner.query(`CREATE INDEX "ix_update_owner" ON "software_update" ("owner", "releasedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_update_severity" ON "software_update" ("severity", "releasedAt") `);
    await queryRunner.query(`CREATE INDEX "ix_update_classification" ON "software_update" ("classification", "releasedAt") `);
    await queryRunner.query(`CREATE INDEX "ix_update_released" ON "software_update" ("releasedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_update_kb" ON "software_update" ("kb") `);
    await queryRunner.query(`DROP INDEX "uq_vulnerability_cve"`);
    await queryRunner.query(`CREATE TABLE "temporary_vulnerability" ("id" varchar(36) PRIMARY KEY NOT NULL, "cveId" varchar(32) NOT NULL, "title" varchar(512), "cvssBaseScore" decimal(3,1), "cvssVector" varchar(160), "severity" varchar(16) NOT NULL, "exploited" boolean NOT NULL, "kevDateAdded" date, "kevDueDate" date, "epssScore" double, "publishedAt" datetime(3), "updatedAt" datetime(3) NOT NULL, "cvssVersion" varchar(8), "cvssSourceId" varchar(36), "vendorSourceId" varchar(36), "kevRansomware" boolean, "kevSourceId" varchar(36), "epssPercentile" double, "epssDate" date, "epssSourceId" varchar(36))`);
    await queryRunner.query(`INSERT INTO "temporary_vulnerability"("id", "cveId", "title", "cvssBaseScore", "cvssVector", "severity", "exploited", "kevDateAdded", "kevDueDate", "epssScore", "publishedAt", "updatedAt") SELECT "id", "cveId", "title", "cvssBaseScore", "cvssVector", "severity", "exploited", "kevDateAdded", "kevDueDate", "epssScore", "publishedAt", "updatedAt" FROM "vulnerability"`);
    await queryRunner.query(`DROP TABLE "vulnerability"`);
    await queryRunner.query(`ALTER TABLE "temporary_vulnerability" RENAME TO "vulnerability"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_vulnerability_cve" ON "vulnerability" ("cveId") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_vulnerability_cve"`);
    await queryRunner.query(`CREATE TABLE "temporary_vulnerability" ("id" varchar(36) PRIMARY KEY NOT NULL, "cveId" varchar(32) NOT NULL, "title" varchar(512), "cvssBaseScore" decimal(3,1), "cvssVector" varchar(160), "severity" varchar(16) NOT NULL, "exploited" boolean NOT NULL, "kevDateAdded" date, "kevDueDate" date, "epssScore" double, "publishedAt" datetime(3), "updatedAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`INSERT INTO "temporary_vulnerability"("id", "cveId", "title", "cvssBaseScore", "cvssVector", "severity", "exploited", "kevDateAdded", "kevDueDate", "epssScore", "publishedAt", "updatedAt") SELECT "id", "cveId", "title", "cvssBaseScore", "cvssVector", "severity", "exploited", "kevDateAdded", "kevDueDate", "epssScore", "publishedAt", "updatedAt" FROM "vulnerability"`);
    await queryRunner.query(`DROP TABLE "vulnerability"`);
    await queryRunner.query(`ALTER TABLE "temporary_vulnerability" RENAME TO "vulnerability"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_vulnerability_cve" ON "vulnerability" ("cveId") `);
    await queryRunner.query(`DROP INDEX "ix_update_kb"`);
    await queryRunner.query(`DROP INDEX "ix_update_released"`);
    await queryRunner.query(`DROP INDEX "ix_update_classification"`);
    await queryRunner.query(`DROP INDEX "ix_update_severity"`);
    await queryRunner.query(`DROP INDEX "ix_update_owner"`);
    await queryRunner.query(`DROP INDEX "uq_update_catalog_key"`);
    await queryRunner.query(`CREATE TABLE "temporary_software_update" ("id" varchar(36) PRIMARY KEY NOT NULL, "catalogKey" varchar(191) NOT NULL, "kb" varchar(32), "title" varchar(512) NOT NULL, "vendor" varchar(64) NOT NULL, "products" text NOT NULL, "classification" varchar(32) NOT NULL, "severity" varchar(16) NOT NULL, "maxCvssBaseScore" decimal(3,1), "releasedAt" datetime(3) NOT NULL, "supersedes" text NOT NULL, "createdAt" datetime(3) NOT NULL, "updatedAt" datetime(3) NOT NULL, "owner" varchar(36) NOT NULL DEFAULT ('shared'))`);
    await queryRunner.query(`INSERT INTO "temporary_software_update"("id", "catalogKey", "kb", "title", "vendor", "products", "classification", "severity", "maxCvssBaseScore", "releasedAt", "supersedes", "createdAt", "updatedAt", "owner") SELECT "id", "catalogKey", "kb", "title", "vendor", "products", "classification", "severity", "maxCvssBaseScore", "releasedAt", "supersedes", "createdAt", "updatedAt", "owner" FROM "software_update"`);
    await queryRunner.query(`DROP TABLE "software_update"`);
    await queryRunner.query(`ALTER TABLE "temporary_software_update" RENAME TO "software_update"`);
    await queryRunner.query(`CREATE INDEX "ix_update_kb" ON "software_update" ("kb") `);
    await queryRunner.query(`CREATE INDEX "ix_update_released" ON "software_update" ("releasedAt", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_update_classification" ON "software_update" ("classification", "releasedAt") `);
    await queryRunner.query(`CREATE INDEX "ix_update_severity" ON "software_update" ("severity", "releasedAt") `);
    await queryRunner.query(`CREATE INDEX "ix_update_owner" ON "software_update" ("owner", "releasedAt", "id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_update_catalog_key" ON "software_update" ("catalogKey", "owner") `);
    await queryRunner.query(`DROP INDEX "uq_intel_source_sha256"`);
    await queryRunner.query(`DROP INDEX "ix_intel_source_kind"`);
    await queryRunner.query(`DROP TABLE "intel_source"`);
    await queryRunner.query(`DROP INDEX "uq_cve_intel_cve"`);
    await queryRunner.query(`DROP TABLE "cve_intel"`);
  }
}
