import { Field, ID, InterfaceType } from 'type-graphql';

/**
 * Relay's Node. The entities implement it, so it lives with them, below the GraphQL layer. The `id` every
 * implementing type exposes is the opaque global id ("Asset:<uuid>", base64url); schema.ts installs that resolver
 * once for all of them, so no resolver can leak a raw key.
 */
@InterfaceType({
  description: 'An object with a globally unique, opaque id',
  resolveType: (value: object) => value.constructor?.name,
})
export abstract class Node {
  @Field(() => ID, { description: 'Opaque global id of the object; node(id:) resolves it' })
  id: string;
}
