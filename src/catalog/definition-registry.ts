import type { Collection, Db } from 'mongodb';
import { AppError, ErrorCode } from '../errors';
import { deepEqual } from '../values/deep-equal';
import { bumpCatalogRevision } from './catalog-revision';

/**
 * Versioned definitions with an activation lifecycle: mapping specs and metric definitions share
 * it. Each version is immutable once registered; at most one version of an id is active. The
 * active pointer of an id is ONE document (`catalog_active`), so switching versions is a single
 * atomic write: no process can ever observe "none active" or "two active" in between.
 *
 *   register (validated, inactive) → activate → (deactivate | activate another | rollback)
 *
 * Files (specs/) are the seed: a file version the store has never seen is registered and, when it
 * is newer than the active one, activated; a version already stored keeps whatever state the
 * admin API gave it, so a restart never undoes a rollback or a deactivation.
 */
export type DefinitionKind = 'mapping-spec' | 'metric';

export interface DefinitionKindOptions<T> {
  readonly kind: DefinitionKind;
  /** Every problem of the input (structure and semantics), or the typed definition. */
  validate(input: unknown): { ok: true; value: T } | { ok: false; problems: string[] };
  /**
   * Every problem of a stored version that is about to become the active one, against the
   * catalog as it is now (what it targets may have changed since it was registered); [] when it
   * may. Activation and rollback refuse a version with problems (BAD_USER_INPUT).
   */
  activationProblems?(value: T): string[];
  idOf(value: T): string;
  versionOf(value: T): number;
}

export interface DefinitionVersion<T> {
  readonly id: string;
  readonly version: number;
  readonly body: T;
  readonly origin: 'file' | 'api';
  readonly registeredAt: Date;
  readonly active: boolean;
}

export interface ActivationRecord {
  readonly version: number | null;
  readonly at: Date;
  readonly action: 'activate' | 'deactivate' | 'rollback';
}

export interface DefinitionRegistry<T> {
  readonly kind: DefinitionKind;
  /** Every problem of an input, without registering it (dry runs, previews). */
  problemsOf(input: unknown): string[];
  /** Validates and stores a new version, inactive. Same id+version with another body: CONFLICT. */
  register(input: unknown, origin?: 'file' | 'api'): Promise<DefinitionVersion<T>>;
  /** Registers file definitions the store has not seen; activates each one newer than the active one. */
  seed(inputs: readonly unknown[]): Promise<void>;
  /**
   * The versions seed(values) would make active, without writing anything: in order, a version the
   * store has not seen that is newer than the one active then (or a seen one a stopped start left
   * to activate); one per id, the last. `values` are taken as given (not validated against the catalog).
   */
  seedActivations(values: readonly T[]): Promise<T[]>;
  list(id?: string): Promise<DefinitionVersion<T>[]>;
  get(id: string, version: number): Promise<DefinitionVersion<T> | null>;
  /** `expectedActive` (when given) must be the version active now, else CONFLICT. */
  activate(id: string, version: number, expectedActive?: number | null): Promise<DefinitionVersion<T>>;
  deactivate(id: string): Promise<void>;
  /** Activates the version that was active before the current one. */
  rollback(id: string): Promise<DefinitionVersion<T>>;
  history(id: string): Promise<ActivationRecord[]>;
  /** The active version of every id. */
  active(): Promise<DefinitionVersion<T>[]>;
}

interface VersionDoc {
  _id: string;
  kind: DefinitionKind;
  id: string;
  version: number;
  body: unknown;
  origin: 'file' | 'api';
  registeredAt: Date;
  /**
   * Registered by a seed that activates it next; removed once the pointer has moved (by that seed,
   * or by any activation, deactivation or rollback of the id since). A start stopped between the
   * two writes leaves it, and the next seed finishes the activation instead of taking the version
   * for one an admin left inactive.
   */
  activating?: true;
}

interface ActiveDoc {
  _id: string;
  kind: DefinitionKind;
  id: string;
  version: number | null;
  history: ActivationRecord[];
}

export const DEFINITION_VERSIONS_COLLECTION = 'catalog_definitions';
export const DEFINITION_ACTIVE_COLLECTION = 'catalog_active';
const HISTORY_KEPT = 50;

