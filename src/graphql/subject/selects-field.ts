import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  getDirectiveValues,
  type FieldNode,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from 'graphql';

/**
 * Whether the field being resolved selects `name` directly below it (through fragments and
 * inline fragments, honouring `@skip` and `@include`), so a resolver can leave out work nobody
 * asked for: the list query's `totalCount` scans the matching documents.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  return selectedFields(info, info.fieldNodes).some((field) => field.name.value === name);
}

/**
 * The fields selected directly below `parents` (the field being resolved: `info.fieldNodes`; or
 * fields found by an earlier call, to go a level further down), through fragments and inline
 * fragments, leaving out what `@skip` or `@include` leaves out for this request's variables.
 */
export function selectedFields(info: GraphQLResolveInfo, parents: readonly FieldNode[]): FieldNode[] {
  const found: FieldNode[] = [];
  const visited = new Set<string>();
  const included = (node: Parameters<typeof getDirectiveValues>[1]) =>
    getDirectiveValues(GraphQLSkipDirective, node, info.variableValues)?.if !== true &&
    getDirectiveValues(GraphQLIncludeDirective, node, info.variableValues)?.if !== false;
  const collect = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) found.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet);
      else {
        const fragment = info.fragments[selection.name.value];
        if (!fragment || visited.has(fragment.name.value)) continue;
        visited.add(fragment.name.value);
        collect(fragment.selectionSet);
      }
    }
  };
  for (const parent of parents) collect(parent.selectionSet);
  return found;
}
