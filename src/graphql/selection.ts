import { FieldNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';

/**
 * Indicates the field being resolved asks for the sub-field `name` of its value, in any of its fragments. A
 * sub-field under a directive (@include, @skip) counts as not asked: callers use this to load ahead what the
 * sub-field would load anyway, so answering "no" only forgoes that.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  // Every item of a list resolves the field with the same field nodes: answered once per operation and name.
  let answers = answered.get(info.fieldNodes);
  if (!answers) answered.set(info.fieldNodes, (answers = new Map()));
  let answer = answers.get(name);
  if (answer === undefined) answers.set(name, (answer = searchSelection(info, name)));
  return answer;
}

const answered = new WeakMap<readonly FieldNode[], Map<string, boolean>>();

function searchSelection(info: GraphQLResolveInfo, name: string): boolean {
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
