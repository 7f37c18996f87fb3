/**
 * `patchgraph report evidence-pack`: the evidence pack for a tenant, policy and date, from the database directly, as
 * an all-tenants caller named `cli:<os user>` (the name on the pack's cover and in its report.generated audit event).
 * The file appears only when it is complete (written beside it, then renamed), and is recorded only then; a pack past
 * PATCHGRAPH_EVIDENCE_PACK_MAX_ROWS is refused while it is gathered, before any file is opened.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { TenantScope } from '../access/tenant-scope';
import { Config } from '../config/config';
import { UserInputError } from '../errors';
import { toGlobalId } from '../graphql/types/global-id';
import { buildEvidencePack, recordEvidencePack } from '../reports/evidence-pack/evidence-pack';
import { PACK_CLI_FIELDS, resolvePackRequest } from '../reports/evidence-pack/request';
import { createLogger } from '../server/logger';
import { Clock, systemClock } from '../util/clock';
import { cliActor, tenantIdOf } from './keys.command';
import { openDatabase } from './open-database';

export interface EvidencePackOptions {
  tenant?: string;
  policy?: string;
  date?: string;
  from?: string;
  knownAt?: string;
  out?: string;
}

export async function reportEvidencePackCommand(config: Config, options: EvidencePackOptions, err: NodeJS.WriteStream | Writable = process.stderr, clock: Clock = systemClock): Promise<number> {
  if (!options.out) throw new UserInputError('--out', 'is required: the .zip file to write');
  if (options.out === '-') throw new UserInputError('--out', 'must be a file: a pack is a ZIP, not text for a terminal');
  if (options.tenant === undefined) throw new UserInputError('--tenant', 'is required: the tenant\'s id or exact name');
  const logger = createLogger({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel }, process.stderr);
  const dataSource = await openDatabase(config, logger);
  try {
    const generatedAt = clock.now();
    const tenant = await tenantIdOf(dataSource, options.tenant);
    const ask = await resolvePackRequest(dataSource, TenantScope.allTenants(), clock, { ...options, tenant }, PACK_CLI_FIELDS);
    const pack = await buildEvidencePack(dataSource, ask, cliActor(), config.evidencePackMaxRows);
    const target = options.out;
    const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
    try {
      writeFileSync(partial, pack.bytes, { flag: 'wx' });
      renameSync(partial, target);
    } catch (e) {
      rmSync(partial, { force: true });
      const code = (e as NodeJS.ErrnoException).code;
      if (code) throw new UserInputError('--out', `cannot write ${target}: ${code}`);
      throw e;
    }
    const { event } = await recordEvidencePack(dataSource, pack, generatedAt, clock.now());
    const d = pack.data;
    err.write(
      `wrote ${target}: evidence pack for ${d.tenantName}, ${ask.policy.key} (version ${ask.policy.version}) as of ${ask.asOf.toISOString()}, period from ${ask.from.toISOString()}, known at ${ask.knownAt.toISOString()}\n` +
        `${d.assets.length} assets, ${d.findings.length} findings, ${d.exceptions.length} exceptions in force, ${d.changes.length} change records; audit chain ${d.chain.ok ? 'verified' : `BROKEN (${d.chain.breaks.length} breaks)`}\n` +
        `sha256 ${pack.sha256}; recorded as report ${toGlobalId('AuditEvent', event.id)} (patchgraph report verify ${target})\n`,
    );
    return 0;
  } finally {
    await dataSource.destroy();
  }
}
