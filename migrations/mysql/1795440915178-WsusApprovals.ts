import { MigrationInterface, QueryRunner } from 'typeorm';

export class WsusApprovals1795440915178 implements MigrationInterface {
  name = 'WsusApprovals1795440915178';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`update_approval\` (\`id\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NOT NULL, \`connectorInstanceId\` varchar(36) NOT NULL, \`updateId\` varchar(36) NOT NULL, \`externalId\` varchar(255) NOT NULL, \`groupName\` varchar(255) NOT NULL, \`action\` varchar(32) NOT NULL, \`approvedAt\` datetime(3) NULL, \`approvedBy\` varchar(255) NULL, \`recordedAt\` datetime(3) NOT NULL, INDEX \`ix_update_approval_tenant\` (\`tenantId\`, \`approvedAt\`), INDEX \`ix_update_approval_update\` (\`updateId\`, \`approvedAt\`), UNIQUE INDEX \`uq_update_approval_external\` (\`connectorInstanceId\`, \`externalId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`ALTER TABLE \`update_approval\` ADD CONSTRAINT \`fk_update_approval_tenant\` FOREIGN KEY (\`tenantId\`) REFERENCES \`tenant\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`update_approval\` DROP FOREIGN KEY \`fk_update_approval_tenant\``);
    await queryRunner.query(`DROP INDEX \`uq_update_approval_external\` ON \`update_approval\``);
    await queryRunner.query(`DROP INDEX \`ix_update_approval_update\` ON \`update_approval\``);
    await queryRunner.query(`DROP INDEX \`ix_update_approval_tenant\` ON \`update_approval\``);
    await queryRunner.query(`DROP TABLE \`update_approval\``);
  }
}
