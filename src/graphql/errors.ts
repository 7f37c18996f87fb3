import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ValidationError } from 'class-validator';
import { ArgumentValidationError, AuthorizationError } from 'type-graphql';
import { PatchgraphError } from '../errors';

/** Codes a client can rely on; anything else is reported as INTERNAL_SERVER_ERROR. */
const PASS_THROUGH = new Set([
  'BAD_USER_INPUT', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT',
  'QUERY_TOO_COMPLEX', 'QUERY_TOO_DEEP', 'QUERY_TOO_LARGE', 'QUERY_TOO_MANY_ALIASES', 'QUERY_TOO_MANY_DIRECTIVES',
  'RATE_LIMITED', 'RATE_LIMITER_UNAVAILABLE',
]);

/**
 * Inputs are arguments named by convention: `input` for mutations, `filter`/`orderBy` for lists, plain
 * arguments for paging. The class-validator error knows only the class, so the class name gives the prefix.
 */
function argumentPrefix(target: object | undefined): string {
  const name = target?.constructor?.name ?? '';
  if (name.endsWith('FilterInput')) return 'filter.';
  if (name.endsWith('OrderInput')) return 'orderBy.';
  if (name.endsWith('Input')) return 'input.';
  return '';
}

function flatten(errors: ValidationError[], path: string): Array<{ field: string; message: string }> {
  return errors.flatMap((e) => {
    const field = `${path}${e.property}`;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], `${field}.`)];
  });
}

export interface FormatOptions {
  /** When false (development), unexpected errors keep their message; stack traces never leave either way. */
  maskInternalErrors: boolean;
  onInternalError(error: unknown): void;
}

export function createErrorFormatter(options: FormatOptions) {
  return (formatted: GraphQLFormattedError, raw: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(raw);
    const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };

    if (original instanceof PatchgraphError) {
      return { ...base, message: original.message, extensions: { code: original.code, ...original.extensions() } };
    }
    if (original instanceof ArgumentValidationError) {
      const problems = flatten(original.extensions.validationErrors as ValidationError[], '');
      const prefix = argumentPrefix((original.extensions.validationErrors as ValidationError[])[0]?.target);
      const fields = problems.map((p) => ({ field: prefix + p.field, message: p.message }));
      return {
        ...base,
        message: fields.map((p) => `${p.field}: ${p.message}`).join('; ') || 'Invalid input',
        extensions: { code: 'BAD_USER_INPUT', field: fields[0]?.field, problems: fields },
      };
    }
    if (original instanceof AuthorizationError) {
      return { ...base, message: 'Your role does not allow this operation', extensions: { code: 'FORBIDDEN' } };
    }
    // A validation rule's own code (e.g. QUERY_TOO_DEEP) is wrapped by Apollo as GRAPHQL_VALIDATION_FAILED.
    const inner = raw instanceof GraphQLError && raw.originalError instanceof GraphQLError ? raw.originalError : null;
    const innerCode = inner?.extensions?.code as string | undefined;
    if (inner && innerCode && innerCode !== formatted.extensions?.code && PASS_THROUGH.has(innerCode)) {
      const { http: _http, ...extensions } = inner.extensions;
      return { ...base, message: inner.message, extensions };
    }
    const code = formatted.extensions?.code as string | undefined;
    if (code && PASS_THROUGH.has(code)) {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      return { ...base, extensions };
    }
    options.onInternalError(original);
    return {
      ...base,
      message: options.maskInternalErrors ? 'Internal server error' : formatted.message,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
