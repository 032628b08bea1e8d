import { booleanTransform, identityTransform } from './basic-transforms';
import { enumTransform } from './enum-transform';
import { decimalTransform, integerTransform, numberTransform, roundTransform } from './numeric-transforms';
import { lowercaseTransform, splitTransform, stringTransform, trimTransform, uppercaseTransform } from './text-transforms';
import { dateTransform, datetimeTransform, epochTransform } from './time-transforms';
import type { TransformArg, TransformArgType, TransformDefinition } from './transform-definition';
import { coalesceTransform, concatTransform, defaultTransform } from './value-source-transforms';

const ALL: readonly TransformDefinition[] = [
  identityTransform,
  stringTransform,
  lowercaseTransform,
  uppercaseTransform,
  trimTransform,
  numberTransform,
  integerTransform,
  booleanTransform,
  decimalTransform,
  dateTransform,
  datetimeTransform,
  epochTransform,
  enumTransform,
  concatTransform,
  coalesceTransform,
  defaultTransform,
  splitTransform,
  roundTransform,
];

const BY_NAME: ReadonlyMap<string, TransformDefinition> = new Map(ALL.map((t) => [t.name, t]));

/** The transform called `name`, if there is one. */
export function getTransform(name: string): TransformDefinition | undefined {
  return BY_NAME.get(name);
}

/** What a UI needs to offer transforms: names, descriptions and declared arguments. */
export interface TransformDescription {
  readonly name: string;
  readonly description: string;
  readonly args: readonly TransformArg[];
}

/** Every transform with its arguments, in a stable order. */
export function listTransforms(): TransformDescription[] {
  return ALL.map((t) => ({ name: t.name, description: t.description, args: t.args.map((a) => ({ ...a })) }));
}

/** Problems with a transform's arguments: unknown, missing, mistyped or out of range. */
export function checkTransformArgs(transform: TransformDefinition, args: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const declared = new Map(transform.args.map((a) => [a.name, a]));
  for (const name of Object.keys(args)) {
    if (!declared.has(name)) {
      const known = transform.args.length === 0 ? 'it takes none' : `known: ${transform.args.map((a) => a.name).join(', ')}`;
      problems.push(`unknown argument "${name}" (${known})`);
    }
  }
  for (const arg of transform.args) {
    const value = args[arg.name];
    if (!Object.hasOwn(args, arg.name) || value === undefined) {
      if (arg.required) problems.push(`argument "${arg.name}" is required`);
      continue;
    }
    if (!hasType(value, arg.type)) problems.push(`argument "${arg.name}" must be ${TYPE_NAMES[arg.type]}`);
    else if (arg.values && !arg.values.includes(value as string)) {
      problems.push(`argument "${arg.name}" must be one of ${arg.values.map((v) => `"${v}"`).join(', ')}, got ${JSON.stringify(value)}`);
    }
  }
  // Specific checks assume declared types hold; running them on mistyped args would only add noise.
  if (problems.length === 0 && transform.check) problems.push(...transform.check(args));
  return problems;
}

const TYPE_NAMES: Record<TransformArgType, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  'string[]': 'an array of strings',
  'jsonpath[]': 'an array of JSONPath strings',
  object: 'an object',
  any: 'any JSON value',
};

function hasType(value: unknown, type: TransformArgType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string[]':
    case 'jsonpath[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'any':
      return true;
  }
}
