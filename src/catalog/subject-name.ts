import pluralize from 'pluralize';

/**
 * Rules for subject names. A name becomes a MongoDB collection (`state_<subject>`), Kafka topics
 * (`canonical.<subject>`) and GraphQL names (`order_line` → type `OrderLine`, queries `orderLine`,
 * `orderLines`..., through `subjectNoun` below), and is used as a key in plain JavaScript objects. Collisions of the generated
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

/**
 * Words English treats as mass nouns in data vocabularies although the library singularizes them
 * (`data` → `datum`): a subject `sensor_data` is one `sensorData`, many `sensorDataList`.
 */
for (const word of ['data', 'metadata']) pluralize.addUncountableRule(word);

/** A subject's name as a noun: what one entity is called, and many (null when the noun has no distinct plural). */
export interface SubjectNoun {
  readonly one: string;
  readonly many: string | null;
}

/**
 * The one inflection rule of subject names, shared by the GraphQL names (src/graphql/naming.ts)
 * and the checks on names: the name's last word (its trailing letters: `ux_demo_orders` →
 * `orders`) is put in the singular for one entity and in the plural for many, by `pluralize`
 * (English singular/plural rules, irregular and uncountable words), whichever number the name was
 * given in: `order` and `orders` both name one `order` and many `orders`; `person` → `people`,
 * `category` → `categories`, `status` → `statuses`. A name without a distinct plural
 * (`equipment`, `news`, a name ending in a digit) has `many: null`; the API then says `…List`.
 */
export function subjectNoun(subject: string): SubjectNoun {
  const word = /[a-z]+$/i.exec(subject)?.[0];
  if (!word) return { one: subject, many: null };
  const stem = subject.slice(0, subject.length - word.length);
  const one = pluralize.singular(word);
  const many = pluralize.plural(one);
  return { one: stem + one, many: many === one ? null : stem + many };
}

/** Every problem of a subject name, as `subject: …` lines (empty when it is fine). */
export function subjectNameProblems(subject: unknown): string[] {
  if (typeof subject !== 'string' || !SUBJECT_NAME.test(subject)) {
    const shown =
      typeof subject === 'string' && subject.length > 80 ? `${JSON.stringify(subject.slice(0, 80))}… (${subject.length} characters)` : JSON.stringify(subject);
    return [`subject: must be a lower-case identifier (letters, digits, _; starting with a letter), got ${shown}`];
  }
  const problems: string[] = [];
  if (subject.length > MAX_SUBJECT_NAME_LENGTH) problems.push(`subject: at most ${MAX_SUBJECT_NAME_LENGTH} characters, got ${subject.length}`);
  if (RESERVED_SUBJECT_NAMES.has(subject)) problems.push(`subject: "${subject}" is reserved (${[...RESERVED_SUBJECT_NAMES].join(', ')})`);
  else {
    // The GraphQL names come from the noun: `subscriptions` would name its type `Subscription`.
    const { one } = subjectNoun(subject);
    if (one !== subject && RESERVED_SUBJECT_NAMES.has(one))
      problems.push(`subject: "${subject}" names one "${one}", which is reserved (${[...RESERVED_SUBJECT_NAMES].join(', ')})`);
  }
  return problems;
}
