/**
 * The one error type of canonql. Every failure that crosses a module boundary is an AppError with a
 * public `code`; edges translate it (dead-letter headers at the consumer, `extensions.code` in
 * GraphQL, status codes over HTTP). Programming errors (TypeError, RangeError...) are never
 * wrapped as retriable: retrying a bug only repeats it.
 */
export const ErrorCode = {
  CONFIG_INVALID: 'CONFIG_INVALID',
  STACK_TOOL_MISSING: 'STACK_TOOL_MISSING',
  STACK_INSTALL_FAILED: 'STACK_INSTALL_FAILED',
  STACK_START_FAILED: 'STACK_START_FAILED',
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  KAFKA_UNAVAILABLE: 'KAFKA_UNAVAILABLE',
  /** The broker refused our SASL credentials: retrying with the same ones cannot help. */
  KAFKA_AUTH_FAILED: 'KAFKA_AUTH_FAILED',
  /** No TLS session with the broker (untrusted certificate, wrong host name, not a TLS port). */
  KAFKA_TLS_FAILED: 'KAFKA_TLS_FAILED',
  /** A store operation held its connection past CANONQL_STORE_OPERATION_TIMEOUT_MS (a dead socket, a store that stopped answering): ended, retriable. */
  STORE_TIMEOUT: 'STORE_TIMEOUT',
  /** The store refused the credentials in MONGODB_URI. */
  STORE_AUTH_FAILED: 'STORE_AUTH_FAILED',
  /** A record's bytes are not what they claim (bad JSON, text that is not UTF-8, a MongoDB number beyond its BSON type...): dead-lettered, never read approximately. */
  DECODE_FAILED: 'DECODE_FAILED',
  /** A record nests deeper or is larger than canonql decodes and stores (CANONQL_DECODE_MAX_DEPTH / _BYTES), or holds a decimal wider than any source database's. */
  DECODE_LIMIT_EXCEEDED: 'DECODE_LIMIT_EXCEEDED',
  UNSUPPORTED_ENVELOPE: 'UNSUPPORTED_ENVELOPE',
  /** A record of a registry-encoded topic that is not in the wire format (magic byte 0, a 4-byte schema id, the value). */
  WIRE_FORMAT_INVALID: 'WIRE_FORMAT_INVALID',
  /** The schema registry does not know the record's writer schema id. */
  SCHEMA_ID_UNKNOWN: 'SCHEMA_ID_UNKNOWN',
  /** The schema registry did not answer (or refused our credentials) through the bounded retries. */
  SCHEMA_REGISTRY_UNAVAILABLE: 'SCHEMA_REGISTRY_UNAVAILABLE',
  /** No TLS session with an https schema registry: its certificate is not signed by the trusted CA (the registry's caFile), or does not name its host. */
  SCHEMA_REGISTRY_TLS_FAILED: 'SCHEMA_REGISTRY_TLS_FAILED',
  SPEC_INVALID: 'SPEC_INVALID',
  MAPPING_FAILED: 'MAPPING_FAILED',
  SCHEMA_INVALID: 'SCHEMA_INVALID',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** A canonical event over its topic's message size limit (max.message.bytes): dead-lettered, its state applied. */
  EVENT_TOO_LARGE: 'EVENT_TOO_LARGE',
  /** A live metric subscription's version is no longer the active one (activated, rolled back, deactivated): resubscribe. */
  METRIC_VERSION_CHANGED: 'METRIC_VERSION_CHANGED',
  /** A canonical Decimal/number/DateTime the store's order keys cannot hold (values/order-key.ts): refused, never truncated. */
  VALUE_OUT_OF_RANGE: 'VALUE_OUT_OF_RANGE',
  NOT_FOUND: 'NOT_FOUND',
  /** A query would cost more than its configured bound (scanned documents, groups, buckets). */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  /** A mutation's input is wrong; `details` lists every problem. */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** A version or state precondition of a mutation no longer holds (someone else changed it). */
  CONFLICT: 'CONFLICT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  /** Abuse limits of the API (src/graphql/limits/): each refusal has its own code, sent before execution. */
  DEPTH_LIMIT_EXCEEDED: 'DEPTH_LIMIT_EXCEEDED',
  COST_LIMIT_EXCEEDED: 'COST_LIMIT_EXCEEDED',
  ALIAS_LIMIT_EXCEEDED: 'ALIAS_LIMIT_EXCEEDED',
  BATCH_LIMIT_EXCEEDED: 'BATCH_LIMIT_EXCEEDED',
  BATCHING_DISABLED: 'BATCHING_DISABLED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  INVALID_JSON: 'INVALID_JSON',
  CSRF_BLOCKED: 'CSRF_BLOCKED',
  RATE_LIMITED: 'RATE_LIMITED',
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  INTROSPECTION_DISABLED: 'INTROSPECTION_DISABLED',
  OPERATION_TIMEOUT: 'OPERATION_TIMEOUT',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface AppErrorOptions {
  /** True when the same operation may succeed if tried again (a broker or store hiccup). */
  retriable?: boolean;
  cause?: unknown;
  /** Structured facts for logs and clients, e.g. the list of every problem in a rejected spec. */
  details?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details;
  }

  /**
   * graphql-js copies `extensions` of an error raised in a resolver onto the GraphQLError it
   * reports, so the code reaches clients on paths Apollo's formatError does not see (graphql-ws).
   */
  get extensions(): { code: ErrorCode } {
    return { code: this.code };
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Bugs in our own code: never retried, never shown to clients verbatim. */
export function isProgrammingError(error: unknown): boolean {
  return error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError || error instanceof SyntaxError;
}

/**
 * ` (did you mean "lowercase"?)` for a near miss among `known`, else ''. A prefix of at least three
 * characters counts as one edit, so a half-typed name finds its whole one.
 */
export function didYouMean(name: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = 3;
  const typed = name.toLowerCase();
  for (const candidate of known) {
    const lower = candidate.toLowerCase();
    const d = typed.length >= 3 && (lower.startsWith(typed) || typed.startsWith(lower)) ? 1 : editDistance(typed, lower);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/** The most known names an unknown name's error lists (a shared cluster may have hundreds). */
const MAX_LISTED = 20;

/**
 * An unknown name asked for by a read (`subject(name: "oder")`): NOT_FOUND naming it, with a near
 * miss and what is known (the caller passes only what the caller's credential may see), never an
 * empty answer a typo could hide behind.
 */
export function unknownName(what: string, argument: string, name: string, known: readonly string[]): AppError {
  const sorted = [...known].sort();
  const more = sorted.length > MAX_LISTED ? ` and ${sorted.length - MAX_LISTED} more` : '';
  const listed = sorted.length === 0 ? 'none is known' : `known: ${sorted.slice(0, MAX_LISTED).join(', ')}${more}`;
  return new AppError(ErrorCode.NOT_FOUND, `unknown ${what} "${name}"${didYouMean(name, known)}`, {
    details: [`${argument}: no ${what} is named "${name}"; ${listed}`],
  });
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** A version a read asks for that a known name does not have: NOT_FOUND naming the ones it has. */
export function unknownVersion(of: string, version: number, versions: readonly { readonly version: number }[]): AppError {
  const have = versions.map((v) => v.version);
  return new AppError(ErrorCode.NOT_FOUND, `${of} has no version ${version}`, { details: [`version: ${of} has versions ${have.join(', ')}`] });
}
