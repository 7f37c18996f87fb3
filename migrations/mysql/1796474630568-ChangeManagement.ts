import { MigrationInterface, QueryRunner } from 'typeorm';

export class ChangeManagement1796474630568 implements MigrationInterface {
  name = 'ChangeManagement1796474630568';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`change_approval\` (\`id\` varchar(36) NOT NULL, \`changeId\` varchar(36) NOT NULL, \`approverId\` varchar(200) NOT NULL, \`approvedBy\` varchar(200) NOT NULL, \`comment\` text NULL, \`approvedAt\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_change_approval_approver\` (\`changeId\`, \`approverId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`change_request\` (\`id\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NOT NULL, \`reference\` varchar(32) NOT NULL, \`type\` varchar(16) NOT NULL, \`state\` varchar(16) NOT NULL, \`title\` varchar(500) NOT NULL, \`description\` text NOT NULL, \`updateIds\` text NOT NULL, \`targets\` text NOT NULL, \`risk\` varchar(16) NOT NULL, \`impact\` text NOT NULL, \`testPlan\` text NULL, \`rollbackPlan\` text NULL, \`plannedStart\` datetime(3) NOT NULL, \`plannedEnd\` datetime(3) NOT NULL, \`requestedBy\` varchar(200) NOT NULL, \`requesterId\` varchar(200) NOT NULL, \`externalTickets\` text NOT NULL, \`startedAt\` datetime(3) NULL, \`finishedAt\` datetime(3) NULL, \`closureCode\` varchar(32) NULL, \`review\` text NULL, \`evidence\` text NULL, \`createdAt\` datetime(3) NOT NULL, \`updatedAt\` datetime(3) NOT NULL, INDEX \`ix_change_request_tenant\` (\`tenantId\`, \`createdAt\`, \`id\`), UNIQUE INDEX \`uq_change_request_reference\` (\`reference\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`change_sequence\` (\`year\` int NOT NULL, \`lastNumber\` int NOT NULL, PRIMARY KEY (\`year\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`deployment_ring\` (\`id\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NOT NULL, \`name\` varchar(200) NOT NULL, \`position\` int NOT NULL, \`assetIds\` text NOT NULL, \`minSuccessRate\` double NOT NULL, \`minDevices\` int NOT NULL, \`soakHours\` int NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`createdBy\` varchar(200) NOT NULL, UNIQUE INDEX \`uq_deployment_ring_position\` (\`tenantId\`, \`position\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`maintenance_window\` (\`id\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NOT NULL, \`siteId\` varchar(36) NULL, \`ringId\` varchar(36) NULL, \`name\` varchar(200) NOT NULL, \`rrule\` varchar(500) NOT NULL, \`firstStart\` varchar(19) NOT NULL, \`timeZone\` varchar(64) NOT NULL, \`durationMinutes\` int NOT NULL, \`createdAt\` datetime(3) NOT NULL, \`createdBy\` varchar(200) NOT NULL, INDEX \`ix_maintenance_window_tenant\` (\`tenantId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`ix_maintenance_window_tenant\` ON \`maintenance_window\``);
    await queryRunner.query(`DROP TABLE \`maintenance_window\``);
    await queryRunner.query(`DROP INDEX \`uq_deployment_ring_position\` ON \`deployment_ring\``);
    await queryRunner.query(`DROP TABLE \`deployment_ring\``);
    await queryRunner.query(`DROP TABLE \`change_sequence\``);
    await queryRunner.query(`DROP INDEX \`uq_change_request_reference\` ON \`change_request\``);
    await queryRunner.query(`DROP INDEX \`ix_change_request_tenant\` ON \`change_request\``);
    await queryRunner.query(`DROP TABLE \`change_request\``);
    await queryRunner.query(`DROP INDEX \`uq_change_approval_approver\` ON \`change_approval\``);
    await queryRunner.query(`DROP TABLE \`change_approval\``);
  }
}
