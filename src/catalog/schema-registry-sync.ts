import type { Db } from 'mongodb';
import type { Logger } from '../logger';
import { watchCatalogRevision, type RevisionWatch } from './catalog-revision';
import type { SchemaRegistry } from './schema-registry';
import type { SubjectCatalog } from './subject-catalog';

/**
 * Keeps an in-memory SubjectCatalog (what the GraphQL layer and ingestion read) equal to the
 * schema registry in the store: loaded once at start, then reloaded whenever the catalog revision
 * moves, in this process or any other. The view's interface is unchanged, so its readers do not
 * know the registry exists.
 */
export interface CatalogSync {
  /** Reloads now (a mutation calls it so its own response already sees the change). */
  refresh(): Promise<void>;
  stop(): void;
}

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

/**
 * For a process (or test) without a shared revision watch: loads the registry into the view,
 * and follows the revision.
 */
export async function followSchemaRegistry(options: {
  db: Db;
  registry: SchemaRegistry;
  catalog: SubjectCatalog;
  intervalMs: number;
  logger: Logger;
}): Promise<CatalogSync> {
  await syncCatalogFromRegistry(options.registry, options.catalog);
  const watch: RevisionWatch = watchCatalogRevision(options.db, {
    intervalMs: options.intervalMs,
    logger: options.logger,
    onChange: async (revision) => {
      if (await syncCatalogFromRegistry(options.registry, options.catalog)) {
        options.logger.info({ revision, subjects: options.catalog.list().map((s) => `${s.subject}@${s.version}`) }, 'canonical catalog reloaded');
      }
    },
  });
  return { refresh: () => watch.refresh(), stop: () => watch.stop() };
}
