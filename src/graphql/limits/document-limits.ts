import { Kind, visit, type DocumentNode, type FragmentDefinitionNode, type ParseOptions, type SelectionSetNode } from 'graphql';
import { AppError, ErrorCode } from '../../errors';

/**
 * The limits of a document on its own, before any schema or variable: introspection, aliases and
 * depth. Checked once per parsed document (operation-limits.ts caches the verdict).
 */
export interface DocumentLimits {
  /** Deepest field nesting, introspection included (`ofType` chains excepted). */
  readonly maxDepth: number;
  /** Most aliased fields in one document. */
  readonly maxAliases: number;
  /** False: `__schema` / `__type` are refused (`__typename` always works). */
  readonly introspection: boolean;
}

/**
 * The most tokens a document may hold, passed to graphql-js' parser (`maxTokens`), which refuses
 * a longer document as a syntax error (GRAPHQL_PARSE_FAILED) before anything walks it. The body
 * limit alone lets through documents whose walks recurse once per level: graphql-js' fragment-cycle
 * validation follows a chain of fragment spreads recursively and overflowed the stack at a
 * 5,000-fragment chain (about 40,000 tokens; 4,000 passed), an uncoded INTERNAL_SERVER_ERROR. At
 * 20,000 tokens such a chain is at most 2,500 long; a real document (the standard introspection
 * query is under 300 tokens) is far below.
 */
export const MAX_DOCUMENT_TOKENS = 20_000;
export const PARSE_OPTIONS: ParseOptions = { maxTokens: MAX_DOCUMENT_TOKENS };

/** The first document limit broken (introspection, then aliases, then depth), or null. */
export function checkDocument(document: DocumentNode, limits: DocumentLimits): AppError | null {
  let aliases = 0;
  let introspection: string | null = null;
  visit(document, {
    Field(node) {
      if (node.alias) aliases += 1;
      if (introspection === null && (node.name.value === '__schema' || node.name.value === '__type')) introspection = node.name.value;
    },
  });
  if (introspection !== null && !limits.introspection) {
    return new AppError(ErrorCode.INTROSPECTION_DISABLED, `introspection (${introspection as string}) is disabled on this server (CANONQL_INTROSPECTION)`);
  }
  if (aliases > limits.maxAliases) {
    return new AppError(ErrorCode.ALIAS_LIMIT_EXCEEDED, `the document has ${aliases} aliased fields; at most ${limits.maxAliases} are allowed`, {
      details: { aliases, max: limits.maxAliases },
    });
  }
  const depth = documentDepth(document);
  if (depth > limits.maxDepth) {
    return new AppError(ErrorCode.DEPTH_LIMIT_EXCEEDED, `the operation nests fields deeper than the maximum depth of ${limits.maxDepth}`, {
      details: { max: limits.maxDepth },
    });
  }
  return null;
}

/**
 * Fields along the deepest path of any operation (`{ a { b } }`: 2), fragments followed.
 * Introspection fields count: `__schema { types { fields { type { fields …` is the classic depth
 * bomb (graphql-depth-limit skips `__` fields, hence this walk). `ofType` does not count: the
 * standard introspection query nests it to unwrap list and non-null types, and its depth is
 * bounded by the schema's wrappers. Each fragment's depth is computed once (a fragment's depth
 * does not depend on where it is spread), so the walk is linear in the document's size.
 */
export function documentDepth(document: DocumentNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const known = new Map<string, number>();
  const visiting = new Set<string>();
  const fragmentDepth = (name: string): number => {
    const memo = known.get(name);
    if (memo !== undefined) return memo;
    const fragment = fragments.get(name);
    if (!fragment || visiting.has(name)) return 0; // unknown fragments and cycles are validation errors already
    visiting.add(name);
    const depth = depthOf(fragment.selectionSet);
    visiting.delete(name);
    known.set(name, depth);
    return depth;
  };
  const depthOf = (set: SelectionSetNode): number => {
    let deepest = 0;
    for (const selection of set.selections) {
      let depth: number;
      if (selection.kind === Kind.FIELD) {
        depth = (selection.name.value === 'ofType' ? 0 : 1) + (selection.selectionSet ? depthOf(selection.selectionSet) : 0);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        depth = depthOf(selection.selectionSet);
      } else {
        depth = fragmentDepth(selection.name.value);
      }
      deepest = Math.max(deepest, depth);
    }
    return deepest;
  };
  let deepest = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) deepest = Math.max(deepest, depthOf(definition.selectionSet));
  }
  return deepest;
}
