import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../../../src/errors';
import { parseBenchArgs } from '../../../bench/support/bench-args';

const SPEC = {
  command: 'npm run bench:example --',
  options: {
    orders: { type: 'number', default: 5000, help: 'orders ingested' },
    events: { type: 'number', help: 'events (default: by --long)' },
    classes: { type: 'string', placeholder: 'DIR', help: 'classes' },
    systems: { type: 'list', default: ['baseline', 'canonql'], choices: ['baseline', 'sink', 'canonql'], help: 'systems measured' },
    long: { type: 'flag', help: 'full sizes' },
  },
} as const;

const parse = (argv: string[]) => parseBenchArgs(SPEC, argv);

/** The error a command line is refused with. */
function refusal(argv: string[]): AppError {
  try {
    parse(argv);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

const ACCEPTED = '--orders N, --events N, --classes DIR, --systems baseline,sink,canonql, --long, --help';

describe('a benchmark command line (bench/support/bench-args.ts)', () => {
  it('gives each declared option its default when absent', () => {
    expect(parse([])).toEqual({
      values: { orders: 5000, events: undefined, classes: undefined, systems: ['baseline', 'canonql'], long: false },
      positionals: [],
    });
  });

  it('reads --name value, --name=value and flags', () => {
    expect(parse(['--orders', '12', '--events=7', '--classes', '/tmp/c', '--systems', 'sink, canonql', '--long'])).toEqual({
      values: { orders: 12, events: 7, classes: '/tmp/c', systems: ['sink', 'canonql'], long: true },
      positionals: [],
    });
  });

  it('refuses an unknown option, naming it and listing the accepted ones', () => {
    const error = refusal(['--order', '12']);
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toBe(`npm run bench:example --: Unknown option '--order'. Accepted: ${ACCEPTED} (--help describes them)`);
  });

  it('refuses a stray word, an option without its value, a value given to a flag', () => {
    expect(refusal(['12']).message).toMatch(/^npm run bench:example --: Unexpected argument '12'\. Accepted: /);
    expect(refusal(['--orders']).message).toMatch(/: Option '--orders <value>' argument missing\. Accepted: /);
    expect(refusal(['--long=yes']).message).toMatch(/: Option '--long' does not take an argument\. Accepted: /);
  });

  it('refuses a number that is not positive, and a list item not among the choices', () => {
    for (const bad of ['0', '-3', 'ten', '']) expect(refusal([`--orders=${bad}`]).message).toContain(`--orders needs a positive number, got '${bad}'`);
    expect(refusal(['--systems', 'canonql,kafka']).message).toContain("--systems: unknown 'kafka' (choices: baseline, sink, canonql)");
  });

  it('answers --help (and -h) with every option, its default and its help line', () => {
    const help = parse(['--help']);
    expect(help).toEqual(parse(['-h']));
    expect('help' in help && help.help).toBe(
      [
        'usage: npm run bench:example -- [options]',
        '',
        '  --orders N                       orders ingested (default 5000)',
        '  --events N                       events (default: by --long)',
        '  --classes DIR                    classes',
        '  --systems baseline,sink,canonql  systems measured (default baseline,canonql)',
        '  --long                           full sizes',
        '  --help, -h                       this list',
      ].join('\n'),
    );
  });

  it('takes the positional words a command declares, and no more or fewer', () => {
    const spec = { command: 'x', positionals: [{ name: 'file', help: 'a file' }], options: { top: { type: 'number', default: 15, help: 'rows' } } } as const;
    expect(parseBenchArgs(spec, ['p.cpuprofile', '--top', '3'])).toEqual({ values: { top: 3 }, positionals: ['p.cpuprofile'] });
    expect(() => parseBenchArgs(spec, [])).toThrow('x: expected <file>, got nothing. Accepted: --top N, --help');
    expect(() => parseBenchArgs(spec, ['a', 'b'])).toThrow('x: expected <file>, got a b.');
  });
});

describe('every benchmark reads its command line strictly', () => {
  const root = path.join(__dirname, '..', '..', '..');
  const scripts = fs.readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.ts'));

  it.each(scripts)('bench/%s declares its options through readBenchArgs and reads no argv of its own', (script) => {
    const text = fs.readFileSync(path.join(root, 'bench', script), 'utf8');
    expect(text).toMatch(/\breadBenchArgs\(\{/);
    expect(text).not.toMatch(/process\.argv/);
  });

  it('a benchmark given an option it does not declare exits 2 with BAD_USER_INPUT and the accepted options', async () => {
    const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
    const failure = await promisify(execFile)(tsx, [path.join('bench', 'api-throughput.ts'), '--order', '12'], { cwd: root }).then(
      () => null,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure).toMatchObject({
      code: 2,
      stdout: '',
      stderr:
        "BAD_USER_INPUT: npm run bench:api --: Unknown option '--order'. Accepted: --orders N, --concurrency N, --seconds N, --rounds N, --queries order,orders,page,related, --help (--help describes them)\n",
    });
  }, 60_000);
});
