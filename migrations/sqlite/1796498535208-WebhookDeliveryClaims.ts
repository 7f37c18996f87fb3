import { MigrationInterface, QueryRunner } from 'typeorm';

export class WebhookDeliveryClaims1796498535208 implements MigrationInterface {
  name = 'WebhookDeliveryClaims1796498535208';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_webhook_delivery_due"`);
    await queryRunner.query(`CREATE TABLE "temporary_webhook_delivery" ("id" varchar(36) PRIMARY KEY NOT NULL, "webhookId" varchar(36) NOT NULL, "changeId" varchar(36) NOT NULL, "event" varchar(64) NOT NULL, "sequence" integer NOT NULL, "payload" text NOT NULL, "attempts" integer NOT NULL, "nextAttemptAt" datetime(3) NOT NULL, "deliveredAt" datetime(3), "failedAt" datetime(3), "lastError" text, "createdAt" datetime(3) NOT NULL, "claimedBy" varchar(36), "claimedUntil" datetime(3))`);
    await queryRunner.query(`INSERT INTO "temporary_webhook_delivery"("id", "webhookId", "changeId", "event", "sequence", "payload", "attempts", "nextAttemptAt", "deliveredAt", "failedAt", "lastError", "createdAt") SELECT "id", "webhookId", "changeId", "event", "sequence", "payload", "attempts", "nextAttemptAt", "deliveredAt", "failedAt", "lastError", "createdAt" FROM "webhook_delivery"`);
    await queryRunner.query(`DROP TABLE "webhook_delivery"`);
    await queryRunner.query(`ALTER TABLE "temporary_webhook_delivery" RENAME TO "webhook_delivery"`);
    await queryRunner.query(`CREATE INDEX "ix_webhook_delivery_due" ON "webhook_delivery" ("deliveredAt", "failedAt", "nextAttemptAt") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_webhook_delivery_due"`);
    await queryRunner.query(`CREATE TABLE "temporary_webhook_delivery" ("id" varchar(36) PRIMARY KEY NOT NULL, "webhookId" varchar(36) NOT NULL, "changeId" varchar(36) NOT NULL, "event" varchar(64) NOT NULL, "sequence" integer NOT NULL, "payload" text NOT NULL, "attempts" integer NOT NULL, "nextAttemptAt" datetime(3) NOT NULL, "deliveredAt" datetime(3), "failedAt" datetime(3), "lastError" text, "createdAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`INSERT INTO "temporary_webhook_delivery"("id", "webhookId", "changeId", "event", "sequence", "payload", "attempts", "nextAttemptAt", "deliveredAt", "failedAt", "lastError", "createdAt") SELECT "id", "webhookId", "changeId", "event", "sequence", "payload", "attempts", "nextAttemptAt", "deliveredAt", "failedAt", "lastError", "createdAt" FROM "webhook_delivery"`);
    await queryRunner.query(`DROP TABLE "webhook_delivery"`);
    await queryRunner.query(`ALTER TABLE "temporary_webhook_delivery" RENAME TO "webhook_delivery"`);
    await queryRunner.query(`CREATE INDEX "ix_webhook_delivery_due" ON "webhook_delivery" ("deliveredAt", "failedAt", "nextAttemptAt") `);
  }
}
