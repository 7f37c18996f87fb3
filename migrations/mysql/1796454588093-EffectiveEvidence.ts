import { MigrationInterface, QueryRunner } from 'typeorm';
import { backfillEffectiveStates } from '../backfill-effective-states';

export class EffectiveEvidence1796454588093 implements MigrationInterface {
  name = 'EffectiveEvidence1796454588093';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`source_device\` ADD \`enrolledAt\` datetime(3) NULL`);
    await queryRunner.query(`ALTER TABLE \`patch_state\` ADD \`effective\` tinyint NOT NULL DEFAULT 0`);
    await backfillEffectiveStates(queryRunner, (n) => `\`${n}\``);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`patch_state\` DROP COLUMN \`effective\``);
    await queryRunner.query(`ALTER TABLE \`source_device\` DROP COLUMN \`enrolledAt\``);
  }
}
