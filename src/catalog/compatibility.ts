import type { JsonSchema, SubsetViolation } from './json-schema-keywords';
import { subschemaViolations } from './json-schema-subset';

/**
 * Compatibility of canonical JSON Schemas between versions, with the rules of JSON Schema itself:
 * "every document valid under A is valid under B" (A ⊆ B), decided keyword by keyword for the
 * subset canonical schemas use. BACKWARD asks old ⊆ new (readers on the new version read data
 * written under the old one), FORWARD asks new ⊆ old, FULL both. Pure: no I/O.
 *
 * The check is sound, never optimistic: what it cannot decide (a keyword outside the supported
 * subset, two different regular expressions, an external $ref) is reported as a violation rather
 * than guessed compatible. Every violation is listed, not just the first. The subset check itself:
 * json-schema-subset.ts.
 */
export type { JsonSchema };

export const COMPATIBILITY_LEVELS = ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE'] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

export type Direction = 'backward' | 'forward';

export interface Violation extends SubsetViolation {
  readonly direction: Direction;
  /** The earlier version (1-based position in the history) the candidate was compared with. */
  readonly against?: number;
}

export interface CompatibilityResult {
  readonly compatible: boolean;
  readonly violations: Violation[];
}

export function isCompatibilityLevel(value: unknown): value is CompatibilityLevel {
  return typeof value === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(value);
}

/** Directions a level checks, and whether against every earlier version or only the latest. */
export function levelRules(level: CompatibilityLevel): { directions: Direction[]; transitive: boolean } {
  switch (level) {
    case 'BACKWARD':
      return { directions: ['backward'], transitive: false };
    case 'BACKWARD_TRANSITIVE':
      return { directions: ['backward'], transitive: true };
    case 'FORWARD':
      return { directions: ['forward'], transitive: false };
    case 'FORWARD_TRANSITIVE':
      return { directions: ['forward'], transitive: true };
    case 'FULL':
      return { directions: ['backward', 'forward'], transitive: false };
    case 'FULL_TRANSITIVE':
      return { directions: ['backward', 'forward'], transitive: true };
    case 'NONE':
      return { directions: [], transitive: false };
  }
}

/**
 * Checks `candidate` against `history` (oldest first) under `level`. An empty history (a new
 * subject) is always compatible.
 */
export function checkCompatibility(
  history: readonly JsonSchema[],
  candidate: JsonSchema,
  level: CompatibilityLevel = DEFAULT_COMPATIBILITY,
): CompatibilityResult {
  const { directions, transitive } = levelRules(level);
  const violations: Violation[] = [];
  if (history.length === 0 || directions.length === 0) return { compatible: true, violations };
  const first = transitive ? 0 : history.length - 1;
  for (let index = history.length - 1; index >= first; index -= 1) {
    const previous = history[index]!;
    const against = transitive ? { against: index + 1 } : {};
    for (const direction of directions) {
      // backward: everything the old version accepted, the new one accepts; forward: the reverse.
      const found = direction === 'backward' ? subschemaViolations(previous, candidate) : subschemaViolations(candidate, previous);
      violations.push(...found.map((v) => ({ ...v, direction, ...against })));
    }
  }
  return { compatible: violations.length === 0, violations };
}