export function createDefinitionRegistry<T>(db: Db, options: DefinitionKindOptions<T>): DefinitionRegistry<T> {
  const versions: Collection<VersionDoc> = db.collection<VersionDoc>(DEFINITION_VERSIONS_COLLECTION);
  const pointers: Collection<ActiveDoc> = db.collection<ActiveDoc>(DEFINITION_ACTIVE_COLLECTION);
  const { kind } = options;
  const versionId = (id: string, version: number) => `${kind}/${id}/${version}`;
  const pointerId = (id: string) => `${kind}/${id}`;

  const toVersion = (doc: VersionDoc, activeVersion: number | null | undefined): DefinitionVersion<T> => ({
    id: doc.id,
    version: doc.version,
    body: doc.body as T,
    origin: doc.origin,
    registeredAt: doc.registeredAt,
    active: activeVersion === doc.version,
  });

  function check(input: unknown): T {
    const result = options.validate(input);
    if (!result.ok) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, `invalid ${kind}:\n  - ${result.problems.join('\n  - ')}`, { details: result.problems });
    }
    return result.value;
  }

  function checkActivation(doc: VersionDoc): void {
    const problems = options.activationProblems?.(doc.body as T) ?? [];
    if (problems.length > 0) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, `${kind} "${doc.id}" version ${doc.version} cannot be activated:\n  - ${problems.join('\n  - ')}`, {
        details: problems,
      });
    }
  }

  async function activeVersionOf(id: string): Promise<number | null> {
    return (await pointers.findOne({ _id: pointerId(id) }))?.version ?? null;
  }

  async function requireVersion(id: string, version: number): Promise<VersionDoc> {
    const doc = await versions.findOne({ _id: versionId(id, version) });
    if (!doc) throw new AppError(ErrorCode.NOT_FOUND, `${kind} "${id}" has no version ${version}`);
    return doc;
  }

  /** Moves the pointer with a compare-and-set on the version it held. */
  async function movePointer(id: string, from: number | null, to: number | null, action: ActivationRecord['action']): Promise<void> {
    const record: ActivationRecord = { version: to, at: new Date(), action };
    const existing = await pointers.findOne({ _id: pointerId(id) });
    if (!existing) {
      if (from !== null) throw conflict(id, from, null);
      try {
        await pointers.insertOne({ _id: pointerId(id), kind, id, version: to, history: [record] });
      } catch (error) {
        if ((error as { code?: number }).code === 11000) throw conflict(id, from, 'changed concurrently');
        throw error;
      }
    } else {
      if (existing.version !== from) throw conflict(id, from, existing.version);
      const history = [...existing.history, record].slice(-HISTORY_KEPT);
      const updated = await pointers.updateOne({ _id: pointerId(id), version: from }, { $set: { version: to, history } });
      if (updated.matchedCount === 0) throw conflict(id, from, 'changed concurrently');
    }
    // The pointer has moved: a seed's pending activation of this id is done or overruled.
    await versions.updateMany({ kind, id, activating: true }, { $unset: { activating: '' } });
    await bumpCatalogRevision(db);
  }

  /** Stores a new version (inactive), `activating` when a seed activates it next. */
  async function registerVersion(input: unknown, origin: 'file' | 'api', activating: boolean): Promise<DefinitionVersion<T>> {
    const value = check(input);
    const id = options.idOf(value);
    const version = options.versionOf(value);
    const existing = await versions.findOne({ _id: versionId(id, version) });
    if (existing) {
      if (deepEqual(existing.body, value)) return toVersion(existing, await activeVersionOf(id));
      throw new AppError(
        ErrorCode.CONFLICT,
        `${kind} "${id}" version ${version} is already registered with a different body; register version ${await nextVersion(id)} instead`,
        { details: { id, version } },
      );
    }
    const doc: VersionDoc = {
      _id: versionId(id, version),
      kind,
      id,
      version,
      body: value,
      origin,
      registeredAt: new Date(),
      ...(activating ? { activating: true as const } : {}),
    };
    try {
      await versions.insertOne(doc);
    } catch (error) {
      if ((error as { code?: number }).code === 11000) {
        // Registered concurrently (e.g. two processes seeding the same file): fine if identical.
        const raced = await versions.findOne({ _id: versionId(id, version) });
        if (raced && deepEqual(raced.body, value)) return toVersion(raced, await activeVersionOf(id));
        throw new AppError(ErrorCode.CONFLICT, `${kind} "${id}" version ${version} was registered concurrently with a different body`);
      }
      throw error;
    }
    await bumpCatalogRevision(db);
    return toVersion(doc, await activeVersionOf(id));
  }

  /** A seed's activation of a file version: only over an older active version (or none). */
  async function activateSeeded(id: string, version: number): Promise<void> {
    const active = await activeVersionOf(id);
    if (active === null || active < version) {
      try {
        await movePointer(id, active, version, 'activate');
        return;
      } catch (error) {
        // Another process seeding the same files moved it first; fine if it got this far.
        const now = await activeVersionOf(id);
        if (!(error instanceof AppError && error.code === ErrorCode.CONFLICT && now !== null && now >= version)) throw error;
      }
    }
    await versions.updateOne({ _id: versionId(id, version) }, { $unset: { activating: '' } });
  }

  function conflict(id: string, expected: number | null, found: number | null | string): AppError {
    return new AppError(ErrorCode.CONFLICT, `${kind} "${id}": expected active version ${expected ?? 'none'}, found ${found ?? 'none'}`, {
      details: { expected, found },
    });
  }

  const registry: DefinitionRegistry<T> = {
    kind,
    problemsOf(input) {
      const result = options.validate(input);
      return result.ok ? [] : result.problems;
    },
    register(input, origin = 'api') {
      return registerVersion(input, origin, false);
    },

    async seed(inputs) {
      for (const input of inputs) {
        const value = check(input);
        const id = options.idOf(value);
        const version = options.versionOf(value);
        const known = await versions.findOne({ _id: versionId(id, version) });
        if (known && deepEqual(known.body, value)) {
          // Seen before: left as an admin left it, unless a start registered it and stopped before activating it.
          if (known.activating) await activateSeeded(id, version);
          continue;
        }
        // A file edited without a version bump is a conflict, reported like an API registration.
        const active = await activeVersionOf(id);
        const activating = active === null || active < version;
        await registerVersion(value, 'file', activating);
        if (activating) await activateSeeded(id, version);
      }
    },

    async seedActivations(values) {
      const active = new Map<string, number | null>();
      const activated = new Map<string, T>();
      for (const value of values) {
        const id = options.idOf(value);
        const version = options.versionOf(value);
        const now = active.has(id) ? active.get(id)! : await activeVersionOf(id);
        const known = await versions.findOne({ _id: versionId(id, version) });
        // Seen with this body: left as an admin left it, unless a start left it activating. With
        // another body the seed refuses it (CONFLICT), so it activates nothing.
        const pending = known ? deepEqual(known.body, value) && known.activating === true : true;
        if (pending && (now === null || now < version)) {
          active.set(id, version);
          activated.set(id, value);
        } else active.set(id, now);
      }
      return [...activated.values()];
    },

    async list(id) {
      const docs = await versions.find(id === undefined ? { kind } : { kind, id }).toArray();
      const activeById = new Map((await pointers.find({ kind }).toArray()).map((p) => [p.id, p.version]));
      return docs.map((doc) => toVersion(doc, activeById.get(doc.id))).sort((a, b) => a.id.localeCompare(b.id) || a.version - b.version);
    },

    async get(id, version) {
      const doc = await versions.findOne({ _id: versionId(id, version) });
      return doc ? toVersion(doc, await activeVersionOf(id)) : null;
    },

    async activate(id, version, expectedActive) {
      const doc = await requireVersion(id, version);
      const current = await activeVersionOf(id);
      if (expectedActive !== undefined && expectedActive !== current) throw conflict(id, expectedActive, current);
      if (current !== version) {
        checkActivation(doc);
        await movePointer(id, current, version, 'activate');
      }
      return toVersion(doc, version);
    },

    async deactivate(id) {
      const current = await activeVersionOf(id);
      if (current === null) throw new AppError(ErrorCode.BAD_USER_INPUT, `${kind} "${id}" has no active version`);
      await movePointer(id, current, null, 'deactivate');
    },

    async rollback(id) {
      const pointer = await pointers.findOne({ _id: pointerId(id) });
      const current = pointer?.version ?? null;
      // The version active before the current one: the last activation record naming another version.
      const previous = [...(pointer?.history ?? [])].reverse().find((h) => h.version !== null && h.version !== current)?.version ?? null;
      if (previous === null) throw new AppError(ErrorCode.BAD_USER_INPUT, `${kind} "${id}" has no earlier active version to roll back to`);
      const doc = await requireVersion(id, previous);
      checkActivation(doc);
      await movePointer(id, current, previous, 'rollback');
      return toVersion(doc, previous);
    },

    async history(id) {
      return (await pointers.findOne({ _id: pointerId(id) }))?.history ?? [];
    },

    async active() {
      const active = (await pointers.find({ kind }).toArray()).filter((p) => p.version !== null);
      if (active.length === 0) return [];
      const docs = await versions.find({ _id: { $in: active.map((p) => versionId(p.id, p.version!)) } }).toArray();
      return docs.map((doc) => toVersion(doc, doc.version)).sort((a, b) => a.id.localeCompare(b.id));
    },
  };

  async function nextVersion(id: string): Promise<number> {
    const docs = await versions.find({ kind, id }).toArray();
    return Math.max(0, ...docs.map((d) => d.version)) + 1;
  }

  return registry;
}
