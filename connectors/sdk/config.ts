/**
 * Connector configuration: a flat class whose properties carry class-validator rules and one `@Setting` each.
 * `@Setting` documents the field (the API lists it for the portal) and marks secrets, which the core stores
 * encrypted and never returns or logs. `parseConfig` turns untrusted input into a validated instance or throws a
 * ConfigError naming the first bad field.
 */
import 'reflect-metadata';
import { validateSync } from 'class-validator';
import type { ConnectorDefinition } from './contract';
import { ConfigError } from './errors';

export type SettingType = 'string' | 'number' | 'boolean';

export interface SettingOptions {
  description: string;
  /** Stored encrypted, accepted on write, never returned or logged. */
  secret?: boolean;
  /** Absent values are allowed (pair with class-validator's @IsOptional). */
  optional?: boolean;
}

export interface SettingInfo extends Required<SettingOptions> {
  name: string;
  type: SettingType;
}

const SETTINGS = new WeakMap<object, SettingInfo[]>();

/** Declares a configuration field. The type comes from the TypeScript type (string, number or boolean). */
export function Setting(options: SettingOptions): PropertyDecorator {
  return (target, property) => {
    const name = String(property);
    const designType = Reflect.getMetadata('design:type', target, property);
    const type: SettingType = designType === Number ? 'number' : designType === Boolean ? 'boolean' : 'string';
    const list = SETTINGS.get(target.constructor) ?? [];
    list.push({ name, type, description: options.description, secret: options.secret ?? false, optional: options.optional ?? false });
    SETTINGS.set(target.constructor, list);
  };
}

/** The declared settings of a config class, in declaration order. */
export function settingsOf(configClass: new () => object): SettingInfo[] {
  return [...(SETTINGS.get(configClass) ?? [])];
}

export function secretNames(configClass: new () => object): string[] {
  return settingsOf(configClass).filter((s) => s.secret).map((s) => s.name);
}

/**
 * Validates raw configuration (public settings and secrets merged) for a connector kind. Unknown fields, wrong
 * types and failed rules throw ConfigError(field); the message never repeats the value, which may be a secret.
 */
export function parseConfig<C extends object>(definition: ConnectorDefinition<C>, raw: unknown): C {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('config', 'must be an object');
  const settings = settingsOf(definition.configClass);
  const byName = new Map(settings.map((s) => [s.name, s]));
  for (const key of Object.keys(raw)) {
    if (!byName.has(key)) throw new ConfigError(key, `is not a setting of the ${definition.kind} connector`);
  }
  const instance = new definition.configClass();
  const fields = instance as Record<string, unknown>;
  for (const s of settings) {
    const value = (raw as Record<string, unknown>)[s.name];
    if (value === undefined || value === null || value === '') {
      if (!s.optional && fields[s.name] === undefined) throw new ConfigError(s.name, 'is required');
      continue;
    }
    if (typeof value !== s.type) throw new ConfigError(s.name, `must be a ${s.type}`);
    fields[s.name] = value;
  }
  const errors = validateSync(instance, { forbidUnknownValues: false, validationError: { target: false, value: false } });
  if (errors.length > 0) {
    const first = errors[0];
    const reason = Object.values(first.constraints ?? {})[0] ?? 'is invalid';
    // class-validator messages start with the property name; keep the reason only, the field is named separately.
    throw new ConfigError(first.property, reason.startsWith(first.property) ? reason.slice(first.property.length).trim() : reason);
  }
  return instance;
}

/** Splits raw configuration into what may be shown (public) and what is stored encrypted (secrets). */
export function splitSecrets(configClass: new () => object, raw: Record<string, unknown>): { public: Record<string, unknown>; secrets: Record<string, unknown> } {
  const secret = new Set(secretNames(configClass));
  const pub: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) (secret.has(k) ? secrets : pub)[k] = v;
  return { public: pub, secrets };
}
