import { MigrationInterface, QueryRunner } from 'typeorm';

export class ChangeWebhooks1796477196175 implements MigrationInterface {
  name = 'ChangeWebhooks1796477196175';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`change_webhook\` (\`id\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NULL, \`url\` varchar(2000) NOT NULL, \`secretCiphertext\` text NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`createdBy\` varchar(200) NOT NULL, INDEX \`ix_change_webhook_tenant\` (\`tenantId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`webhook_delivery\` (\`id\` varchar(36) NOT NULL, \`webhookId\` varchar(36) NOT NULL, \`changeId\` varchar(36) NOT NULL, \`event\` varchar(64) NOT NULL, \`sequence\` int NOT NULL, \`payload\` text NOT NULL, \`attempts\` int NOT NULL, \`nextAttemptAt\` datetime(3) NOT NULL, \`deliveredAt\` datetime(3) NULL, \`failedAt\` datetime(3) NULL, \`lastError\` text NULL, \`createdAt\` datetime(3) NOT NULL, INDEX \`ix_webhook_delivery_due\` (\`deliveredAt\`, \`failedAt\`, \`nextAttemptAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`ix_webhook_delivery_due\` ON \`webhook_delivery\``);
    await queryRunner.query(`DROP TABLE \`webhook_delivery\``);
    await queryRunner.query(`DROP INDEX \`ix_change_webhook_tenant\` ON \`change_webhook\``);
    await queryRunner.query(`DROP TABLE \`change_webhook\``);
  }
}
