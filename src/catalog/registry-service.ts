import { AppError, ErrorCode } from '../errors';
import { deepEqual } from '../values/deep-equal';
import { checkAvroCompatibility, parseAvroSchema } from './avro-compatibility';
import { checkCompatibility, COMPATIBILITY_LEVELS, isCompatibilityLevel, levelRules, type CompatibilityLevel } from './compatibility';
import type { RawSchemaStore, RawSchemaVersion } from './raw-schema-store';
import { canonicalEventSchema } from './event-schema';
import { describeViolation, type SchemaRegistry } from './schema-registry';
import { normalizeSchemaText, type IdentifiedSchema, type SchemaIds, type SchemaType } from './schema-ids';
import { subjectNameProblems } from './subject-name';

/**
 * One schema registry with the Confluent registry's model (subjects, versions, global ids,
 * compatibility per subject or global) over two kinds of subject:
 *
 * - **canonical** subjects (a name canonical subjects may have: `order`, `customer`): the canonical
 *   JSON Schemas, served as `schemaType: JSON`, read and written through the very registry the
 *   GraphQL catalog uses (schema-registry.ts: same store, same checks, catalog revision bumped);
 * - **raw** subjects (every other name: `<topic>-value`, `<topic>-key`): the writer schemas of raw
 *   topics, Avro or JSON Schema, kept apart (raw-schema-store.ts) and checked by their own rules.
 *
 * Both share the global compatibility level and one id space (schema-ids.ts). The HTTP edge
 * (src/http/registry-routes.ts) turns the errors into the registry protocol's error codes, carried
 * in `details.registryErrorCode`.
 */
export interface RegisteredSchema {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schemaType: SchemaType;
  readonly schema: string;
}

/** A request body as the registry protocol sends it (`{schema, schemaType?, references?}`), unchecked. */
export interface SchemaInput {
  readonly schema?: unknown;
  readonly schemaType?: unknown;
  readonly references?: unknown;
}

export interface CompatibilityAnswer {
  readonly compatible: boolean;
  readonly messages: string[];
}

export type SubjectKind = 'canonical' | 'raw' | 'event';

export interface RegistryService {
  kindOf(subject: string): SubjectKind;
  subjects(): Promise<string[]>;
  versions(subject: string): Promise<number[]>;
  version(subject: string, version: number | 'latest'): Promise<RegisteredSchema>;
  schemaById(id: number): Promise<IdentifiedSchema>;
  /** Registers (or finds) a schema under a subject; its id. */
  register(subject: string, input: SchemaInput): Promise<{ id: number; created: boolean }>;
  /** The version of a subject holding exactly this schema. */
  lookup(subject: string, input: SchemaInput): Promise<RegisteredSchema>;
  /** Would the schema be accepted next to `version` (latest: as a registration would check it)? */
  checkCompatibility(subject: string, version: number | 'latest', input: SchemaInput): Promise<CompatibilityAnswer>;
  globalCompatibility(): Promise<CompatibilityLevel>;
  setGlobalCompatibility(level: unknown): Promise<CompatibilityLevel>;
  /** The subject's own level, null when it follows the global one. */
  subjectCompatibility(subject: string): Promise<CompatibilityLevel | null>;
  /** Sets (or, with null, removes) a subject's own level; returns the previous own level. */
  setSubjectCompatibility(subject: string, level: unknown): Promise<CompatibilityLevel | null>;
  /** The id of the latest event schema of a canonical subject published in the wire format (null: it is not, or has no version). */
  eventSchemaId(subject: string): Promise<number | null>;
}

/** The registry protocol's error codes (the HTTP status is the code's first three digits). */
export const RegistryErrorCode = {
  SUBJECT_NOT_FOUND: 40401,
  VERSION_NOT_FOUND: 40402,
  SCHEMA_NOT_FOUND: 40403,
  SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED: 40408,
  INCOMPATIBLE_SCHEMA: 409,
  INVALID_SCHEMA: 42201,
  INVALID_VERSION: 42202,
  INVALID_COMPATIBILITY_LEVEL: 42203,
  OPERATION_NOT_PERMITTED: 42205,
  STORE_ERROR: 50001,
} as const;

