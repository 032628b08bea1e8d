import { GraphQLIncludeDirective, GraphQLSkipDirective, Kind, getDirectiveValues, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * Whether the field being resolved selects `name` directly below it (through fragments and
 * inline fragments, honouring `@skip` and `@include`), so a resolver can leave out work nobody
 * asked for: the list query's `totalCount` scans the matching documents.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  const visited = new Set<string>();
  const included = (node: Parameters<typeof getDirectiveValues>[1]) =>
    getDirectiveValues(GraphQLSkipDirective, node, info.variableValues)?.if !== true &&
    getDirectiveValues(GraphQLIncludeDirective, node, info.variableValues)?.if !== false;
  const search = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).some((selection) => {
      if (!included(selection)) return false;
      if (selection.kind === Kind.FIELD) return selection.name.value === name;
      if (selection.kind === Kind.INLINE_FRAGMENT) return search(selection.selectionSet);
      const fragment = info.fragments[selection.name.value];
      if (!fragment || visited.has(fragment.name.value)) return false;
      visited.add(fragment.name.value);
      return search(fragment.selectionSet);
    });
  return info.fieldNodes.some((node) => search(node.selectionSet));
}
