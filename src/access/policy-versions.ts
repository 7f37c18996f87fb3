import { DataSource, EntityManager } from 'typeorm';
import { CompliancePolicy } from '../entities';
import { UserInputError } from '../errors';
import { PolicyDefinition } from '../compliance/policy-definition';
import { PRESETS } from '../compliance/presets';

/** The version a built-in preset answers with: presets change only with the code, which has its own history. */
export const BUILTIN_VERSION = 'builtin';

/** One version of a policy, preset or custom, as every reader sees it. */
export interface PolicyVersion {
  key: string;
  /** "builtin" for a preset; "1", "2", … for a custom policy's versions. */
  version: string;
  builtIn: boolean;
  definition: PolicyDefinition;
  /** When the version was recorded; null for a preset. */
  createdAt: Date | null;
}

export const isPresetKey = (key: string): boolean => Object.prototype.hasOwnProperty.call(PRESETS, key);

function preset(key: string): PolicyVersion {
  return { key, version: BUILTIN_VERSION, builtIn: true, definition: PRESETS[key], createdAt: null };
}

function custom(row: CompliancePolicy): PolicyVersion {
  return { key: row.policyKey, version: String(row.version), builtIn: false, definition: JSON.parse(row.definition) as PolicyDefinition, createdAt: row.createdAt };
}

/**
 * The policies there are: the presets in code and the custom ones MSP admins recorded. Custom policies belong to the
 * MSP, not to a tenant, and every role may read them (a client must know the rules it is measured by), so no tenant
 * scope applies here.
 */
export class PolicyVersions {
  constructor(private readonly dataSource: DataSource) {}

  /** The presets in their declared order, then the latest version of each custom policy by key. */
  async list(): Promise<PolicyVersion[]> {
    const rows = await this.dataSource
      .createQueryBuilder(CompliancePolicy, 'p')
      .where('p.version = (SELECT MAX(p2.version) FROM compliance_policy p2 WHERE p2.policyKey = p.policyKey)')
      .orderBy('p.policyKey', 'ASC')
      .getMany();
    return [...Object.keys(PRESETS).map(preset), ...rows.map(custom)];
  }

  /**
   * One version of a policy: `version` "builtin" (or none) for a preset, a number (or none, for the latest) for a
   * custom one; null when there is no such policy or version.
   */
  async get(key: string, version?: string | null): Promise<PolicyVersion | null> {
    if (isPresetKey(key)) return version == null || version === BUILTIN_VERSION ? preset(key) : null;
    if (version != null && !/^[1-9]\d{0,8}$/.test(version)) {
      throw new UserInputError('version', `"${version}" is not a policy version: "${BUILTIN_VERSION}" for a preset, or a number`);
    }
    const qb = this.dataSource.createQueryBuilder(CompliancePolicy, 'p').where('p.policyKey = :key', { key });
    if (version != null) qb.andWhere('p.version = :version', { version: Number(version) });
    const row = await qb.orderBy('p.version', 'DESC').limit(1).getOne();
    return row ? custom(row) : null;
  }

  /** The version in force at `knownAt`: a preset, or the custom policy's latest version recorded by then. */
  async inForceAt(key: string, knownAt: Date): Promise<PolicyVersion | null> {
    if (isPresetKey(key)) return preset(key);
    const row = await this.dataSource
      .createQueryBuilder(CompliancePolicy, 'p')
      .where('p.policyKey = :key AND p.createdAt <= :knownAt', { key, knownAt })
      .orderBy('p.version', 'DESC')
      .limit(1)
      .getOne();
    return row ? custom(row) : null;
  }

  /** Every version of each key, oldest first; a preset has its one built-in version. */
  async versionsOf(keys: readonly string[]): Promise<Map<string, PolicyVersion[]>> {
    const out = new Map<string, PolicyVersion[]>(keys.map((k) => [k, isPresetKey(k) ? [preset(k)] : []]));
    const customKeys = keys.filter((k) => !isPresetKey(k));
    if (customKeys.length > 0) {
      const rows = await this.dataSource
        .createQueryBuilder(CompliancePolicy, 'p')
        .where('p.policyKey IN (:...keys)', { keys: [...new Set(customKeys)] })
        .orderBy('p.version', 'ASC')
        .getMany();
      for (const row of rows) out.get(row.policyKey)?.push(custom(row));
    }
    return out;
  }
}

/** Whether a policy of this key exists, read inside the caller's transaction. */
export async function policyExists(m: EntityManager, key: string): Promise<boolean> {
  if (isPresetKey(key)) return true;
  return (await m.createQueryBuilder(CompliancePolicy, 'p').where('p.policyKey = :key', { key }).getCount()) > 0;
}
