import { parseJsonPath, wildcardCount } from '../json-path';
import { compileGetter, type Getter } from '../path-getter';
import { describeValue, transformFailed, type TransformArg, type TransformDefinition } from './transform-definition';

/**
 * Transforms that supply values rather than convert one: they see null and absent inputs (every
 * other transform passes null through and is skipped for an absent source). concat and coalesce
 * read extra source paths (`srcs`); a mapping using them may omit `src`. When it has one, the
 * `src` value comes first.
 */
const srcsArg: TransformArg = {
  name: 'srcs',
  type: 'jsonpath[]',
  required: true,
  description: 'Source paths read in order (no [*]): values of the record itself, not of the array element being mapped.',
};

function checkSrcs(args: Readonly<Record<string, unknown>>): string[] {
  const srcs = args.srcs;
  if (!Array.isArray(srcs)) return [];
  if (srcs.length === 0) return ['srcs must list at least one path'];
  return srcs.flatMap((path, i) => {
    if (typeof path !== 'string') return [];
    const parsed = parseJsonPath(path);
    if (!parsed.ok) return [`srcs[${i}]: ${parsed.problem}`];
    return wildcardCount(parsed.segments) > 0 ? [`srcs[${i}]: "${path}" must not use [*]`] : [];
  });
}

function compileSrcs(args: Readonly<Record<string, unknown>>): Getter[] {
  return (args.srcs as string[]).map((path) => {
    const parsed = parseJsonPath(path);
    if (!parsed.ok) throw new Error(`unchecked srcs path: ${parsed.problem}`);
    return compileGetter(parsed.segments);
  });
}

const srcsOf = (args: Readonly<Record<string, unknown>>): readonly string[] => (Array.isArray(args.srcs) ? (args.srcs as string[]) : []);

export const concatTransform: TransformDefinition = {
  name: 'concat',
  description:
    'Joins the src value and the values at `srcs` into one string with `separator`. Null and absent parts are skipped; no parts at all gives null (absent when every part is absent).',
  args: [srcsArg, { name: 'separator', type: 'string', required: false, default: '', description: 'Text between parts. Default "".' }],
  acceptsNull: true,
  acceptsMissing: true,
  check: checkSrcs,
  sourcePaths: srcsOf,
  create: (args) => {
    const getters = compileSrcs(args);
    const separator = (args.separator as string | undefined) ?? '';
    return (value, record) => {
      const parts: string[] = [];
      let sawNull = value === null;
      const add = (part: unknown): void => {
        if (part === undefined) return;
        if (part === null) {
          sawNull = true;
          return;
        }
        if (typeof part === 'string') parts.push(part);
        else if (typeof part === 'number' || typeof part === 'bigint' || typeof part === 'boolean') parts.push(String(part));
        else transformFailed(`concat: cannot join ${describeValue(part)}`);
      };
      add(value);
      for (const get of getters) add(get(record));
      if (parts.length > 0) return parts.join(separator);
      return sawNull ? null : undefined;
    };
  },
};

export const coalesceTransform: TransformDefinition = {
  name: 'coalesce',
  description: 'The first value that is neither null nor absent among the src value and the values at `srcs`; null if all are null (absent if all are absent).',
  args: [srcsArg],
  acceptsNull: true,
  acceptsMissing: true,
  check: checkSrcs,
  sourcePaths: srcsOf,
  create: (args) => {
    const getters = compileSrcs(args);
    return (value, record) => {
      if (value !== null && value !== undefined) return value;
      let sawNull = value === null;
      for (const get of getters) {
        const candidate = get(record);
        if (candidate !== null && candidate !== undefined) return candidate;
        if (candidate === null) sawNull = true;
      }
      return sawNull ? null : undefined;
    };
  },
};

export const defaultTransform: TransformDefinition = {
  name: 'default',
  description: 'Replaces a null or absent value with `value`; other values pass unchanged. With no src, the mapping writes the constant.',
  args: [{ name: 'value', type: 'any', required: true, description: 'The value used when the input is null or absent.' }],
  acceptsNull: true,
  acceptsMissing: true,
  create: (args) => {
    const fallback = args.value;
    // Each document gets its own copy of an object default: documents must not share state.
    const fresh = fallback !== null && typeof fallback === 'object' ? () => structuredClone(fallback) : () => fallback;
    return (value) => (value === null || value === undefined ? fresh() : value);
  },
};
