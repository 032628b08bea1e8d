/**
 * The mapping-spec format: the seed's format (platform-design, "Mapping Specification Format")
 * accepted as is, plus optional extensions. `schema/mapping-spec.schema.json` is the normative
 * description (editors autocomplete from it); these types mirror it for the compiler.
 */

/** A JSONPath in the supported subset: `$`, `.name`, `['name']`, `[n]`, `[*]`. */
export type JsonPathString = string;

/** A transform by name (`"lowercase"`) or with arguments (`{ "name": "enum", "args": {...} }`). */
export type TransformStep = string | { readonly name: string; readonly args?: Readonly<Record<string, unknown>> };

/** One step, or a chain applied left to right (`["trim", "lowercase"]`). */
export type TransformRef = TransformStep | readonly TransformStep[];

/** A condition on one source value; exactly one operator besides `src`. */
export interface Condition {
  readonly src: JsonPathString;
  readonly equals?: unknown;
  readonly notEquals?: unknown;
  readonly in?: readonly unknown[];
  readonly notIn?: readonly unknown[];
  /** true: the value is present and not null; false: absent or null. */
  readonly exists?: boolean;
}

export interface FieldMapping {
  /** Source path; optional only when the first transform reads its own sources or is `default`. */
  readonly src?: JsonPathString;
  /** Canonical path; `[*]` maps arrays element-wise. */
  readonly dst: JsonPathString;
  readonly transform?: TransformRef;
  /** The mapping applies only when this holds (an array: all of them hold). */
  readonly when?: Condition | readonly Condition[];
  /** Replaces an absent or null result. */
  readonly default?: unknown;
  /** Which source wins a canonical field written by several specs; higher wins. Default 0. */
  readonly precedence?: number;
  readonly description?: string;
}

export type KeySpec = { readonly fields: readonly JsonPathString[] } | { readonly source: true };

export interface MappingSpec {
  readonly $schema?: string;
  readonly mappingId: string;
  readonly version?: number;
  readonly description?: string;
  readonly source: {
    readonly type: string;
    readonly topic?: string;
    readonly topics?: readonly string[];
    readonly schemaId?: number | string;
    readonly description?: string;
  };
  readonly target: { readonly subject: string; readonly schemaId?: number | string; readonly description?: string };
  readonly key?: KeySpec;
  readonly deleteMode?: 'soft' | 'hard';
  readonly fieldMappings: readonly FieldMapping[];
  /** Canonical field (`currency`, `customer.tier` or `$.customer.tier`) → value when absent. */
  readonly defaults?: Readonly<Record<string, unknown>>;
}
