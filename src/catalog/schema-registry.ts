import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Collection, Db } from 'mongodb';
import { AppError, ErrorCode } from '../errors';
import { deepEqual } from '../values/deep-equal';
import type { Logger } from '../logger';
import { bumpCatalogRevision } from './catalog-revision';
import { DEFAULT_COMPATIBILITY, isCompatibilityLevel, COMPATIBILITY_LEVELS, type CompatibilityLevel, type Violation } from './compatibility';
import { unsafePatterns } from './canonical-schemas';
import { linearRegExp } from './linear-regexp';
import { checkEvolution, type ApiSchemaCheck } from './schema-evolution';
import { subjectNameProblems } from './subject-name';

/**
 * The canonical schema registry: subjects with immutable numbered versions, a compatibility level
 * per subject (falling back to the global one, BACKWARD by default), deprecation and soft
 * deletion. The store is the runtime truth; `schema/canonical/` files are only the seed. Every
 * write bumps the catalog revision, so every process reloads what it serves.
 *
 * No transactions are needed: a version is one insert whose `_id` is `<subject>#<version>`, so two
 * concurrent registrations of the same next version cannot both succeed (the loser gets CONFLICT
 * when it named an expectedVersion, or is re-checked against the winner otherwise). A subject's
 * latest version is derived from its version documents, never kept in a second document that a
 * crash could leave behind.
 */
export const SCHEMA_SUBJECTS_COLLECTION = 'schema_subjects';
export const SCHEMA_VERSIONS_COLLECTION = 'schema_versions';
export const SCHEMA_SETTINGS_COLLECTION = 'schema_registry_settings';

export type SchemaOrigin = 'file' | 'api';

export interface SchemaVersionRecord {
  readonly subject: string;
  readonly version: number;
  readonly schema: Record<string, unknown>;
  readonly origin: SchemaOrigin;
  readonly registeredAt: Date;
}

export interface SubjectRecord {
  readonly subject: string;
  /** The subject's own level; null: the global level applies. */
  readonly compatibility: CompatibilityLevel | null;
  readonly deprecated: boolean;
  readonly deprecationReason: string | null;
  readonly deleted: boolean;
  readonly latestVersion: number;
}

/** A subject as the API serves it: its latest version. */
export interface ServedSubject {
  readonly subject: string;
  readonly version: number;
  readonly schema: Record<string, unknown>;
  readonly deprecated: boolean;
  readonly deleted: boolean;
}

export interface CompatibilityCheck {
  readonly subject: string;
  readonly level: CompatibilityLevel;
  /** The latest version the candidate was compared with (0: a new subject). */
  readonly latestVersion: number;
  readonly compatible: boolean;
  /** Problems of the schema itself (it would be rejected before any compatibility check). */
  readonly problems: string[];
  readonly violations: Violation[];
  /**
   * What the candidate would break in the mapping specs active for the subject (a path one writes
   * that would no longer be a field, a default its field would no longer accept), one line each
   * naming the spec; any: not compatible, at every level. Only checked for a schema without problems.
   */
  readonly specProblems: string[];
}

/**
 * What a candidate version would break in the mapping specs active for its subject, one line each
 * (spec-registry.ts activeSpecProblems; app.ts hands it in). `current`: the latest version, if any.
 */
export type ActiveSpecCheck = (subject: string, candidate: Record<string, unknown>, current: Record<string, unknown> | undefined) => Promise<string[]>;

export interface RegisterResult {
  readonly subject: string;
  readonly version: number;
  /** False when the schema equals the latest version: nothing was written. */
  readonly created: boolean;
}

