/**
 * `patchgraph secrets rotate-key (--new-key-file PATH | --generate) [--dry-run]`: re-encrypts the stored connector
 * secrets under a new key and installs it (see src/secrets/rotate-key.ts). The report names files and counts only:
 * a key never reaches the terminal, so a terminal log or CI output cannot leak it.
 */
import { hostname, userInfo } from 'node:os';
import { Writable } from 'node:stream';
import { Config } from '../config/config';
import { checkRotateOptions, rotateSecretKey, RotateKeyOptions } from '../secrets/rotate-key';
import { createLogger } from '../server/logger';
import { systemClock } from '../util/clock';
import { openDatabase } from './open-database';

/** Who ran the command, for the audit event: the operating-system account and host. */
function cliActor(): string {
  try {
    return `cli:${userInfo().username}@${hostname()}`;
  } catch {
    // No passwd entry for the uid (a container running as an arbitrary user).
    return `cli:uid ${process.getuid?.() ?? '?'}@${hostname()}`;
  }
}

export async function secretsRotateKeyCommand(config: Config, options: RotateKeyOptions, out: NodeJS.WriteStream | Writable = process.stdout): Promise<number> {
  checkRotateOptions(options);
  const logger = createLogger({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const dataSource = await openDatabase(config, logger);
  try {
    await rotateSecretKey({ dataSource, config, clock: systemClock, actor: cliActor(), say: (line) => void out.write(`${line}\n`) }, options);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}
