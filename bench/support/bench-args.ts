import { parseArgs } from 'node:util';
import { AppError, ErrorCode } from '../../src/errors';

/**
 * The command line of a benchmark, read by util.parseArgs in strict mode. Each benchmark declares
 * every option it accepts up front, with its default and one line of help; anything else (an
 * unknown option, a stray word, an option without its value, a value that is not a positive
 * number) is refused with a BAD_USER_INPUT error that lists the accepted options. `--help` (`-h`)
 * prints that list.
 */
interface Described {
  /** One line for `--help`. */
  readonly help: string;
}
export type BenchOption =
  | (Described & { readonly type: 'number'; readonly default?: number })
  | (Described & { readonly type: 'string'; readonly default?: string; readonly placeholder?: string })
  | (Described & {
      readonly type: 'list';
      readonly default?: readonly string[];
      readonly placeholder?: string;
      /** The words the list may hold; any other is refused. */
      readonly choices?: readonly string[];
    })
  | (Described & { readonly type: 'flag' });

type BenchOptions = Readonly<Record<string, BenchOption>>;

/** An option's value: its default when absent, undefined when it has none; a flag is true or false. */
type ValueOf<O extends BenchOption> = O extends { type: 'flag' }
  ? boolean
  : O extends { type: 'number' }
    ? number | (O extends { default: number } ? never : undefined)
    : O extends { type: 'string' }
      ? string | (O extends { default: string } ? never : undefined)
      : string[] | (O extends { default: readonly string[] } ? never : undefined);

export type BenchArgValues<S extends BenchOptions> = { readonly [K in keyof S]: ValueOf<S[K]> };

export interface BenchCommand<S extends BenchOptions> {
  /** How the benchmark is run, e.g. `npm run bench:api --`. */
  readonly command: string;
  readonly options: S;
  /** Required words after the options, in order (`<file.cpuprofile>`); none when absent. */
  readonly positionals?: readonly (Described & { readonly name: string })[];
}

export type BenchArgs<S extends BenchOptions> =
  | { readonly help: string }
  | { readonly help?: undefined; readonly values: BenchArgValues<S>; readonly positionals: readonly string[] };

/** Reads `argv` (the words after the script) against the declared options; pure, so a test reads what a benchmark would. */
export function parseBenchArgs<const S extends BenchOptions>(spec: BenchCommand<S>, argv: readonly string[]): BenchArgs<S> {
  const declared = Object.fromEntries(
    Object.entries(spec.options).map(([name, option]) => [name, { type: option.type === 'flag' ? 'boolean' : 'string' }] as const),
  );
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...declared, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: (spec.positionals?.length ?? 0) > 0,
    });
  } catch (error) {
    if (!isParseArgsError(error)) throw error;
    throw refused(spec, firstSentence(error.message));
  }
  if (parsed.values.help === true) return { help: usage(spec) };
  const wanted = spec.positionals ?? [];
  if (parsed.positionals.length !== wanted.length) {
    throw refused(
      spec,
      `expected ${wanted.map((p) => `<${p.name}>`).join(' ')}, got ${parsed.positionals.length === 0 ? 'nothing' : parsed.positionals.join(' ')}`,
    );
  }
  const values: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(spec.options)) values[name] = optionValue(spec, name, option, parsed.values[name]);
  return { values: values as BenchArgValues<S>, positionals: parsed.positionals };
}

/**
 * `parseBenchArgs` over this process's command line, for a benchmark's first lines: `--help`
 * prints the options and exits 0; a refused command line prints why (with the accepted options)
 * and exits 2.
 */
export function readBenchArgs<const S extends BenchOptions>(spec: BenchCommand<S>): { values: BenchArgValues<S>; positionals: readonly string[] } {
  try {
    const args = parseBenchArgs(spec, process.argv.slice(2));
    if (args.help !== undefined) {
      console.log(args.help);
      process.exit(0);
    }
    return args;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    console.error(`${error.code}: ${error.message}`);
    process.exit(2);
  }
}

function optionValue<S extends BenchOptions>(spec: BenchCommand<S>, name: string, option: BenchOption, given: string | boolean | undefined): unknown {
  if (option.type === 'flag') return given === true;
  if (given === undefined) return option.default === undefined ? undefined : option.type === 'list' ? [...option.default] : option.default;
  const text = String(given);
  if (option.type === 'string') return text;
  if (option.type === 'list') {
    const items = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = items.filter((item) => option.choices && !option.choices.includes(item));
    if (unknown.length > 0) throw refused(spec, `--${name}: unknown ${unknown.map((u) => `'${u}'`).join(', ')} (choices: ${option.choices!.join(', ')})`);
    return items;
  }
  const number = Number(text);
  if (text.trim() === '' || !Number.isFinite(number) || number <= 0) throw refused(spec, `--${name} needs a positive number, got '${text}'`);
  return number;
}

function refused<S extends BenchOptions>(spec: BenchCommand<S>, what: string): AppError {
  const accepted = [...Object.entries(spec.options).map(([name, option]) => optionSyntax(name, option)), '--help'];
  return new AppError(ErrorCode.BAD_USER_INPUT, `${spec.command}: ${what}. Accepted: ${accepted.join(', ')} (--help describes them)`, {
    details: { accepted },
  });
}

function usage<S extends BenchOptions>(spec: BenchCommand<S>): string {
  const positionals = (spec.positionals ?? []).map((p) => ` <${p.name}>`).join('');
  const rows: [string, string][] = [
    ...(spec.positionals ?? []).map((p): [string, string] => [`<${p.name}>`, p.help]),
    ...Object.entries(spec.options).map(([name, option]): [string, string] => [optionSyntax(name, option), `${option.help}${defaultOf(option)}`]),
    ['--help, -h', 'this list'],
  ];
  const width = Math.max(...rows.map(([syntax]) => syntax.length));
  return [`usage: ${spec.command}${positionals} [options]`, '', ...rows.map(([syntax, help]) => `  ${syntax.padEnd(width)}  ${help}`)].join('\n');
}

function optionSyntax(name: string, option: BenchOption): string {
  switch (option.type) {
    case 'flag':
      return `--${name}`;
    case 'number':
      return `--${name} N`;
    case 'string':
      return `--${name} ${option.placeholder ?? 'TEXT'}`;
    case 'list':
      return `--${name} ${option.placeholder ?? option.choices?.join(',') ?? 'A,B'}`;
  }
}

function defaultOf(option: BenchOption): string {
  if (option.type === 'flag' || option.default === undefined) return '';
  if (option.type === 'list') return ` (default ${option.default.length === 0 ? 'none' : option.default.join(',')})`;
  return ` (default ${option.default})`;
}

/** By its code, not `instanceof`: node's errors may come from another realm (a test runner's sandbox). */
function isParseArgsError(error: unknown): error is { code: string; message: string } {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_') && typeof message === 'string';
}

/** util.parseArgs explains in its first sentence what was wrong ("Unknown option '--rat'"); the rest is advice about positionals. */
function firstSentence(message: string): string {
  const end = message.indexOf('. ');
  return end < 0 ? message.replace(/\.$/, '') : message.slice(0, end);
}
