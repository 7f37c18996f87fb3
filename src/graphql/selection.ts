import { FieldNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';

/**
 * Indicates the field being resolved may ask for the sub-field at `path` of its value (`'update'`, or
 * `'nodes', 'update'` through a page), in any of its fragments. A sub-field under a directive (@include, @skip)
 * counts as asked: callers load ahead what the sub-field reads, and some (PatchState.update) read only what was
 * loaded, so a "yes" too many costs a statement and a "no" too many would fail the field.
 */
export function selectsField(info: GraphQLResolveInfo, ...path: [string, ...string[]]): boolean {
  // Every item of a list resolves the field with the same field nodes: answered once per operation and path.
  let answers = answered.get(info.fieldNodes);
  if (!answers) answered.set(info.fieldNodes, (answers = new Map()));
  const key = path.join('.');
  let answer = answers.get(key);
  if (answer === undefined) answers.set(key, (answer = info.fieldNodes.some((node) => searchSelection(info, node.selectionSet, path))));
  return answer;
}

const answered = new WeakMap<readonly FieldNode[], Map<string, boolean>>();

function searchSelection(info: GraphQLResolveInfo, set: SelectionSetNode | undefined, path: readonly string[]): boolean {
  const [name, ...rest] = path;
  const seen = new Set<string>();
  const within = (selections: SelectionSetNode | undefined): boolean =>
    !!selections?.selections.some((s) => {
      if (s.kind === 'Field') return s.name.value === name && (rest.length === 0 || searchSelection(info, s.selectionSet, rest));
      if (s.kind === 'InlineFragment') return within(s.selectionSet);
      if (seen.has(s.name.value)) return false;
      seen.add(s.name.value);
      return within(info.fragments[s.name.value]?.selectionSet);
    });
  return within(set);
}
