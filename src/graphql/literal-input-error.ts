import { GraphQLError, Kind, parse, print, visit, type ASTNode, type DocumentNode, type ValueNode } from 'graphql';

/**
 * A malformed scalar literal written in the document (`where: {amount: {gt: "12,50"}}`) is
 * refused by graphql-js's validation with the error our scalar's `parseLiteral` threw, which
 * knows the value but not where it was written; Apollo then codes it GRAPHQL_VALIDATION_FAILED.
 * A variable with the same value is BAD_USER_INPUT naming its path (`at "w.amount.gt"`). This
 * gives the literal the same answer: BAD_USER_INPUT with `argument` (the path from the argument,
 * or from `$variable` for a variable's default value) and `value`, read from the document by the
 * literal's position. Any other validation error is left alone (null).
 */
export function literalInputError(error: GraphQLError, document?: DocumentNode): GraphQLError | null {
  const scalarError = error.originalError instanceof GraphQLError ? error.originalError : error;
  if (scalarError.extensions?.code !== 'BAD_USER_INPUT') return null;
  const node = error.nodes?.[0];
  if (!node || !isValueNode(node) || !node.loc) return null;
  let parsed = document;
  if (!parsed) {
    try {
      parsed = parse(node.loc.source);
    } catch {
      return null;
    }
  }
  const argument = argumentPathAt(parsed, node.loc.start, node.loc.end, node.kind);
  if (argument === null) return null;
  const value = node.kind === Kind.STRING ? node.value : print(node);
  return new GraphQLError(`Argument "${argument.split(/[.[]/)[0]}" has an invalid value at "${argument}": ${scalarError.message}`, {
    nodes: error.nodes ?? null,
    extensions: { code: 'BAD_USER_INPUT', argument, value },
  });
}

function isValueNode(node: ASTNode): node is ValueNode {
  return [Kind.STRING, Kind.INT, Kind.FLOAT, Kind.BOOLEAN, Kind.ENUM, Kind.NULL, Kind.LIST, Kind.OBJECT].includes(node.kind as Kind);
}

/** `where.amount.gt`, `ids[2]`, `$w.at.lt`: the literal at [start, end) named from its argument (or variable). */
function argumentPathAt(document: DocumentNode, start: number, end: number, kind: Kind): string | null {
  let found: string | null = null;
  visit(document, {
    enter(node, _key, parent, _path, ancestors) {
      if (found !== null) return false;
      if (!node.loc || node.loc.end < start || node.loc.start > end) return false;
      if (node.kind !== kind || node.loc.start !== start || node.loc.end !== end) return undefined;
      // `ancestors` stops before the parent.
      const chain = [...ancestors, parent].filter((a): a is ASTNode => !Array.isArray(a) && typeof a === 'object' && a !== null && 'kind' in a);
      chain.push(node);
      const parts: string[] = [];
      for (let i = 0; i < chain.length; i += 1) {
        const at = chain[i]!;
        if (at.kind === Kind.ARGUMENT) parts.splice(0, parts.length, at.name.value);
        else if (at.kind === Kind.VARIABLE_DEFINITION) parts.splice(0, parts.length, `$${at.variable.name.value}`);
        else if (at.kind === Kind.OBJECT_FIELD) parts.push(`.${at.name.value}`);
        else if (at.kind === Kind.LIST) {
          const next = chain[i + 1];
          const index = next ? at.values.indexOf(next as ValueNode) : -1;
          if (index >= 0) parts.push(`[${index}]`);
        }
      }
      found = parts.length > 0 ? parts.join('') : null;
      return false;
    },
  });
  return found;
}
