import { MigrationInterface, QueryRunner } from 'typeorm';

export class ComplianceFoundations1796465252960 implements MigrationInterface {
  name = 'ComplianceFoundations1796465252960';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`advisory\` (\`id\` varchar(36) NOT NULL, \`authority\` varchar(64) NOT NULL, \`reference\` varchar(128) NOT NULL, \`title\` varchar(500) NOT NULL, \`noticeAt\` datetime(3) NOT NULL, \`cveIds\` text NOT NULL, \`kbs\` text NOT NULL, \`url\` text NULL, \`createdAt\` datetime(3) NOT NULL, \`createdBy\` varchar(200) NOT NULL, UNIQUE INDEX \`uq_advisory_reference\` (\`authority\`, \`reference\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`compliance_policy\` (\`id\` varchar(36) NOT NULL, \`policyKey\` varchar(64) NOT NULL, \`version\` int NOT NULL, \`name\` varchar(200) NOT NULL, \`definition\` text NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`createdBy\` varchar(200) NOT NULL, UNIQUE INDEX \`uq_compliance_policy_key_version\` (\`policyKey\`, \`version\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`policy_assignment\` (\`id\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NOT NULL, \`siteId\` varchar(36) NULL, \`policyKey\` varchar(64) NOT NULL, \`assignedAt\` datetime(3) NOT NULL, \`assignedBy\` varchar(200) NOT NULL, \`removedAt\` datetime(3) NULL, \`removedBy\` varchar(200) NULL, INDEX \`ix_policy_assignment_tenant\` (\`tenantId\`, \`policyKey\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`risk_exception\` (\`id\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NOT NULL, \`siteId\` varchar(36) NULL, \`assetId\` varchar(36) NULL, \`updateId\` varchar(36) NULL, \`cveId\` varchar(32) NULL, \`policyKey\` varchar(64) NULL, \`owner\` varchar(200) NOT NULL, \`reason\` text NOT NULL, \`compensatingControl\` text NULL, \`validFrom\` datetime(3) NOT NULL, \`expiresAt\` datetime(3) NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`createdBy\` varchar(200) NOT NULL, \`revokedAt\` datetime(3) NULL, \`revokedBy\` varchar(200) NULL, INDEX \`ix_risk_exception_tenant\` (\`tenantId\`, \`expiresAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`ALTER TABLE \`asset\` ADD \`assetClassOverride\` varchar(32) NULL`);
    await queryRunner.query(`ALTER TABLE \`asset\` ADD \`esuUntil\` date NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`asset\` DROP COLUMN \`esuUntil\``);
    await queryRunner.query(`ALTER TABLE \`asset\` DROP COLUMN \`assetClassOverride\``);
    await queryRunner.query(`DROP INDEX \`ix_risk_exception_tenant\` ON \`risk_exception\``);
    await queryRunner.query(`DROP TABLE \`risk_exception\``);
    await queryRunner.query(`DROP INDEX \`ix_policy_assignment_tenant\` ON \`policy_assignment\``);
    await queryRunner.query(`DROP TABLE \`policy_assignment\``);
    await queryRunner.query(`DROP INDEX \`uq_compliance_policy_key_version\` ON \`compliance_policy\``);
    await queryRunner.query(`DROP TABLE \`compliance_policy\``);
    await queryRunner.query(`DROP INDEX \`uq_advisory_reference\` ON \`advisory\``);
    await queryRunner.query(`DROP TABLE \`advisory\``);
  }
}
