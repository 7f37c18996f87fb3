import { MigrationInterface, QueryRunner } from 'typeorm';

export class PatchEventSourceUpdateIndex1796468461609 implements MigrationInterface {
  name = 'PatchEventSourceUpdateIndex1796468461609';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX \`ix_patch_event_source_update\` ON \`patch_event\` (\`sourceDeviceId\`, \`updateId\`, \`observedAt\`)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`ix_patch_event_source_update\` ON \`patch_event\``);
  }
}
