import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createSchemaCompiler, unsafePatterns } from '../../../src/catalog/canonical-schemas';

const ROOT = path.join(__dirname, '..', '..', '..');
const withPattern = (pattern: string) => ({ type: 'object', properties: { id: { type: 'string' }, s: { type: 'string', pattern } } });

describe('patterns are matched in linear time (RE2)', () => {
  it('accepts overlapping alternations and validates a hostile string against them quickly (child process, 2 s bound)', () => {
    for (const pattern of ['^(a|a)*$', '^(a|aa)*$', '^(\\w|\\d)*$', '^(a|a)+!?$']) expect(unsafePatterns(withPattern(pattern))).toEqual([]);
    // In JavaScript's backtracking engine this match takes 2.3 s at 28 characters and doubles per character.
    const script = `
      const { createSchemaCompiler } = require(${JSON.stringify(path.join(ROOT, 'src', 'catalog', 'canonical-schemas.ts'))});
      const schema = { type: 'object', properties: { id: { type: 'string' }, s: { type: 'string', pattern: '^(\\\\w|\\\\d)*$' } } };
      const compiled = createSchemaCompiler().compile('probe', schema);
      const started = Date.now();
      const problems = compiled.validate({ id: 'x', s: '1'.repeat(40) + '!' });
      console.log(JSON.stringify({ problems, ms: Date.now() - started }));`;
    const probe = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 10_000 });
    expect(probe.status).toBe(0);
    const { problems, ms } = JSON.parse(probe.stdout.trim()) as { problems: string[]; ms: number };
    expect(problems).toEqual(['/s: must match pattern "^(\\w|\\d)*$"']);
    expect(ms).toBeLessThan(2000);
  });

  it('gives the same verdicts in this process (a short hostile string, fast in either engine)', () => {
    const compiled = createSchemaCompiler().compile('probe', withPattern('^(\\w|\\d)*$'));
    expect(compiled.validate({ id: 'x', s: `${'1'.repeat(12)}!` })).toEqual(['/s: must match pattern "^(\\w|\\d)*$"']);
    expect(compiled.validate({ id: 'x', s: '1'.repeat(40) })).toEqual([]);
  });

  it('refuses a lookaround or a backreference with UNSUPPORTED_PATTERN, naming its path', () => {
    const schema = {
      type: 'object',
      properties: {
        code: { type: 'string', pattern: '^(?=a)a$' },
        twice: { type: 'string', pattern: '^(\\d)\\1$' },
        named: { type: 'string', pattern: '^(?<y>\\d)-\\k<y>$' },
        tags: { type: 'object', patternProperties: { '^(?!x)': {} } },
      },
    };
    const problems = unsafePatterns(schema);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/properties\/code\/pattern: UNSUPPORTED_PATTERN: pattern "\^\(\?=a\)a\$" cannot be matched in linear time \(RE2: .*\(\?=/),
        expect.stringMatching(/^\/properties\/twice\/pattern: UNSUPPORTED_PATTERN: /),
        expect.stringMatching(/^\/properties\/named\/pattern: UNSUPPORTED_PATTERN: .*backreference/),
        expect.stringMatching(/^\/properties\/tags\/patternProperties: UNSUPPORTED_PATTERN: pattern "\^\(\?!x\)"/),
      ]),
    );
    expect(problems).toHaveLength(4);
    expect(() => createSchemaCompiler().compile('probe', withPattern('^(?=a)a$'))).toThrow(/SCHEMA_INVALID|refused.*UNSUPPORTED_PATTERN/);
  });

  it('keeps ECMAScript meaning for ordinary patterns', () => {
    const cases: [string, string, boolean][] = [
      ['^[A-Z]{3}-\\d+$', 'ABC-12', true],
      ['^[A-Z]{3}-\\d+$', 'ABC-12\n', false],
      ['^\\w+$', 'é', false],
      ['\\bfoo\\b', 'a foo.', true],
      ['^\\s$', '\u00a0', true],
      ['^\\s$', '\u2028', true],
      ['^\\S+$', 'a\u3000b', false],
      ['^[\\S\\s]{2}$', 'a\n', true],
      ['^.$', '\n', false],
      ['^.$', '\r', false],
      ['^.$', '\u{1F600}', true],
      ['^[.]$', 'x', false],
      ['^\\p{Lu}\\p{Ll}+$', 'Émile', true],
      ['^\\u{1F600}\\u00e9$', '\u{1F600}é', true],
      ['^\\ud83d\\ude00$', '\u{1F600}', true],
      ['^[\\b]$', '\b', true],
      ['^(?<year>\\d{4})-(?:0[1-9]|1[0-2])$', '2024-12', true],
      ['^[]$|^a$', 'a', true],
      ['^[^]$', '\n', true],
      ['^a{2,1000}$', 'a', false],
      ['x', 'abxcd', true],
    ];
    const compiler = createSchemaCompiler();
    for (const [pattern, value, matches] of cases) {
      expect([pattern, new RegExp(pattern, 'u').test(value)]).toEqual([pattern, matches]);
      expect([pattern, compiler.compile('probe', withPattern(pattern)).validate({ id: 'x', s: value }).length === 0]).toEqual([pattern, matches]);
    }
    const keyed = compiler.compile('probe', { type: 'object', patternProperties: { '^x-\\d+$': { type: 'integer' } } });
    expect(keyed.validate({ 'x-1': 1, y: 'free' })).toEqual([]);
    expect(keyed.validate({ 'x-1': 'one' })).toEqual(['/x-1: must be integer']);
  });

  it('leaves a pattern JavaScript cannot compile to ajv, as before', () => {
    expect(unsafePatterns(withPattern('^[a-'))).toEqual([]);
    expect(() => createSchemaCompiler().compile('probe', withPattern('^[a-'))).toThrow(/does not compile/);
  });
});
