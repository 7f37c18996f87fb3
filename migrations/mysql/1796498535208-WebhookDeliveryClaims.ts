import { MigrationInterface, QueryRunner } from 'typeorm';

export class WebhookDeliveryClaims1796498535208 implements MigrationInterface {
  name = 'WebhookDeliveryClaims1796498535208';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`webhook_delivery\` ADD \`claimedBy\` varchar(36) NULL`);
    await queryRunner.query(`ALTER TABLE \`webhook_delivery\` ADD \`claimedUntil\` datetime(3) NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`webhook_delivery\` DROP COLUMN \`claimedUntil\``);
    await queryRunner.query(`ALTER TABLE \`webhook_delivery\` DROP COLUMN \`claimedBy\``);
  }
}
