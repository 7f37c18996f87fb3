import { GraphQLResolveInfo, SelectionSetNode } from 'graphql';

/**
 * Indicates the field being resolved asks for the sub-field `name` of its value, in any of its fragments. A
 * sub-field under a directive (@include, @skip) counts as not asked: callers use this to load ahead what the
 * sub-field would load anyway, so answering "no" only forgoes that.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  const seen = new Set<string>();
  const within = (set: SelectionSetNode | undefined): boolean =>
    !!set?.selections.some((s) => {
      if (s.kind === 'Field') return s.name.value === name && !s.directives?.length;
      if (s.kind === 'InlineFragment') return !s.directives?.length && within(s.selectionSet);
      if (s.directives?.length || seen.has(s.name.value)) return false;
      seen.add(s.name.value);
      return within(info.fragments[s.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((node) => within(node.selectionSet));
}
