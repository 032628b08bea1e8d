import { createSchemaCompiler, type CanonicalSchema } from './canonical-schemas';

/**
 * The canonical subjects in force, with a version per subject. Seeded from `schema/canonical/`,
 * changed at run time by `register` (the admin API builds on it); listeners (the GraphQL layer,
 * ingestion's validation) follow every change without a restart.
 */
export interface SubjectCatalog {
  get(subject: string): CanonicalSchema | undefined;
  list(): { subject: string; version: number; schema: Record<string, unknown> }[];
  /** Adds or replaces a subject's schema; returns its new version. Throws SCHEMA_INVALID. */
  register(subject: string, schema: Record<string, unknown>): number;
  validate(subject: string, document: Record<string, unknown>): string[];
  onChange(listener: () => void): () => void;
}

export function createSubjectCatalog(seed: Iterable<CanonicalSchema> = []): SubjectCatalog {
  const compiler = createSchemaCompiler();
  const subjects = new Map<string, CanonicalSchema>();
  for (const schema of seed) subjects.set(schema.subject, schema);
  const listeners = new Set<() => void>();
  return {
    get: (subject) => subjects.get(subject),
    list: () => [...subjects.values()].map((s) => ({ subject: s.subject, version: s.version, schema: s.schema })),
    register(subject, schema) {
      const version = (subjects.get(subject)?.version ?? 0) + 1;
      subjects.set(subject, compiler.compile(subject, schema, version));
      for (const listener of listeners) listener();
      return version;
    },
    validate: (subject, document) => subjects.get(subject)?.validate(document) ?? [],
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
