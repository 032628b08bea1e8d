/**
 * Rules for subject names. A name becomes a MongoDB collection (`state_<subject>`), Kafka topics
 * (`canonical.<subject>`) and GraphQL names (`order_line` → type `OrderLine`, queries `orderLine`,
 * `orderLines`...), and is used as a key in plain JavaScript objects. Collisions of the generated
 * GraphQL names with other subjects' and the fixed API's are checked on the candidate schema
 * (src/graphql/served-schema.ts); these rules refuse what no schema check needs to see.
 */
export const MAX_SUBJECT_NAME_LENGTH = 64;

const SUBJECT_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Names JavaScript objects inherit (`constructor`, `prototype`: a lookup by subject in a plain
 * object would find them) and GraphQL's root operation types (`subscription` → type
 * `Subscription`, the root of every live feed).
 */
export const RESERVED_SUBJECT_NAMES: ReadonlySet<string> = new Set(['constructor', 'prototype', 'query', 'mutation', 'subscription']);

/** Every problem of a subject name, as `subject: …` lines (empty when it is fine). */
export function subjectNameProblems(subject: unknown): string[] {
  if (typeof subject !== 'string' || !SUBJECT_NAME.test(subject)) {
    const shown = typeof subject === 'string' && subject.length > 80 ? `${JSON.stringify(subject.slice(0, 80))}… (${subject.length} characters)` : JSON.stringify(subject);
    return [`subject: must be a lower-case identifier (letters, digits, _; starting with a letter), got ${shown}`];
  }
  const problems: string[] = [];
  if (subject.length > MAX_SUBJECT_NAME_LENGTH) problems.push(`subject: at most ${MAX_SUBJECT_NAME_LENGTH} characters, got ${subject.length}`);
  if (RESERVED_SUBJECT_NAMES.has(subject)) problems.push(`subject: "${subject}" is reserved (${[...RESERVED_SUBJECT_NAMES].join(', ')})`);
  return problems;
}