export interface SchemaRegistry {
  /** Every problem of a subject name and schema as a canonical schema (no compatibility). */
  problemsOf(subject: unknown, schema: unknown): string[];
  /** Dry run: the verdict and every violation; registers nothing. */
  check(subject: string, schema: unknown): Promise<CompatibilityCheck>;
  register(subject: string, schema: unknown, options?: { expectedVersion?: number | null; origin?: SchemaOrigin }): Promise<RegisterResult>;
  /**
   * Registers each file schema that differs from its subject's latest stored version. All are
   * checked first; any problem or violation fails the seed with every one listed, nothing written.
   * `activeSpecs` replaces the registry's check of the active mapping specs (a start checks against
   * the specs active once its spec files are seeded).
   */
  seed(entries: readonly { subject: string; schema: Record<string, unknown> }[], options?: { activeSpecs?: ActiveSpecCheck }): Promise<RegisterResult[]>;
  subjects(options?: { includeDeleted?: boolean }): Promise<SubjectRecord[]>;
  subject(subject: string): Promise<SubjectRecord | null>;
  versions(subject: string): Promise<SchemaVersionRecord[]>;
  version(subject: string, version: number): Promise<SchemaVersionRecord | null>;
  /** The latest version of every subject with one, deleted ones flagged. */
  served(): Promise<ServedSubject[]>;
  globalCompatibility(): Promise<CompatibilityLevel>;
  /** The level that applies to a subject, and whether it is the subject's own or the global one. */
  compatibilityOf(subject: string): Promise<{ level: CompatibilityLevel; source: 'subject' | 'global' }>;
  /** Without subject: sets the global level. With `level: null`, a subject goes back to the global one. */
  setCompatibility(level: CompatibilityLevel | null, subject?: string | null): Promise<void>;
  deprecate(subject: string, deprecated: boolean, reason?: string | null): Promise<SubjectRecord>;
  /** Soft delete: hidden from the API, versions and entity data kept. */
  delete(subject: string): Promise<SubjectRecord>;
}

interface SubjectDoc {
  _id: string;
  compatibility: CompatibilityLevel | null;
  deprecated: boolean;
  deprecationReason: string | null;
  deleted: boolean;
  updatedAt: Date;
}

interface VersionDoc {
  _id: string;
  subject: string;
  version: number;
  /**
   * The schema as JSON text: JSON Schemas are full of `$`-keys (`$schema`, `$ref`, `$defs`) and may
   * name properties with dots, which a document store treats as operators or paths.
   */
  schemaJson: string;
  origin: SchemaOrigin;
  registeredAt: Date;
}

interface SettingsDoc {
  _id: 'global';
  compatibility: CompatibilityLevel;
}

const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';
const MAX_ATTEMPTS = 5;

