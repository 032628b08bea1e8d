import fs from 'node:fs';
import path from 'node:path';
import { BreakingChangeType, buildSchema, findBreakingChanges, type BreakingChange } from 'graphql';
import { buildApiSchema } from '../../../src/graphql/build-api-schema';
import { SDL_FILE, seedSchemaSdl } from '../../../src/graphql/seed-schema-sdl';
import { servedSubscriptionFieldsForSdl } from '../../../src/graphql/sdl-subscriptions';

const ROOT = path.join(__dirname, '..', '..', '..');
/** The contract of the last release; replaced by the current one when a release is cut. */
const RELEASED_SDL_FILE = path.join('schema', 'graphql', 'released.graphql');

/**
 * Where a breaking change is, as the changelog names it: `Type`, `Type.field`,
 * `Type.field(arg:)`, `Enum.VALUE`, `@directive`; graphql-js describes each kind in one sentence.
 */
function breakCoordinate(change: BreakingChange): string {
  const d = change.description;
  if (change.type === BreakingChangeType.DIRECTIVE_REMOVED) return `@${d.replace(/ was removed\.$/, '')}`;
  const patterns: [RegExp, (m: RegExpExecArray) => string][] = [
    [/^Standard scalar (\w+) was removed/, (m) => m[1]!],
    [/^(\w+)\.(\w+) arg (\w+) /, (m) => `${m[1]}.${m[2]}(${m[3]}:)`],
    [/^A required arg (\w+) on directive (\w+) /, (m) => `@${m[2]}(${m[1]}:)`],
    [/^A required arg (\w+) on (\w+)\.(\w+) /, (m) => `${m[2]}.${m[3]}(${m[1]}:)`],
    [/^A required field (\w+) on input type (\w+) /, (m) => `${m[2]}.${m[1]}`],
    [/^(\w+) was removed from (?:enum|union) type (\w+)\.$/, (m) => `${m[2]}.${m[1]}`],
    [/^(\w+) no longer implements interface /, (m) => m[1]!],
    [/^(\w+)\.(\w+) /, (m) => `${m[1]}.${m[2]}`],
    [/^(\w+) was removed from (\w+)\.$/, (m) => `@${m[2]}(${m[1]}:)`],
    [/^(?:Repeatable flag was removed from |\w+ was removed from )(\w+)\.$/, (m) => `@${m[1]}`],
    [/^(\w+) (?:was removed|changed from)/, (m) => m[1]!],
  ];
  for (const [pattern, name] of patterns) {
    const m = pattern.exec(d);
    if (m) return name(m);
  }
  return d;
}

/** The text of CHANGELOG.md's `## Unreleased` section. */
function unreleasedChangelog(): string {
  const text = fs.readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8');
  const start = text.indexOf('## Unreleased');
  if (start < 0) return '';
  const next = text.indexOf('\n## ', start + 1);
  return text.slice(start, next < 0 ? undefined : next);
}

/** Breaking changes from `before` to `after` that the changelog text does not name in backticks. */
function undocumentedBreaks(before: string, after: string, changelog: string): string[] {
  return findBreakingChanges(buildSchema(before), buildSchema(after))
    .filter((change) => !changelog.includes(`\`${breakCoordinate(change)}\``))
    .map((change) => `${breakCoordinate(change)}: ${change.description}`);
}

describe('the GraphQL contract (schema/graphql/canonql.graphql)', () => {
  const committed = fs.readFileSync(path.join(ROOT, SDL_FILE), 'utf8');
  const released = fs.readFileSync(path.join(ROOT, RELEASED_SDL_FILE), 'utf8');
  const current = seedSchemaSdl(ROOT, servedSubscriptionFieldsForSdl);

  it('has no breaking change against the committed contract', () => {
    const breaking = findBreakingChanges(buildSchema(committed), buildSchema(current));
    expect(breaking.map((change) => `${change.type}: ${change.description}`)).toEqual([]);
  });

  it('is committed up to date (run `npm run schema:emit` after an intended change)', () => {
    expect(current).toBe(committed);
  });

  it('names every breaking change since the last release (schema/graphql/released.graphql) in CHANGELOG.md under Unreleased', () => {
    expect(undocumentedBreaks(released, current, unreleasedChangelog())).toEqual([]);
  });
});

describe('the breaking-change check itself', () => {
  it('flags a removed canonical field, and accepts an added one', () => {
    const base = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' } } };
    const before = buildApiSchema([{ subject: 'thing', version: 1, schema: base }]);
    const removed = buildApiSchema([{ subject: 'thing', version: 2, schema: { ...base, properties: { a: { type: 'string' } } } }]);
    const added = buildApiSchema([{ subject: 'thing', version: 2, schema: { ...base, properties: { ...base.properties, c: { type: 'boolean' } } } }]);
    expect(findBreakingChanges(before, removed).map((c) => c.description)).toEqual(expect.arrayContaining(['Thing.b was removed.']));
    expect(findBreakingChanges(before, added)).toEqual([]);
  });

  it('fails on a break the changelog does not name, and passes once it names it', () => {
    const before = 'type Query { a(window: String!): Int, b: Int, c: E } enum E { X Y } input I { p: Int }';
    const after = 'type Query { a(window: W!, n: Int!): Int, c: E } enum E { X } enum W { hour } input I { p: Int }';
    const all = ['Query.a(window:)', 'Query.a(n:)', 'Query.b', 'E.Y'];
    expect(undocumentedBreaks(before, after, '').map((b) => b.split(':')[0]!.replace(/\($/, ''))).toEqual(
      expect.arrayContaining(['Query.a(window', 'Query.a(n', 'Query.b', 'E.Y']),
    );
    expect(
      undocumentedBreaks(
        before,
        after,
        all
          .slice(1)
          .map((c) => `- \`${c}\`: migration`)
          .join('\n'),
      ),
    ).toEqual(['Query.a(window:): Query.a arg window has changed type from String! to W!.']);
    expect(undocumentedBreaks(before, after, all.map((c) => `\`${c}\``).join(' '))).toEqual([]);
  });

  it('names each kind of break as the changelog would', () => {
    const cases: [string, string, string[]][] = [
      ['type Query { a: Int } type T { f: Int }', 'type Query { a: Int }', ['T']],
      ['type Query { a: Int } input I { p: Int }', 'type Query { a: Int } input I { p: Int, q: Int! }', ['I.q']],
      [
        'type Query { a: Int } union U = A | B type A { x: Int } type B { x: Int }',
        'type Query { a: Int } union U = A type A { x: Int } type B { x: Int }',
        ['U.B'],
      ],
      ['type Query { a: Int, keep: Int }', 'type Query { a: String, keep: Int }', ['Query.a']],
      ['type Query { a: Float }', 'type Query { a: Int }', ['Float', 'Query.a']],
      ['type Query { a(x: Int): Int }', 'type Query { a: Int }', ['Query.a(x:)']],
      ['directive @d(x: Int) on FIELD type Query { a: Int }', 'type Query { a: Int }', ['@d']],
    ];
    for (const [before, after, expected] of cases) {
      expect(findBreakingChanges(buildSchema(before), buildSchema(after)).map(breakCoordinate)).toEqual(expected);
    }
  });
});
