import { MigrationInterface, QueryRunner } from 'typeorm';

export class ChangeManagement1796474630568 implements MigrationInterface {
  name = 'ChangeManagement1796474630568';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "change_approval" ("id" varchar(36) PRIMARY KEY NOT NULL, "changeId" varchar(36) NOT NULL, "approverId" varchar(200) NOT NULL, "approvedBy" varchar(200) NOT NULL, "comment" text, "approvedAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_change_approval_approver" ON "change_approval" ("changeId", "approverId") `);
    await queryRunner.query(`CREATE TABLE "change_request" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "reference" varchar(32) NOT NULL, "type" varchar(16) NOT NULL, "state" varchar(16) NOT NULL, "title" varchar(500) NOT NULL, "description" text NOT NULL, "updateIds" text NOT NULL, "targets" text NOT NULL, "risk" varchar(16) NOT NULL, "impact" text NOT NULL, "testPlan" text, "rollbackPlan" text, "plannedStart" datetime(3) NOT NULL, "plannedEnd" datetime(3) NOT NULL, "requestedBy" varchar(200) NOT NULL, "requesterId" varchar(200) NOT NULL, "externalTickets" text NOT NULL, "startedAt" datetime(3), "finishedAt" datetime(3), "closureCode" varchar(32), "review" text, "evidence" text, "createdAt" datetime(3) NOT NULL, "updatedAt" datetime(3) NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "ix_change_request_tenant" ON "change_request" ("tenantId", "createdAt", "id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_change_request_reference" ON "change_request" ("reference") `);
    await queryRunner.query(`CREATE TABLE "change_sequence" ("year" integer PRIMARY KEY NOT NULL, "lastNumber" integer NOT NULL)`);
    await queryRunner.query(`CREATE TABLE "deployment_ring" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "name" varchar(200) NOT NULL, "position" integer NOT NULL, "assetIds" text NOT NULL, "minSuccessRate" double NOT NULL, "minDevices" integer NOT NULL, "soakHours" integer NOT NULL, "createdAt" datetime(3) NOT NULL, "createdBy" varchar(200) NOT NULL)`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_deployment_ring_position" ON "deployment_ring" ("tenantId", "position") `);
    await queryRunner.query(`CREATE TABLE "maintenance_window" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenantId" varchar(36) NOT NULL, "siteId" varchar(36), "ringId" varchar(36), "name" varchar(200) NOT NULL, "rrule" varchar(500) NOT NULL, "firstStart" varchar(19) NOT NULL, "timeZone" varchar(64) NOT NULL, "durationMinutes" integer NOT NULL, "createdAt" datetime(3) NOT NULL, "createdBy" varchar(200) NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "ix_maintenance_window_tenant" ON "maintenance_window" ("tenantId") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_maintenance_window_tenant"`);
    await queryRunner.query(`DROP TABLE "maintenance_window"`);
    await queryRunner.query(`DROP INDEX "uq_deployment_ring_position"`);
    await queryRunner.query(`DROP TABLE "deployment_ring"`);
    await queryRunner.query(`DROP TABLE "change_sequence"`);
    await queryRunner.query(`DROP INDEX "uq_change_request_reference"`);
    await queryRunner.query(`DROP INDEX "ix_change_request_tenant"`);
    await queryRunner.query(`DROP TABLE "change_request"`);
    await queryRunner.query(`DROP INDEX "uq_change_approval_approver"`);
    await queryRunner.query(`DROP TABLE "change_approval"`);
  }
}
