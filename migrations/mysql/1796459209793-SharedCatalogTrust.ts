import { MigrationInterface, QueryRunner } from 'typeorm';

export class SharedCatalogTrust1796459209793 implements MigrationInterface {
  name = 'SharedCatalogTrust1796459209793';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`uq_update_catalog_key\` ON \`software_update\``);
    await queryRunner.query(`ALTER TABLE \`software_update\` ADD \`owner\` varchar(36) NOT NULL DEFAULT 'shared'`);
    await queryRunner.query(`CREATE INDEX \`ix_update_owner\` ON \`software_update\` (\`owner\`, \`releasedAt\`, \`id\`)`);
    await queryRunner.query(`CREATE UNIQUE INDEX \`uq_update_catalog_key\` ON \`software_update\` (\`catalogKey\`, \`owner\`)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`uq_update_catalog_key\` ON \`software_update\``);
    await queryRunner.query(`DROP INDEX \`ix_update_owner\` ON \`software_update\``);
    await queryRunner.query(`ALTER TABLE \`software_update\` DROP COLUMN \`owner\``);
    await queryRunner.query(`CREATE UNIQUE INDEX \`uq_update_catalog_key\` ON \`software_update\` (\`catalogKey\`)`);
  }
}
