import { GraphQLFieldResolver, GraphQLScalarType, GraphQLSchema, isObjectType } from 'graphql';
import { getMetadataStorage } from 'type-graphql';

type Storage = ReturnType<typeof getMetadataStorage>;
type FieldResolverMeta = Storage['fieldResolvers'][number];
type Param = NonNullable<FieldResolverMeta['params']>[number];
type Resolve = GraphQLFieldResolver<unknown, unknown>;

// What type-graphql hands a scalar argument through unchanged: its convertToType returns such values as they are,
// and its validation (class-validator) looks only at objects.
const SCALAR_CLASSES = new Set<unknown>([String, Number, Boolean, Date]);

/**
 * Calls the field resolver methods whose parameters need nothing of type-graphql directly, instead of through its
 * per-call machinery: a resolver-data object, a container look-up, parameters sorted and mapped, and for each
 * argument an async validation that makes every call a promise and two microtasks, even for an enum list. On a
 * nested portal page that is the machinery of 800 calls (Asset.sources, Asset.patchStates, PatchState.update).
 *
 * A method qualifies when each parameter is the root, the context (or a property of it), the info, or an argument
 * of a scalar or enum type without a validator of its own, and the field has no middleware or role: for those
 * type-graphql passes the values through unchanged. Arguments of input types, @Args classes and custom parameters
 * keep type-graphql (conversion to class instances, validation). A root that is not an instance of the declared
 * class, which type-graphql would copy into one, goes to type-graphql's resolver. Run it on the schema type-graphql
 * built, before the permission guards and global ids wrap the resolvers.
 */
export function useDirectFieldResolvers(schema: GraphQLSchema, resolvers: readonly Function[]): GraphQLSchema {
  const storage = getMetadataStorage();
  const used = storage.fieldResolvers.filter((r) => r.kind === 'internal' || resolvers.includes(r.target));
  const enums = new Set<unknown>(storage.enums.map((e) => e.enumObj));
  const instances = new Map<Function, object>();
  for (const objectType of storage.objectTypes) {
    const type = schema.getType(objectType.name);
    if (!isObjectType(type)) continue;
    const fields = type.getFields();
    for (const field of objectType.fields ?? []) {
      // The resolver type-graphql chose for this field: the first one for its class and name (schema-generator.js).
      const meta = used.find((r) => r.getObjectType?.() === field.target && r.methodName === field.name);
      const schemaField = fields[field.schemaName];
      if (!meta || meta.kind !== 'external' || !schemaField?.resolve) continue;
      if (meta.middlewares?.length || meta.roles?.length || field.middlewares?.length || field.roles?.length) continue;
      const params = [...(meta.params ?? [])].sort((a, b) => a.index - b.index);
      if (!params.every((p) => passesThrough(p, enums))) continue;
      let instance = instances.get(meta.target);
      if (!instance) instances.set(meta.target, (instance = new (meta.target as new () => object)()));
      schemaField.resolve = direct(instance, meta.methodName, params, schemaField.resolve);
    }
  }
  return schema;
}

function passesThrough(p: Param, enums: ReadonlySet<unknown>): boolean {
  switch (p.kind) {
    case 'root':
      return !p.propertyName;
    case 'context':
    case 'info':
      return true;
    case 'arg': {
      if (p.validateFn || p.validateSettings !== undefined) return false;
      const type = p.getType();
      return type instanceof GraphQLScalarType || SCALAR_CLASSES.has(type) || enums.has(type);
    }
    default:
      return false;
  }
}

function direct(instance: object, methodName: string, params: readonly Param[], typeGraphql: Resolve): Resolve {
  const method = (instance as Record<string, (...args: unknown[]) => unknown>)[methodName];
  const rootParam = params.find((p) => p.kind === 'root');
  const rootType = rootParam?.kind === 'root' ? rootParam.getType?.() : undefined;
  const rootClass = typeof rootType === 'function' && !SCALAR_CLASSES.has(rootType) ? rootType : undefined;
  const pick = params.map((p): ((root: unknown, args: Record<string, unknown>, ctx: unknown, info: unknown) => unknown) => {
    switch (p.kind) {
      case 'root':
        return (root) => root;
      case 'context': {
        const property = p.propertyName;
        return property ? (_r, _a, ctx) => (ctx as Record<string, unknown>)[property] : (_r, _a, ctx) => ctx;
      }
      case 'info':
        return (_r, _a, _c, info) => info;
      case 'arg': {
        const name = p.name;
        // type-graphql maps a list argument to a new array of the same values.
        return (_r, args) => (Array.isArray(args[name]) ? [...(args[name] as unknown[])] : args[name]);
      }
      default:
        throw new Error(`unexpected parameter kind ${p.kind}`);
    }
  });
  return (root, args, ctx, info) => {
    if (rootClass && root != null && !(root instanceof rootClass)) return typeGraphql(root, args, ctx, info);
    const values = new Array<unknown>(pick.length);
    for (let i = 0; i < pick.length; i++) values[i] = pick[i](root, args as Record<string, unknown>, ctx, info);
    return method.apply(instance, values);
  };
}
