/**
 * Validation rules several connectors' settings share, as class-validator decorators. The message is what the
 * operator sees after the field name (ConfigError), so it says what to type, not what went wrong inside.
 */
import { IsInt, IsOptional, isURL, Max, Min, registerDecorator } from 'class-validator';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why `value` is not an https URL (http only to this machine, for simulators and local proxies), or undefined. */
export function secureUrlProblem(value: unknown): string | undefined {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    return 'must be an absolute https URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return undefined;
  // Credentials and tokens travel to this host: plain http would expose them on the network.
  return 'must be an https URL (plain http is allowed only to localhost)';
}

/** An https URL; plain http only to localhost. Combine with @IsOptional() for optional settings. */
export function SecureUrl(): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      name: 'secureUrl',
      target: target.constructor,
      propertyName: String(property),
      validator: {
        validate: (value) => secureUrlProblem(value) === undefined,
        defaultMessage: (args) => secureUrlProblem(args!.value) ?? 'is invalid',
      },
    });
}

export const given = (value: unknown): boolean => value !== undefined && value !== null && value !== '';

/**
 * Why a given `value` is not an absolute http(s) URL, or undefined (also when it is not given). For a service on
 * the customer's own network, where plain http is legitimate; a vendor's cloud API takes @SecureUrl().
 */
export function httpUrlProblem(value: unknown): string | undefined {
  if (!given(value)) return undefined;
  if (typeof value !== 'string' || !isURL(value, { require_protocol: true, require_tld: false, protocols: ['http', 'https'] })) {
    return 'must be an absolute http(s) URL';
  }
  return undefined;
}

/** An absolute http(s) URL (see httpUrlProblem). Optional by nature: an absent value passes. */
export function HttpUrl(): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      name: 'httpUrl',
      target: target.constructor,
      propertyName: String(property),
      validator: {
        validate: (value) => httpUrlProblem(value) === undefined,
        defaultMessage: (args) => httpUrlProblem(args!.value) ?? 'is invalid',
      },
    });
}

/**
 * One rule over the whole configuration, reported against the property it decorates. class-validator's stock
 * decorators look at one value at a time, and @IsOptional would skip a rule exactly when the value is missing,
 * which is when "tokenUrl needs clientSecret" has to fire. `check` returns the problem, or undefined when fine.
 */
export function Rule<C>(check: (value: unknown, config: C) => string | undefined): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      name: 'configRule',
      target: target.constructor,
      propertyName: String(property),
      validator: {
        validate: (value, args) => check(value, args!.object as C) === undefined,
        defaultMessage: (args) => check(args!.value, args!.object as C) ?? 'is invalid',
      },
    });
}

/** Days without a check-in before a device is reported inactive: the range and default every connector offers. */
export const STALE_AFTER_DAYS = { min: 1, max: 365, default: 30 } as const;

/**
 * An optional whole number within `range`, with the messages every connector's numeric settings give:
 * "must be a whole number[ of <unit>]", "must be at least <min>", "must be at most <max>".
 */
export function OptionalWholeNumber(range: { min: number; max: number }, unit?: string): PropertyDecorator {
  const rules = [
    IsOptional(),
    IsInt({ message: unit ? `must be a whole number of ${unit}` : 'must be a whole number' }),
    Min(range.min, { message: `must be at least ${range.min}` }),
    Max(range.max, { message: `must be at most ${range.max}` }),
  ];
  return (target, property) => rules.forEach((rule) => rule(target, property));
}
