import { AppError, ErrorCode } from '../../errors';

/**
 * A compiled transform step. `record` is the whole source record, for transforms that read other
 * source paths themselves (concat, coalesce); everything else looks only at `value`.
 */
export type TransformFn = (value: unknown, record: Readonly<Record<string, unknown>>) => unknown;

/** Declared argument types; `jsonpath[]` is a list of source paths (compiled once). */
export type TransformArgType = 'string' | 'number' | 'integer' | 'boolean' | 'string[]' | 'jsonpath[]' | 'object' | 'any';

/** One argument of a transform, declared so a UI can list and check it. */
export interface TransformArg {
  readonly name: string;
  readonly type: TransformArgType;
  readonly required: boolean;
  readonly description: string;
  /** The only accepted values of a string argument. */
  readonly values?: readonly string[];
  /** What an omitted optional argument means. */
  readonly default?: unknown;
}

/**
 * A named transform. By default a transform never sees null (null passes through as null) and is
 * not called when the source is absent (the field stays absent); the few that exist to supply
 * values (default, coalesce, concat) opt in to both.
 */
export interface TransformDefinition {
  readonly name: string;
  readonly description: string;
  readonly args: readonly TransformArg[];
  readonly acceptsNull?: boolean;
  readonly acceptsMissing?: boolean;
  /** Problems with arguments beyond their declared types (ranges, map shapes...). */
  readonly check?: (args: Readonly<Record<string, unknown>>) => string[];
  /** Source paths the transform reads itself, for coverage and partial updates. */
  readonly sourcePaths?: (args: Readonly<Record<string, unknown>>) => readonly string[];
  /** Builds the per-event function once; args have been checked. */
  readonly create: (args: Readonly<Record<string, unknown>>) => TransformFn;
}

/**
 * Fails the current event. The message says what was wrong with the value; the field mapper adds
 * which mapping, field and transform it was.
 */
export function transformFailed(message: string): never {
  throw new AppError(ErrorCode.MAPPING_FAILED, message);
}

/** A short, safe rendering of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}
