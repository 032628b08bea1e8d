import { createSchemaCompiler, type CanonicalSchema } from './canonical-schemas';

/**
 * The canonical subjects in force, with a version per subject. Seeded from `schema/canonical/`,
 * changed at run time by `register` (the admin API builds on it); listeners (the GraphQL layer,
 * ingestion's validation) follow every change without a restart.
 */
export interface SubjectCatalog {
  get(subject: string): CanonicalSchema | undefined;
  list(): { subject: string; version: number; schema: Record<string, unknown>; deprecated: boolean }[];
  /** Adds or replaces a subject's schema; returns its new version. Throws SCHEMA_INVALID. */
  register(subject: string, schema: Record<string, unknown>): number;
  /**
   * Makes the view exactly `entries` (the schema registry's state: schema-registry-sync.ts);
   * recompiles only changed versions, tells listeners once. Returns whether anything changed.
   * A hidden (deleted) subject is neither listed nor served, but still validates its documents.
   * An entry whose schema does not compile (stored before a rule that refuses it now) is left
   * out and reported by `unserved`: one bad entry never keeps the others from being served.
   */
  replaceAll(entries: readonly CatalogEntry[]): boolean;
  /** Registered subjects this view leaves out, with the reason. */
  unserved(): { subject: string; reason: string }[];
  validate(subject: string, document: Record<string, unknown>): string[];
  onChange(listener: () => void): () => void;
}

export interface CatalogEntry {
  readonly subject: string;
  readonly version: number;
  readonly schema: Record<string, unknown>;
  readonly deprecated?: boolean;
  readonly hidden?: boolean;
}

export function createSubjectCatalog(seed: Iterable<CanonicalSchema> = []): SubjectCatalog {
  const compiler = createSchemaCompiler();
  const subjects = new Map<string, CanonicalSchema>();
  for (const schema of seed) subjects.set(schema.subject, schema);
  const listeners = new Set<() => void>();
  const flags = new Map<string, { deprecated: boolean; hidden: boolean }>();
  const refused = new Map<string, string>();
  const visible = () => [...subjects.values()].filter((s) => !flags.get(s.subject)?.hidden);
  return {
    get: (subject) => (flags.get(subject)?.hidden ? undefined : subjects.get(subject)),
    list: () => visible().map((s) => ({ subject: s.subject, version: s.version, schema: s.schema, deprecated: flags.get(s.subject)?.deprecated ?? false })),
    register(subject, schema) {
      const version = (subjects.get(subject)?.version ?? 0) + 1;
      subjects.set(subject, compiler.compile(subject, schema, version));
      for (const listener of listeners) listener();
      return version;
    },
    replaceAll(all) {
      let changed = false;
      const entries: CatalogEntry[] = [];
      const nextRefused = new Map<string, string>();
      for (const entry of all) {
        const current = subjects.get(entry.subject);
        if (current && current.version === entry.version && JSON.stringify(current.schema) === JSON.stringify(entry.schema)) {
          entries.push(entry);
          continue;
        }
        try {
          subjects.set(entry.subject, compiler.compile(entry.subject, entry.schema, entry.version));
          changed = true;
          entries.push(entry);
        } catch (error) {
          nextRefused.set(entry.subject, error instanceof Error ? error.message : String(error));
        }
      }
      if ([...nextRefused].join() !== [...refused].join()) changed = true;
      refused.clear();
      for (const [subject, reason] of nextRefused) refused.set(subject, reason);
      const wanted = new Set(entries.map((e) => e.subject));
      for (const subject of [...subjects.keys()]) {
        if (!wanted.has(subject)) {
          subjects.delete(subject);
          flags.delete(subject);
          changed = true;
        }
      }
      for (const entry of entries) {
        const next = { deprecated: entry.deprecated ?? false, hidden: entry.hidden ?? false };
        const before = flags.get(entry.subject);
        if (!before || before.deprecated !== next.deprecated || before.hidden !== next.hidden) changed = true;
        flags.set(entry.subject, next);
      }
      if (changed) for (const listener of listeners) listener();
      return changed;
    },
    unserved: () => [...refused].map(([subject, reason]) => ({ subject, reason })),
    // A subject left out because its schema does not compile accepts nothing: failing closed
    // (dead letters, replayable once the schema is fixed) rather than storing unvalidated data.
    validate: (subject, document) => {
      const reason = refused.get(subject);
      if (reason !== undefined) return [`(root): the schema of ${subject} is not in force: ${reason}`];
      return subjects.get(subject)?.validate(document) ?? [];
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
