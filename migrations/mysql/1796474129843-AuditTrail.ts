import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The append-only tables refuse UPDATE, and DELETE unless the retention job's permit row exists (it exists only
 * inside that job's uncommitted transaction, which no other session reads). The chain heads are never deleted and
 * only move forward, to the event just appended. Creating triggers needs the TRIGGER privilege (and, with binary
 * logging on, SUPER or log_bin_trust_function_creators).
 */
const APPEND_ONLY = ['audit_event', 'patch_event', 'patch_posture_event', 'run_event_leaves'];
const refuse = (message: string) => `SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${message}'`;
const TRIGGERS: Array<[string, string]> = [
  ...APPEND_ONLY.flatMap((t): Array<[string, string]> => [
    [`trg_${t}_no_update`, `BEFORE UPDATE ON \`${t}\` FOR EACH ROW ${refuse(`${t} is append-only: UPDATE refused`)}`],
    [
      `trg_${t}_no_delete`,
      `BEFORE DELETE ON \`${t}\` FOR EACH ROW BEGIN IF NOT EXISTS (SELECT 1 FROM \`audit_prune_permit\`) THEN ${refuse(`${t} is append-only: DELETE refused (retention: patchgraph audit prune)`)}; END IF; END`,
    ],
  ]),
  ['trg_audit_chain_head_no_delete', `BEFORE DELETE ON \`audit_chain_head\` FOR EACH ROW ${refuse('audit_chain_head rows are never deleted')}`],
  [
    'trg_audit_chain_head_forward',
    `BEFORE UPDATE ON \`audit_chain_head\` FOR EACH ROW BEGIN
      IF NEW.\`chainKey\` <> OLD.\`chainKey\` OR NEW.\`seq\` <> OLD.\`seq\` + 1
        OR NOT EXISTS (SELECT 1 FROM \`audit_event\` e WHERE e.\`chainKey\` = NEW.\`chainKey\` AND e.\`seq\` = NEW.\`seq\` AND e.\`hash\` = NEW.\`hash\`)
      THEN ${refuse('audit_chain_head only moves forward, to the event just appended')}; END IF; END`,
  ],
];

export class AuditTrail1796474129843 implements MigrationInterface {
  name = 'AuditTrail1796474129843';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`audit_prune_permit\` (\`id\` varchar(36) NOT NULL, \`grantedAt\` datetime(3) NOT NULL, PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`run_event_leaves\` (\`id\` varchar(36) NOT NULL, \`syncRunId\` varchar(36) NOT NULL, \`tenantId\` varchar(36) NOT NULL, \`chunk\` int NOT NULL, \`entries\` text NOT NULL, INDEX \`ix_run_event_leaves_tenant\` (\`tenantId\`, \`syncRunId\`), UNIQUE INDEX \`uq_run_event_leaves_chunk\` (\`syncRunId\`, \`tenantId\`, \`chunk\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE INDEX \`ix_audit_event_target\` ON \`audit_event\` (\`targetType\`, \`targetId\`)`);
    await queryRunner.query(`CREATE INDEX \`ix_patch_event_run\` ON \`patch_event\` (\`syncRunId\`, \`tenantId\`)`);
    await queryRunner.query(`CREATE INDEX \`ix_patch_posture_event_run\` ON \`patch_posture_event\` (\`syncRunId\`, \`tenantId\`)`);
    for (const [name, body] of TRIGGERS) await queryRunner.query(`CREATE TRIGGER \`${name}\` ${body}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [name] of [...TRIGGERS].reverse()) await queryRunner.query(`DROP TRIGGER \`${name}\``);
    await queryRunner.query(`DROP INDEX \`ix_patch_posture_event_run\` ON \`patch_posture_event\``);
    await queryRunner.query(`DROP INDEX \`ix_patch_event_run\` ON \`patch_event\``);
    await queryRunner.query(`DROP INDEX \`ix_audit_event_target\` ON \`audit_event\``);
    await queryRunner.query(`DROP INDEX \`uq_run_event_leaves_chunk\` ON \`run_event_leaves\``);
    await queryRunner.query(`DROP INDEX \`ix_run_event_leaves_tenant\` ON \`run_event_leaves\``);
    await queryRunner.query(`DROP TABLE \`run_event_leaves\``);
    await queryRunner.query(`DROP TABLE \`audit_prune_permit\``);
  }
}