export function registryError(registryErrorCode: number, message: string, problems: readonly string[] = []): AppError {
  const code = registryErrorCode === 409 ? ErrorCode.CONFLICT : registryErrorCode < 40500 ? ErrorCode.NOT_FOUND : ErrorCode.BAD_USER_INPUT;
  return new AppError(code, message, { details: { registryErrorCode, problems } });
}

const MAX_ATTEMPTS = 5;

export function createRegistryService(options: {
  canonical: SchemaRegistry;
  raw: RawSchemaStore;
  ids: SchemaIds;
  /** Called after a canonical write, so this process serves it at once (the catalog watch's refresh). */
  onCanonicalChange?: () => Promise<void>;
  /**
   * Canonical subjects whose events are published in the wire format: their event schemas are
   * served, read-only, under `<topicPrefix><subject>-value` (event-schema.ts).
   */
  events?: { readonly topicPrefix: string; readonly published: (subject: string) => boolean };
}): RegistryService {
  const { canonical, raw, ids } = options;
  const eventSubjectOf = (subject: string) => `${options.events?.topicPrefix ?? ''}${subject}-value`;
  /** The canonical subject whose events an event subject describes, or null. */
  const eventSourceOf = (name: string): string | null => {
    const events = options.events;
    if (!events || !name.startsWith(events.topicPrefix) || !name.endsWith('-value')) return null;
    const subject = name.slice(events.topicPrefix.length, -'-value'.length);
    return subjectNameProblems(subject).length === 0 && events.published(subject) ? subject : null;
  };
  const kindOf = (subject: string): SubjectKind =>
    eventSourceOf(subject) !== null ? 'event' : subjectNameProblems(subject).length === 0 ? 'canonical' : 'raw';
  const eventRegistered = async (subject: string, version: number, schema: Record<string, unknown>): Promise<RegisteredSchema> => {
    const name = eventSubjectOf(subject);
    const text = JSON.stringify(canonicalEventSchema(subject, schema));
    return { subject: name, version, id: await ids.idOf('JSON', text, name), schemaType: 'JSON', schema: text };
  };
  const readOnly = (subject: string) =>
    registryError(
      RegistryErrorCode.OPERATION_NOT_PERMITTED,
      `Subject '${subject}' is derived from the canonical subject '${eventSourceOf(subject)}' (its events' schema): register the canonical subject instead`,
    );

  const canonicalText = (schema: Record<string, unknown>) => JSON.stringify(schema);
  const canonicalRegistered = async (subject: string, version: number, schema: Record<string, unknown>): Promise<RegisteredSchema> => {
    const text = canonicalText(schema);
    return { subject, version, id: await ids.idOf('JSON', text, subject), schemaType: 'JSON', schema: text };
  };
  const rawRegistered = async (v: RawSchemaVersion): Promise<RegisteredSchema> => ({
    subject: v.subject,
    version: v.version,
    id: await ids.idOf(v.schemaType, v.schema, v.subject),
    schemaType: v.schemaType,
    schema: v.schema,
  });

  async function liveCanonical(subject: string) {
    const record = await canonical.subject(subject);
    if (!record || record.deleted || record.latestVersion === 0) throw registryError(RegistryErrorCode.SUBJECT_NOT_FOUND, `Subject '${subject}' not found.`);
    return record;
  }
  async function rawHistory(subject: string): Promise<RawSchemaVersion[]> {
    const history = await raw.versions(subject);
    if (history.length === 0) throw registryError(RegistryErrorCode.SUBJECT_NOT_FOUND, `Subject '${subject}' not found.`);
    return history;
  }
  const pick = <T extends { version: number }>(history: readonly T[], subject: string, version: number | 'latest'): T => {
    const found = version === 'latest' ? history.at(-1) : history.find((h) => h.version === version);
    if (!found) throw registryError(RegistryErrorCode.VERSION_NOT_FOUND, `Version ${version} not found for subject '${subject}'.`);
    return found;
  };

  /** The input's type and text, checked against what the subject's kind holds. */
  function parseInput(subject: string, input: SchemaInput): { schemaType: SchemaType; text: string; parsed: unknown } {
    const invalid = (problem: string) => registryError(RegistryErrorCode.INVALID_SCHEMA, `Invalid schema for subject '${subject}': ${problem}`, [problem]);
    if (typeof input.schema !== 'string') throw invalid('"schema" must be a string holding the schema');
    const schemaType = input.schemaType ?? 'AVRO';
    if (schemaType !== 'AVRO' && schemaType !== 'JSON') throw invalid(`schemaType ${JSON.stringify(schemaType)} is not supported here (AVRO, JSON)`);
    if (Array.isArray(input.references) && input.references.length > 0) throw invalid('schema references are not supported');
    if (kindOf(subject) === 'canonical' && schemaType !== 'JSON') {
      throw invalid(`'${subject}' is a canonical subject: it holds JSON Schemas (schemaType JSON); raw writer schemas go under '<topic>-value'`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(input.schema);
    } catch (error) {
      throw invalid(`not valid JSON: ${(error as Error).message}`);
    }
    return { schemaType, text: normalizeSchemaText(input.schema), parsed };
  }

  async function checkRaw(
    subject: string,
    against: readonly RawSchemaVersion[],
    schemaType: SchemaType,
    parsed: unknown,
    text: string,
    level: CompatibilityLevel,
  ) {
    if (schemaType === 'AVRO') {
      const candidate = parseAvroSchema(text);
      if ('problem' in candidate)
        throw registryError(RegistryErrorCode.INVALID_SCHEMA, `Invalid schema for subject '${subject}': ${candidate.problem}`, [candidate.problem]);
      const history = against.map((v) => {
        const type = parseAvroSchema(v.schema);
        if ('problem' in type) throw new AppError(ErrorCode.INTERNAL, `stored version ${v.version} of ${subject} is not a valid Avro schema: ${type.problem}`);
        return [v.version, type.type] as const;
      });
      return checkAvroCompatibility(history, candidate.type, level);
    }
    if (parsed === null || (typeof parsed !== 'object' && typeof parsed !== 'boolean') || Array.isArray(parsed)) {
      throw registryError(RegistryErrorCode.INVALID_SCHEMA, `Invalid schema for subject '${subject}': a JSON Schema is an object or a boolean`);
    }
    const verdict = checkCompatibility(
      against.map((v) => JSON.parse(v.schema) as Record<string, unknown>),
      parsed as Record<string, unknown>,
      level,
    );
    return { compatible: verdict.compatible, messages: verdict.violations.map(describeViolation) };
  }

  function typeChanged(subject: string, from: SchemaType, to: SchemaType): AppError {
    const message = `Schema being registered is incompatible with an earlier schema for subject '${subject}': its type is ${to}, the subject's is ${from}`;
    return registryError(RegistryErrorCode.INCOMPATIBLE_SCHEMA, message, [message]);
  }

  async function levelOf(subject: string): Promise<CompatibilityLevel> {
    if (kindOf(subject) === 'canonical') return (await canonical.compatibilityOf(subject)).level;
    return (await raw.compatibility(subject)) ?? (await canonical.globalCompatibility());
  }

  function checkedLevel(level: unknown): CompatibilityLevel {
    if (!isCompatibilityLevel(level)) {
      throw registryError(
        RegistryErrorCode.INVALID_COMPATIBILITY_LEVEL,
        `Invalid compatibility level ${JSON.stringify(level)}. Valid values are ${COMPATIBILITY_LEVELS.join(', ')}`,
      );
    }
    return level;
  }

  return {
    kindOf,
    async subjects() {
      const [canonicalSubjects, rawSubjects] = await Promise.all([canonical.subjects(), raw.subjects()]);
      const live = canonicalSubjects.filter((s) => s.latestVersion > 0).map((s) => s.subject);
      const events = options.events ? live.filter((s) => options.events!.published(s)).map(eventSubjectOf) : [];
      return [...live, ...events, ...rawSubjects].sort();
    },
    async versions(subject) {
      if (kindOf(subject) === 'raw') return (await rawHistory(subject)).map((v) => v.version);
      const source = eventSourceOf(subject);
      if (source !== null) {
        await liveCanonical(source);
        return (await canonical.versions(source)).map((v) => v.version);
      }
      await liveCanonical(subject);
      return (await canonical.versions(subject)).map((v) => v.version);
    },
    async version(subject, version) {
      if (kindOf(subject) === 'raw') return rawRegistered(pick(await rawHistory(subject), subject, version));
      const source = eventSourceOf(subject);
      if (source !== null) {
        await liveCanonical(source);
        const found = pick(await canonical.versions(source), subject, version);
        return eventRegistered(source, found.version, found.schema);
      }
      await liveCanonical(subject);
      const found = pick(await canonical.versions(subject), subject, version);
      return canonicalRegistered(subject, found.version, found.schema);
    },
    async schemaById(id) {
      const found = await ids.byId(id);
      if (!found) throw registryError(RegistryErrorCode.SCHEMA_NOT_FOUND, `Schema ${id} not found`);
      return found;
    },
    async register(subject, input) {
      if (kindOf(subject) === 'event') throw readOnly(subject);
      const { schemaType, text, parsed } = parseInput(subject, input);
      if (kindOf(subject) === 'canonical') {
        const record = await canonical.subject(subject);
        const history = await canonical.versions(subject);
        const same = history.find((v) => deepEqual(v.schema, parsed));
        if (same && record && !record.deleted) return { id: await ids.idOf('JSON', canonicalText(same.schema), subject), created: false };
        const verdict = await canonical.check(subject, parsed);
        if (verdict.problems.length > 0) {
          throw registryError(
            RegistryErrorCode.INVALID_SCHEMA,
            `Invalid schema for subject '${subject}':\n  - ${verdict.problems.join('\n  - ')}`,
            verdict.problems,
          );
        }
        if (!verdict.compatible) {
          // Incompatible with its level, or with the mapping specs active for the subject.
          const messages = [...verdict.specProblems, ...verdict.violations.map(describeViolation)];
          const against =
            verdict.specProblems.length > 0
              ? `would break the mapping specs active for subject '${subject}' (deactivate or update them first)`
              : `is incompatible with an earlier schema for subject '${subject}' (${verdict.level})`;
          throw registryError(RegistryErrorCode.INCOMPATIBLE_SCHEMA, `Schema being registered ${against}:\n  - ${messages.join('\n  - ')}`, messages);
        }
        let result: { version: number };
        try {
          result = await canonical.register(subject, parsed);
        } catch (error) {
          // A registration that raced this one and changed the subject: a conflict in this protocol too.
          if (error instanceof AppError && (error.code === ErrorCode.CONFLICT || error.code === ErrorCode.BAD_USER_INPUT)) {
            throw registryError(RegistryErrorCode.INCOMPATIBLE_SCHEMA, error.message, Array.isArray(error.details) ? error.details : [error.message]);
          }
          throw error;
        }
        await options.onCanonicalChange?.();
        const stored = await canonical.version(subject, result.version);
        return { id: await ids.idOf('JSON', canonicalText(stored!.schema), subject), created: true };
      }
      for (let attempt = 1; ; attempt += 1) {
        const history = await raw.versions(subject);
        const same = history.find((v) => v.schemaType === schemaType && v.schema === text);
        if (same) return { id: await ids.idOf(schemaType, text, subject), created: false };
        const latest = history.at(-1);
        if (latest && latest.schemaType !== schemaType) throw typeChanged(subject, latest.schemaType, schemaType);
        const verdict = await checkRaw(subject, history, schemaType, parsed, text, await levelOf(subject));
        if (!verdict.compatible) {
          throw registryError(
            RegistryErrorCode.INCOMPATIBLE_SCHEMA,
            `Schema being registered is incompatible with an earlier schema for subject '${subject}':\n  - ${verdict.messages.join('\n  - ')}`,
            verdict.messages,
          );
        }
        const version = (latest?.version ?? 0) + 1;
        if (await raw.insert({ subject, version, schemaType, schema: text })) return { id: await ids.idOf(schemaType, text, subject), created: true };
        if (attempt >= MAX_ATTEMPTS)
          throw registryError(RegistryErrorCode.INCOMPATIBLE_SCHEMA, `version ${version} of ${subject} was registered concurrently: retry`);
      }
    },
    async lookup(subject, input) {
      const source = eventSourceOf(subject);
      if (source !== null) {
        const { text } = parseInput(subject, input);
        await liveCanonical(source);
        for (const v of await canonical.versions(source)) {
          const registered = await eventRegistered(source, v.version, v.schema);
          if (registered.schema === text) return registered;
        }
        throw registryError(RegistryErrorCode.SCHEMA_NOT_FOUND, 'Schema not found');
      }
      const { schemaType, text, parsed } = parseInput(subject, input);
      if (kindOf(subject) === 'raw') {
        const found = (await rawHistory(subject)).find((v) => v.schemaType === schemaType && v.schema === text);
        if (!found) throw registryError(RegistryErrorCode.SCHEMA_NOT_FOUND, 'Schema not found');
        return rawRegistered(found);
      }
      await liveCanonical(subject);
      const found = (await canonical.versions(subject)).find((v) => deepEqual(v.schema, parsed));
      if (!found) throw registryError(RegistryErrorCode.SCHEMA_NOT_FOUND, 'Schema not found');
      return canonicalRegistered(subject, found.version, found.schema);
    },
    async checkCompatibility(subject, version, input) {
      if (kindOf(subject) === 'event') throw readOnly(subject);
      const { schemaType, text, parsed } = parseInput(subject, input);
      const level = await levelOf(subject);
      if (kindOf(subject) === 'raw') {
        const history = await rawHistory(subject);
        const against = pick(history, subject, version);
        if (against.schemaType !== schemaType) return { compatible: false, messages: [typeChanged(subject, against.schemaType, schemaType).message] };
        // `latest` is checked as a registration would be (transitive levels: every version).
        const versions = version === 'latest' ? history : [against];
        return checkRaw(subject, versions, schemaType, parsed, text, version === 'latest' ? level : nonTransitive(level));
      }
      await liveCanonical(subject);
      const history = await canonical.versions(subject);
      const against = pick(history, subject, version);
      if (version === 'latest') {
        const verdict = await canonical.check(subject, parsed);
        if (verdict.problems.length > 0) throw registryError(RegistryErrorCode.INVALID_SCHEMA, `Invalid schema for subject '${subject}'`, verdict.problems);
        return { compatible: verdict.compatible, messages: [...verdict.specProblems, ...verdict.violations.map(describeViolation)] };
      }
      const problems = canonical.problemsOf(subject, parsed);
      if (problems.length > 0) throw registryError(RegistryErrorCode.INVALID_SCHEMA, `Invalid schema for subject '${subject}'`, problems);
      const verdict = checkCompatibility([against.schema], parsed as Record<string, unknown>, nonTransitive(level));
      return { compatible: verdict.compatible, messages: verdict.violations.map(describeViolation) };
    },
    globalCompatibility: () => canonical.globalCompatibility(),
    async setGlobalCompatibility(level) {
      const checked = checkedLevel(level);
      await canonical.setCompatibility(checked);
      await options.onCanonicalChange?.();
      return checked;
    },
    async subjectCompatibility(subject) {
      if (kindOf(subject) === 'raw') return raw.compatibility(subject);
      const source = eventSourceOf(subject);
      if (source !== null) subject = source;
      const own = await canonical.compatibilityOf(subject);
      return own.source === 'subject' ? own.level : null;
    },
    async setSubjectCompatibility(subject, level) {
      if (kindOf(subject) === 'event') throw readOnly(subject);
      const checked = level === null ? null : checkedLevel(level);
      if (kindOf(subject) === 'raw') {
        const previous = await raw.compatibility(subject);
        await raw.setCompatibility(subject, checked);
        return previous;
      }
      await liveCanonical(subject);
      const own = await canonical.compatibilityOf(subject);
      await canonical.setCompatibility(checked, subject);
      await options.onCanonicalChange?.();
      return own.source === 'subject' ? own.level : null;
    },
    async eventSchemaId(subject) {
      if (!options.events?.published(subject)) return null;
      const record = await canonical.subject(subject);
      if (!record || record.latestVersion === 0) return null;
      const latest = await canonical.version(subject, record.latestVersion);
      return latest ? (await eventRegistered(subject, latest.version, latest.schema)).id : null;
    },
  };
}

/** The same directions, against the one version named (a check against a given version). */
function nonTransitive(level: CompatibilityLevel): CompatibilityLevel {
  const { directions } = levelRules(level);
  if (directions.length === 2) return 'FULL';
  if (directions.length === 0) return 'NONE';
  return directions[0] === 'backward' ? 'BACKWARD' : 'FORWARD';
}
