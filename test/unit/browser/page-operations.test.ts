import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, NoDeprecatedCustomRule, parse, specifiedRules, validate, type OperationDefinitionNode } from 'graphql';
import * as studio from '../../../src/browser/studio/operations';
import { DEMO_QUERY } from '../../../src/graphql/demo-query';

// Every GraphQL operation the studio page sends, and the explorer's pre-filled query, validated against the committed SDL: a root
// field renamed or removed, an argument retyped, fails here instead of in someone's browser.
const sdl = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'schema', 'graphql', 'canonql.graphql'), 'utf8');
const schema = buildSchema(sdl);

const operations: [string, string][] = Object.entries(studio as Record<string, unknown>).flatMap(([name, value]) => {
  const document = typeof value === 'object' && value !== null ? (value as { document?: unknown }).document : undefined;
  return typeof document === 'string' ? [[name, document] as [string, string]] : [];
});

describe('the GraphQL operations of the studio page', () => {
  it('are all found (one constant per operation the page sends)', () => {
    expect(operations.map(([name]) => name).sort()).toEqual([
      'ACTIVATE_SPEC',
      'DEACTIVATE_SPEC',
      'PREVIEW',
      'PROFILE_TOPIC',
      'RAW_TOPIC',
      'RAW_TOPICS',
      'REGISTER_SPEC',
      'REGISTER_SUBJECT',
      'ROLLBACK_SPEC',
      'SOURCE_TOPICS',
      'SPECS',
      'SPEC_HISTORY',
      'SPEC_VERSIONS',
      'SUBJECTS',
      'SUBJECT_SCHEMA',
      'TRANSFORMS',
    ]);
  });

  it.each(operations)('%s is one named operation, valid against schema/graphql/canonql.graphql and using no deprecated field', (_name, text) => {
    const document = parse(text);
    expect(validate(schema, document, [...specifiedRules, NoDeprecatedCustomRule]).map((e) => e.message)).toEqual([]);
    const definitions = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
    expect(definitions).toHaveLength(1);
    expect(definitions[0]!.name?.value).toMatch(/^Studio[A-Z]/);
  });
});

describe("the explorer's pre-filled query", () => {
  it('is valid against schema/graphql/canonql.graphql', () => {
    expect(validate(schema, parse(DEMO_QUERY)).map((e) => e.message)).toEqual([]);
  });
});
