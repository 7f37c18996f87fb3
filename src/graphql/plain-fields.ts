import { GraphQLSchema, isObjectType } from 'graphql';
import { getMetadataStorage } from 'type-graphql';

/**
 * Leaves plain property fields to graphql-js's default resolver. type-graphql gives every field a resolver of its
 * own, even one that only reads a property (a resolver-data object and a middleware dispatch per value), which on
 * a nested page of thousands of values cost more than reading them. A field keeps its resolver when it has a
 * field resolver or getter method, middlewares or roles, or a schema name other than its property name (the
 * default resolver reads the property named like the field); none of which the rest of the schema installs yet:
 * run this before the permission guards and global ids wrap resolvers.
 *
 * A getter is a property too (PatchState.update, a page's edges): the default resolver reads it as type-graphql's
 * did, on the condition that type-graphql never had to make the root an instance of its class first. Every row the
 * API resolves is one (TypeORM's entities, entityRows' rows, the pages' own classes).
 */
export function usePlainPropertyResolvers(schema: GraphQLSchema): GraphQLSchema {
  const storage = getMetadataStorage();
  const withResolver = new Map<Function, Set<string>>();
  for (const r of storage.fieldResolvers) {
    const target = r.getObjectType?.();
    if (!target || isGetter(target, r.methodName)) continue;
    if (!withResolver.has(target)) withResolver.set(target, new Set());
    withResolver.get(target)!.add(r.methodName);
  }
  const hasResolver = (target: Function, name: string) => withResolver.get(target)?.has(name) ?? false;
  for (const objectType of storage.objectTypes) {
    const type = schema.getType(objectType.name);
    if (!isObjectType(type)) continue;
    const fields = type.getFields();
    for (const meta of objectType.fields ?? []) {
      const field = fields[meta.schemaName];
      if (!field || meta.name !== meta.schemaName || meta.middlewares?.length || meta.roles?.length) continue;
      if (hasResolver(meta.target, meta.name) || hasResolver(objectType.target, meta.name)) continue;
      field.resolve = undefined;
    }
  }
  return schema;
}

function isGetter(target: Function, name: string): boolean {
  for (let proto = target.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (descriptor) return typeof descriptor.get === 'function';
  }
  return false;
}