export function createSchemaRegistry(
  db: Db,
  options: {
    /** The GraphQL API's checks of a candidate (src/graphql/api-schema-check.ts, handed in by app.ts). */
    api: ApiSchemaCheck;
    /** The mapping specs active for a subject, checked against each candidate version (none: nothing checked). */
    activeSpecs?: ActiveSpecCheck;
    logger?: Logger;
  },
): SchemaRegistry {
  const subjectsCol: Collection<SubjectDoc> = db.collection<SubjectDoc>(SCHEMA_SUBJECTS_COLLECTION);
  const versionsCol: Collection<VersionDoc> = db.collection<VersionDoc>(SCHEMA_VERSIONS_COLLECTION);
  const settingsCol: Collection<SettingsDoc> = db.collection<SettingsDoc>(SCHEMA_SETTINGS_COLLECTION);
  const ajv = new Ajv2020({ allErrors: true, strict: false, code: { regExp: linearRegExp } });
  addFormats(ajv);

  const toRecord = (doc: VersionDoc): SchemaVersionRecord => ({
    subject: doc.subject,
    version: doc.version,
    schema: JSON.parse(doc.schemaJson) as Record<string, unknown>,
    origin: doc.origin,
    registeredAt: doc.registeredAt,
  });

  async function versionsOf(subject: string): Promise<SchemaVersionRecord[]> {
    return (await versionsCol.find({ subject }).sort({ version: 1 }).toArray()).map(toRecord);
  }

  async function globalCompatibility(): Promise<CompatibilityLevel> {
    return (await settingsCol.findOne({ _id: 'global' }))?.compatibility ?? DEFAULT_COMPATIBILITY;
  }

  async function compatibilityOf(subject: string) {
    const own = (await subjectsCol.findOne({ _id: subject }))?.compatibility ?? null;
    return own ? { level: own, source: 'subject' as const } : { level: await globalCompatibility(), source: 'global' as const };
  }

  async function served(): Promise<ServedSubject[]> {
    const docs = await subjectsCol.find({}).toArray();
    const meta = new Map(docs.map((d) => [d._id, d]));
    const latest = new Map<string, VersionDoc>();
    for (const doc of await versionsCol.find({}).sort({ subject: 1, version: 1 }).toArray()) latest.set(doc.subject, doc);
    return [...latest.values()].map((doc) => ({
      subject: doc.subject,
      version: doc.version,
      schema: JSON.parse(doc.schemaJson) as Record<string, unknown>,
      deprecated: meta.get(doc.subject)?.deprecated ?? false,
      deleted: meta.get(doc.subject)?.deleted ?? false,
    }));
  }

  function problemsOf(subject: unknown, schema: unknown): string[] {
    const problems: string[] = subjectNameProblems(subject);
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
      problems.push('schema: must be a JSON object (a JSON Schema 2020-12 document)');
      return problems;
    }
    const doc = schema as Record<string, unknown>;
    if (doc.$schema !== undefined && doc.$schema !== SCHEMA_DIALECT)
      problems.push(`schema.$schema: must be "${SCHEMA_DIALECT}" when given, got ${JSON.stringify(doc.$schema)}`);
    if (doc.type !== 'object') problems.push('schema.type: a canonical subject is an object: "type" must be "object"');
    if (doc.properties !== undefined && (doc.properties === null || typeof doc.properties !== 'object' || Array.isArray(doc.properties))) {
      problems.push('schema.properties: must be an object of property schemas');
    }
    // The path before the first ": " becomes `schema.properties.code.pattern`; the pattern quoted after it stays as written.
    problems.push(...unsafePatterns(doc).map((problem) => `schema${problem.replace(/^[^:]*/, (path) => path.replace(/\//g, '.'))}`));
    const metaValid = ajv.validateSchema({ ...doc, $schema: SCHEMA_DIALECT, $id: undefined });
    if (!metaValid) {
      for (const error of ajv.errors ?? []) problems.push(`schema${error.instancePath.replace(/\//g, '.')}: ${error.message ?? error.keyword}`);
    } else {
      try {
        ajv.compile({ ...doc, $id: undefined });
      } catch (error) {
        problems.push(`schema: does not compile: ${(error as Error).message}`);
      }
    }
    if (problems.length === 0 && typeof subject === 'string') problems.push(...options.api.buildProblems(subject, doc));
    return problems;
  }

  async function check(subject: string, schema: unknown, activeSpecs = options.activeSpecs): Promise<CompatibilityCheck> {
    const { level } = await compatibilityOf(subject);
    const history = await versionsOf(subject);
    const latestVersion = history.at(-1)?.version ?? 0;
    const problems = problemsOf(subject, schema);
    if (problems.length > 0) return { subject, level, latestVersion, compatible: false, problems, violations: [], specProblems: [] };
    const others = (await served()).filter((s) => !s.deleted && s.subject !== subject);
    // The API the candidate would produce, built before anything is committed: it must be valid
    // and leave every other subject's and the fixed API's types and fields as they are.
    const latest = history.at(-1);
    const current = latest ? { subject, version: latest.version, schema: latest.schema } : undefined;
    const collisions = options.api.collisions(others, { subject, version: latestVersion + 1, schema: schema as Record<string, unknown> }, current);
    if (collisions.length > 0) return { subject, level, latestVersion, compatible: false, problems: collisions, violations: [], specProblems: [] };
    const verdict = checkEvolution(
      { subject, history: history.map((h) => h.schema), candidate: schema as Record<string, unknown>, level, others },
      options.api,
    );
    // Under NONE too: a field an active spec writes must stay a field (the spec goes first).
    const specProblems = (await activeSpecs?.(subject, schema as Record<string, unknown>, latest?.schema)) ?? [];
    return {
      subject,
      level,
      latestVersion,
      compatible: verdict.compatible && specProblems.length === 0,
      problems: [],
      violations: verdict.violations,
      specProblems,
    };
  }

  function rejectCheck(result: CompatibilityCheck): never {
    if (result.problems.length > 0) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, `invalid canonical schema for ${result.subject}:\n  - ${result.problems.join('\n  - ')}`, {
        details: result.problems,
      });
    }
    const details = result.violations.map(describeViolation);
    if (result.specProblems.length > 0) {
      const incompatible = details.length > 0 ? ` and is not ${result.level} compatible with version ${result.latestVersion}` : '';
      const all = [...result.specProblems, ...details];
      throw new AppError(
        ErrorCode.BAD_USER_INPUT,
        `schema for ${result.subject} would break the mapping specs active for it (deactivate or update them first)${incompatible}:\n  - ${all.join('\n  - ')}`,
        { details: all },
      );
    }
    throw new AppError(
      ErrorCode.BAD_USER_INPUT,
      `schema for ${result.subject} is not ${result.level} compatible with version ${result.latestVersion} (${details.length} violation${details.length === 1 ? '' : 's'}):\n  - ${details.join('\n  - ')}`,
      { details },
    );
  }

  async function register(
    subject: string,
    schema: unknown,
    opts: { expectedVersion?: number | null; origin?: SchemaOrigin; activeSpecs?: ActiveSpecCheck } = {},
  ): Promise<RegisterResult> {
    for (let attempt = 1; ; attempt += 1) {
      const existing = await subjectsCol.findOne({ _id: subject });
      const history = await versionsOf(subject);
      const latest = history.at(-1);
      const latestVersion = latest?.version ?? 0;
      if (opts.expectedVersion !== undefined && opts.expectedVersion !== null && opts.expectedVersion !== latestVersion) {
        throw new AppError(ErrorCode.CONFLICT, `${subject} is at version ${latestVersion}, not ${opts.expectedVersion}: reload and retry`, {
          details: [`expectedVersion ${opts.expectedVersion} is stale: latest is ${latestVersion}`],
        });
      }
      const problems = problemsOf(subject, schema);
      if (problems.length > 0)
        rejectCheck({ subject, level: DEFAULT_COMPATIBILITY, latestVersion, compatible: false, problems, violations: [], specProblems: [] });
      if (latest && deepEqual(latest.schema, schema) && !existing?.deleted) return { subject, version: latestVersion, created: false };
      const result = await check(subject, schema, opts.activeSpecs ?? options.activeSpecs);
      if (!result.compatible) rejectCheck(result);
      const version = latestVersion + 1;
      try {
        await versionsCol.insertOne({
          _id: `${subject}#${version}`,
          subject,
          version,
          schemaJson: JSON.stringify(schema),
          origin: opts.origin ?? 'api',
          registeredAt: new Date(),
        });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // Someone registered this version first: with an expected version that is a conflict;
        // without one, check again against what they registered.
        if ((opts.expectedVersion !== undefined && opts.expectedVersion !== null) || attempt >= MAX_ATTEMPTS) {
          throw new AppError(ErrorCode.CONFLICT, `${subject} version ${version} was registered concurrently: reload and retry`, {
            details: [`version ${version} of ${subject} already exists`],
          });
        }
        continue;
      }
      // A registration through the API brings a deleted subject back; a file never does. The seed
      // skipped deleted subjects when it read them, but a delete may land between that read and
      // this write: the subject stays deleted, as if the delete had come after the seed.
      const revive = (opts.origin ?? 'api') === 'api';
      await subjectsCol.updateOne(
        { _id: subject },
        {
          $set: { ...(revive ? { deleted: false } : {}), updatedAt: new Date() },
          $setOnInsert: { compatibility: null, deprecated: false, deprecationReason: null, ...(revive ? {} : { deleted: false }) },
        },
        { upsert: true },
      );
      await bumpCatalogRevision(db);
      options.logger?.info({ subject, version, origin: opts.origin ?? 'api' }, 'canonical schema registered');
      return { subject, version, created: true };
    }
  }

  async function subjectRecord(subject: string): Promise<SubjectRecord | null> {
    const [doc, history] = await Promise.all([subjectsCol.findOne({ _id: subject }), versionsCol.find({ subject }).sort({ version: -1 }).limit(1).toArray()]);
    if (!doc && history.length === 0) return null;
    return {
      subject,
      compatibility: doc?.compatibility ?? null,
      deprecated: doc?.deprecated ?? false,
      deprecationReason: doc?.deprecationReason ?? null,
      deleted: doc?.deleted ?? false,
      latestVersion: history[0]?.version ?? 0,
    };
  }

  async function requireSubject(subject: string): Promise<SubjectRecord> {
    const record = await subjectRecord(subject);
    if (!record || record.latestVersion === 0)
      throw new AppError(ErrorCode.BAD_USER_INPUT, `unknown subject "${subject}"`, { details: [`subject: no schema is registered for "${subject}"`] });
    return record;
  }

  return {
    problemsOf,
    check,
    register,
    async seed(entries, seedOptions = {}) {
      const activeSpecs = seedOptions.activeSpecs ?? options.activeSpecs;
      const pending: { subject: string; schema: Record<string, unknown> }[] = [];
      const failures: string[] = [];
      for (const entry of entries) {
        const record = await subjectRecord(entry.subject);
        if (record?.deleted) {
          options.logger?.info({ subject: entry.subject }, 'seed schema skipped: the subject was deleted through the API');
          continue;
        }
        const latest = record ? (await versionsOf(entry.subject)).at(-1) : undefined;
        if (latest && deepEqual(latest.schema, entry.schema)) continue;
        const result = await check(entry.subject, entry.schema, activeSpecs);
        if (result.compatible) pending.push(entry);
        else failures.push(...[...result.problems, ...result.specProblems, ...result.violations.map(describeViolation)].map((p) => `${entry.subject}: ${p}`));
      }
      if (failures.length > 0) {
        throw new AppError(ErrorCode.SCHEMA_INVALID, `canonical schema files cannot be registered:\n  - ${failures.join('\n  - ')}`, { details: failures });
      }
      const results: RegisterResult[] = [];
      for (const entry of pending) results.push(await register(entry.subject, entry.schema, { origin: 'file', activeSpecs }));
      return results;
    },
    async subjects(opts = {}) {
      const names = new Set((await versionsCol.find({}, { projection: { subject: 1 } }).toArray()).map((d) => d.subject));
      const records = await Promise.all([...names].sort().map(subjectRecord));
      return records.filter((r): r is SubjectRecord => r !== null && (opts.includeDeleted === true || !r.deleted));
    },
    subject: subjectRecord,
    versions: versionsOf,
    async version(subject, version) {
      const doc = await versionsCol.findOne({ _id: `${subject}#${version}` });
      return doc ? toRecord(doc) : null;
    },
    served,
    globalCompatibility,
    compatibilityOf,
    async setCompatibility(level, subject) {
      if (level !== null && !isCompatibilityLevel(level)) {
        throw new AppError(ErrorCode.BAD_USER_INPUT, `unknown compatibility level ${JSON.stringify(level)}`, {
          details: [`level: must be one of ${COMPATIBILITY_LEVELS.join(', ')}`],
        });
      }
      if (subject === undefined || subject === null) {
        if (level === null)
          throw new AppError(ErrorCode.BAD_USER_INPUT, 'the global level cannot be cleared', { details: ['level: required without a subject'] });
        await settingsCol.updateOne({ _id: 'global' }, { $set: { compatibility: level } }, { upsert: true });
      } else {
        await requireSubject(subject);
        await subjectsCol.updateOne(
          { _id: subject },
          { $set: { compatibility: level, updatedAt: new Date() }, $setOnInsert: { deprecated: false, deprecationReason: null, deleted: false } },
          { upsert: true },
        );
      }
      await bumpCatalogRevision(db);
    },
    async deprecate(subject, deprecated, reason) {
      await requireSubject(subject);
      await subjectsCol.updateOne(
        { _id: subject },
        {
          $set: { deprecated, deprecationReason: deprecated ? (reason ?? null) : null, updatedAt: new Date() },
          $setOnInsert: { compatibility: null, deleted: false },
        },
        { upsert: true },
      );
      await bumpCatalogRevision(db);
      return (await subjectRecord(subject))!;
    },
    async delete(subject) {
      await requireSubject(subject);
      await subjectsCol.updateOne(
        { _id: subject },
        { $set: { deleted: true, updatedAt: new Date() }, $setOnInsert: { compatibility: null, deprecated: false, deprecationReason: null } },
        { upsert: true },
      );
      await bumpCatalogRevision(db);
      options.logger?.info({ subject }, 'canonical subject deleted (soft)');
      return (await subjectRecord(subject))!;
    },
  };
}

/** One line per violation, as listed in `extensions.details`. */
export function describeViolation(v: Violation): string {
  const against = v.against === undefined ? '' : ` against version ${v.against}`;
  return `${v.path || '/'}: ${v.rule} (${v.direction}${against}): ${v.message}`;
}

/** The seed: every `<subject>.schema.json` of `<schemaDir>/canonical/`, parsed, not yet checked. */
export function readSchemaFiles(dir: string): { subject: string; schema: Record<string, unknown> }[] {
  if (!fs.existsSync(dir)) return [];
  const problems: string[] = [];
  const entries: { subject: string; schema: Record<string, unknown> }[] = [];
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.schema.json'))
    .sort()) {
    try {
      entries.push({
        subject: file.replace(/\.schema\.json$/, ''),
        schema: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>,
      });
    } catch (error) {
      problems.push(`${file}: not valid JSON (${(error as Error).message})`);
    }
  }
  if (problems.length > 0)
    throw new AppError(ErrorCode.SCHEMA_INVALID, `invalid canonical schema files in ${dir}:\n  - ${problems.join('\n  - ')}`, { details: problems });
  return entries;
}

function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}
