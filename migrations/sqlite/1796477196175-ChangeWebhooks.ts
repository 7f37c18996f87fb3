import { MigrationInterface, QueryRunner } from 'typeorm';

export class ChangeWebhooks1796477196175 implements MigrationInterface {
  name = 'ChangeWebhooks1796477196175';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "change_webhook" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36), "url" varchar(2000) NOT NULL, "secretCiphertext" text NOT NULL, "createdAt" datetime(3) NOT NULL, "createdBy" varchar(200) NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "ix_change_webhook_tenant" ON "change_webhook" ("tenantId") `);
    await queryRunner.query(`CREATE TABLE "webhook_delivery" ("id" varchar(36) PRIMARY KEY NOT NULL, "webhookId" varchar(36) NOT NULL, "changeId" varchar(36) NOT NULL, "event" varchar(64) NOT NULL, "sequence" integer NOT NULL, "payload" text NOT NULL, "attempts" integer NOT NULL, "nextAttemptAt" datetime(3) NOT NULL, "deliveredAt" datetime(3), "failedAt" datetime(3), "lastError" text, "createdAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "ix_webhook_delivery_due" ON "webhook_delivery" ("deliveredAt", "failedAt", "nextAttemptAt") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_webhook_delivery_due"`);
    await queryRunner.query(`DROP TABLE "webhook_delivery"`);
    await queryRunner.query(`DROP INDEX "ix_change_webhook_tenant"`);
    await queryRunner.query(`DROP TABLE "change_webhook"`);
  }
}
