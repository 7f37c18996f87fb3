import { defaultFieldResolver, GraphQLField, GraphQLSchema, isObjectType } from 'graphql';
import { Permission, PERMISSIONS } from '../auth/permissions';
import { ForbiddenError } from '../errors';
import { RequestContext } from './context';

/** What the authorization layer did during one request; the backstop refuses a request in which it did nothing. */
export class AuthorizationRecord {
  checks = 0;
}

const ROOT_TYPES = ['Query', 'Mutation', 'Subscription'];

/**
 * Installs the permission matrix on the schema: every root field and every field the matrix names is wrapped in
 * one check. A root field the matrix does not name, or a matrix entry naming a field that does not exist, is a
 * programming error caught when the schema is built, so an operation can neither ship unguarded nor keep a
 * stale rule.
 */
export function enforcePermissions(schema: GraphQLSchema, matrix: Record<string, Permission> = PERMISSIONS): GraphQLSchema {
  const lookup = (coordinate: string) => (Object.hasOwn(matrix, coordinate) ? matrix[coordinate] : undefined);
  const guarded = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      const permission = lookup(coordinate);
      if (!permission) {
        if (ROOT_TYPES.includes(type.name)) throw new Error(`${coordinate} has no entry in the permission matrix (src/auth/permissions.ts)`);
        continue;
      }
      guard(field, coordinate, permission);
      guarded.add(coordinate);
    }
  }
  const stale = Object.keys(matrix).filter((c) => !c.includes(' ') && !guarded.has(c));
  if (stale.length > 0) throw new Error(`the permission matrix names fields the schema does not have: ${stale.join(', ')}`);
  return schema;
}

/** The rule as the schema's documentation states it, so a client reads who may call a field where it reads the field. */
function ruleText(permission: Permission): string {
  const who = permission.grantees.join(', ');
  const scope = permission.allTenantsOnly ? ' with access to all tenants' : '';
  if (permission.denial === 'redacted') return `Full value for ${who}${scope}.`;
  return `Allowed for ${who}${scope}.`;
}

function guard(field: GraphQLField<unknown, RequestContext>, coordinate: string, permission: Permission): void {
  field.description = [field.description?.replace(/\.?\s*$/, '.'), ruleText(permission)].filter(Boolean).join(' ');
  const inner = field.resolve ?? defaultFieldResolver;
  const redacted = permission.denial === 'redacted';
  field.resolve = (root, args, context, info) => {
    const { principal } = context;
    context.authz.checks++;
    if (!permission.grantees.includes(principal.role)) {
      // A redacted field's resolver decides what a principal without the role sees; it asks the matrix again.
      if (redacted) return inner(root, args, context, info);
      throw new ForbiddenError(`Your role (${principal.role}) may not use ${coordinate}`);
    }
    if (permission.allTenantsOnly && !principal.scope.all) {
      throw new ForbiddenError(`${coordinate} needs a principal with access to all tenants`);
    }
    return inner(root, args, context, info);
  };
}
