import type { SchemaRegistry } from './schema-registry';
import type { SubjectCatalog } from './subject-catalog';

/**
 * Keeps an in-memory SubjectCatalog (what the GraphQL layer and ingestion read) equal to the
 * schema registry in the store: app.ts loads it once at start, then again whenever the catalog
 * revision moves, in this process or any other. The view's interface is unchanged, so its readers
 * do not know the registry exists.
 */

/** Loads the registry's current state into the view; true when the view changed. */
export async function syncCatalogFromRegistry(registry: SchemaRegistry, catalog: SubjectCatalog): Promise<boolean> {
  const served = await registry.served();
  return catalog.replaceAll(served.map((s) => ({ subject: s.subject, version: s.version, schema: s.schema, deprecated: s.deprecated, hidden: s.deleted })));
}

/** The registry feeding a process's catalog, as the API's admin resolvers use it (`ApiServices.schemaRegistry`). */
export interface RegistryBinding {
  readonly registry: SchemaRegistry;
  /** Reloads this process's catalog now, so a mutation's response already reflects it. */
  refresh(): Promise<void>;
}
