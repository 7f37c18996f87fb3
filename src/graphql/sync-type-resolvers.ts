import { GraphQLSchema, GraphQLTypeResolver, isAbstractType } from 'graphql';
import { getMetadataStorage } from 'type-graphql';

/**
 * Gives each interface and union the type resolver it was declared with, answering synchronously. type-graphql
 * wraps every declared resolveType in an async function, so even `value.constructor.name` became a promise:
 * graphql-js waits for it, but the compiled executor (compiled-execution.ts) takes only a type name, and a
 * promise per node is a microtask per node anyway. Answers as type-graphql's wrapper does: a type name as given,
 * a class as the name of the object type declared by it, a promise through the same mapping.
 */
export function useSynchronousTypeResolvers(schema: GraphQLSchema): GraphQLSchema {
  const storage = getMetadataStorage();
  const typeNameOf = (resolved: unknown): string | undefined => {
    if (!resolved || typeof resolved === 'string') return (resolved as string | undefined) || undefined;
    return storage.objectTypes.find((o) => o.target === resolved)?.name;
  };
  for (const declared of [...storage.interfaceTypes, ...storage.unions]) {
    const type = schema.getType(declared.name);
    const resolveType = declared.resolveType;
    if (!resolveType || !isAbstractType(type)) continue;
    const resolver: GraphQLTypeResolver<unknown, unknown> = (value, context, info, abstractType) => {
      const resolved: unknown = resolveType(value, context, info, abstractType);
      return typeof (resolved as PromiseLike<unknown> | null)?.then === 'function'
        ? Promise.resolve(resolved).then(typeNameOf)
        : typeNameOf(resolved);
    };
    type.resolveType = resolver;
  }
  return schema;
}
