import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * patch_event.evidence: how the new state was known, recorded with the event so the patch history report need not
 * join patch_state per row. Events stored before it take their state's current evidence (DERIVED when the state is
 * gone), which is what the report showed for them until now. patch_event refuses UPDATE (AuditTrail1796474129843), so
 * the backfill drops that trigger and creates it again, as it was, after (MariaDB commits each DDL statement, so this
 * runs with the server stopped, as every migration does).
 *
 * Replaces ix_patch_state_tenant_state (tenantId, state, changedAt, id) and ix_patch_state_changed (changedAt, id) by
 * ix_patch_state_tenant_changed (tenantId, changedAt, id): the patchStates page of one tenant walks it in order with or
 * without a state filter; the page over every tenant, the only one the second served, sorts (see the entity). The new
 * index is created before the old one is dropped: the tenant foreign key needs one of them at every moment.
 */
const NO_UPDATE = `BEFORE UPDATE ON \`patch_event\` FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'patch_event is append-only: UPDATE refused'`;

export class PatchEventEvidence1796499183511 implements MigrationInterface {
  name = 'PatchEventEvidence1796499183511';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`ix_patch_state_changed\` ON \`patch_state\``);
    await queryRunner.query(`CREATE INDEX \`ix_patch_state_tenant_changed\` ON \`patch_state\` (\`tenantId\`, \`changedAt\`, \`id\`)`);
    await queryRunner.query(`DROP INDEX \`ix_patch_state_tenant_state\` ON \`patch_state\``);
    await queryRunner.query(`ALTER TABLE \`patch_event\` ADD \`evidence\` varchar(16) NOT NULL`);
    await queryRunner.query(`DROP TRIGGER \`trg_patch_event_no_update\``);
    await queryRunner.query(
      `UPDATE \`patch_event\` pe LEFT JOIN \`patch_state\` ps ON ps.\`sourceDeviceId\` = pe.\`sourceDeviceId\` AND ps.\`updateId\` = pe.\`updateId\`
       SET pe.\`evidence\` = COALESCE(ps.\`evidence\`, 'DERIVED')`,
    );
    await queryRunner.query(`CREATE TRIGGER \`trg_patch_event_no_update\` ${NO_UPDATE}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`patch_event\` DROP COLUMN \`evidence\``);
    await queryRunner.query(`CREATE INDEX \`ix_patch_state_tenant_state\` ON \`patch_state\` (\`tenantId\`, \`state\`, \`changedAt\`, \`id\`)`);
    await queryRunner.query(`DROP INDEX \`ix_patch_state_tenant_changed\` ON \`patch_state\``);
    await queryRunner.query(`CREATE INDEX \`ix_patch_state_changed\` ON \`patch_state\` (\`changedAt\`, \`id\`)`);
  }
}
