import { MigrationInterface, QueryRunner } from 'typeorm';

export class ApiKeyLifecycle1796464308677 implements MigrationInterface {
  name = 'ApiKeyLifecycle1796464308677';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_api_key_hash"`);
    await queryRunner.query(`CREATE TABLE "temporary_api_key" ("id" varchar(36) PRIMARY KEY NOT NULL, "name" varchar(200) NOT NULL, "prefix" varchar(16) NOT NULL, "secretHash" varchar(64) NOT NULL, "role" varchar(32) NOT NULL, "allTenants" boolean NOT NULL, "tenantIds" text NOT NULL, "createdAt" datetime(3) NOT NULL, "lastUsedAt" datetime(3), "revokedAt" datetime(3), "expiresAt" datetime(3), "createdBy" varchar(500) NOT NULL DEFAULT ('unknown'), "rotatedAt" datetime(3))`);
    await queryRunner.query(`INSERT INTO "temporary_api_key"("id", "name", "prefix", "secretHash", "role", "allTenants", "tenantIds", "createdAt", "lastUsedAt", "revokedAt") SELECT "id", "name", "prefix", "secretHash", "role", "allTenants", "tenantIds", "createdAt", "lastUsedAt", "revokedAt" FROM "api_key"`);
    await queryRunner.query(`DROP TABLE "api_key"`);
    await queryRunner.query(`ALTER TABLE "temporary_api_key" RENAME TO "api_key"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_key_hash" ON "api_key" ("secretHash") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_api_key_hash"`);
    await queryRunner.query(`CREATE TABLE "temporary_api_key" ("id" varchar(36) PRIMARY KEY NOT NULL, "name" varchar(200) NOT NULL, "prefix" varchar(16) NOT NULL, "secretHash" varchar(64) NOT NULL, "role" varchar(32) NOT NULL, "allTenants" boolean NOT NULL, "tenantIds" text NOT NULL, "createdAt" datetime(3) NOT NULL, "lastUsedAt" datetime(3), "revokedAt" datetime(3))`);
    await queryRunner.query(`INSERT INTO "temporary_api_key"("id", "name", "prefix", "secretHash", "role", "allTenants", "tenantIds", "createdAt", "lastUsedAt", "revokedAt") SELECT "id", "name", "prefix", "secretHash", "role", "allTenants", "tenantIds", "createdAt", "lastUsedAt", "revokedAt" FROM "api_key"`);
    await queryRunner.query(`DROP TABLE "api_key"`);
    await queryRunner.query(`ALTER TABLE "temporary_api_key" RENAME TO "api_key"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_key_hash" ON "api_key" ("secretHash") `);
  }
}
