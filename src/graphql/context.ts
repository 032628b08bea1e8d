import DataLoader from 'dataloader';
import type { Db } from 'mongodb';
import type { AdminServices } from '../admin/admin-services';
import type { RegistryBinding } from '../catalog/schema-registry-sync';
import type { DiscoveryReader } from '../discovery/discovery-reader';
import type { EventLog } from '../events/event-log';
import type { MetricsReader } from '../metrics/metric-reader';
import type { Logger } from '../logger';
import type { SubjectStatusReader } from './status/subject-status';
import { requireSubjectRead, type AccessPolicy, type Principal } from './access';
import { stateCollectionName, type EntityStore, type StoredEntity } from '../state/entity-store';

/**
 * Per-request GraphQL context. Loaders are created per request (dataloader's contract: one set per
 * request, so a cache never outlives the request that filled it), and batch every `load` of one
 * tick into one store query.
 */
/** The canonical subjects currently served (their JSON Schemas). */
export interface CatalogView {
  list(): { subject: string; version: number; schema: Record<string, unknown> }[];
}

export interface ApiServices {
  readonly catalog: CatalogView;
  readonly db: Db;
  readonly store: EntityStore;
  readonly eventLog: EventLog;
  readonly maxPageSize: number;
  readonly access: AccessPolicy;
  /** The schema registry feeding `catalog` (its admin mutations); absent in a process serving a fixed catalog. */
  readonly schemaRegistry?: RegistryBinding;
  /** Spec lifecycle, previews, backfills, dead letters (API processes). */
  readonly admin?: AdminServices;
  /** Metric rollups and definitions (absent when metrics are disabled). */
  readonly metrics?: MetricsReader;
  /** Raw-schema discovery: profiled topics, drift, raw samples. */
  readonly discovery?: DiscoveryReader;
  /** Freshness and counts per subject (`subjectStatus`). */
  readonly status?: SubjectStatusReader;
}

export interface ApiContext {
  readonly services: ApiServices;
  readonly principal: Principal;
  readonly loaders: Loaders;
  /** Correlation id of the HTTP request or websocket connection (src/observability/request-id.ts). */
  readonly requestId?: string;
  /** Child logger carrying `requestId`: every log line of this operation can be joined to it. */
  readonly logger?: Logger;
}

export interface Loaders {
  /**
   * By id. With `projection`, a loader of its own for that projection (partial entities: only its
   * paths), so a narrower read never answers a load that needs more of the same entity.
   */
  entity(subject: string, projection?: Record<string, 1>): DataLoader<string, StoredEntity | null>;
  /**
   * Live entities of `subject` whose canonical `field` (`data.<field>`, never the entity's id: that
   * is `entity`) equals the key (the first one found). With
   * `projection` (which must read `data.<field>`), a loader of its own for it, as for `entity`.
   */
  by(subject: string, field: string, projection?: Record<string, 1>): DataLoader<unknown, StoredEntity | null>;
  /**
   * Forgets every entity loaded so far. A subscription's context lives as long as it does, and
   * each event's execution starts with this: a relation shows the entity as it is at that event,
   * not as the subscription's first event found it.
   */
  clear(): void;
}

/**
 * With a principal, every load checks its read scope: navigating to another subject (order → customer) is a read of it.
 * A class with lazily made maps: every operation gets a set, and an idle subscription holds one
 * for its whole life, so an unused set costs one small object (no maps, no closures).
 */
export function createLoaders(services: ApiServices, principal?: Principal): Loaders {
  return new RequestLoaders(services, principal);
}

class RequestLoaders implements Loaders {
  private entityLoaders: Map<string, DataLoader<string, StoredEntity | null>> | null = null;
  private byLoaders: Map<string, DataLoader<unknown, StoredEntity | null>> | null = null;

  constructor(
    private readonly services: ApiServices,
    private readonly principal: Principal | undefined,
  ) {}

  clear(): void {
    this.entityLoaders = null;
    this.byLoaders = null;
  }

  entity(subject: string, projection?: Record<string, 1>): DataLoader<string, StoredEntity | null> {
    if (this.principal) requireSubjectRead(this.principal, subject);
    this.entityLoaders ??= new Map();
    const id = loaderId(subject, projection);
    let loader = this.entityLoaders.get(id);
    if (!loader) {
      const { store } = this.services;
      loader = new DataLoader(async (keys) => {
        const found = await store.getMany(subject, keys, projection);
        return keys.map((key) => found.get(key) ?? null);
      });
      this.entityLoaders.set(id, loader);
    }
    return loader;
  }

  by(subject: string, field: string, projection?: Record<string, 1>): DataLoader<unknown, StoredEntity | null> {
    if (this.principal) requireSubjectRead(this.principal, subject);
    const id = loaderId(`${subject}\u0000${field}`, projection);
    this.byLoaders ??= new Map();
    let loader = this.byLoaders.get(id);
    if (!loader) {
      const { db } = this.services;
      const path = field.split('.');
      loader = new DataLoader(
        async (values) => {
          const docs = await db
            .collection<StoredEntity>(stateCollectionName(subject))
            .find({ [`data.${field}`]: { $in: [...values] }, '_meta.deleted': false }, projection ? { projection } : {})
            .toArray();
          // By value as the store compares it: a reference may be an object (a composite code), equal
          // only with its keys in the same order, which JSON text keeps and a deep equality would not.
          const byKey = new Map<string, StoredEntity>();
          for (const doc of docs) {
            const key = referenceKey(valueAtPath(doc.data, path));
            if (!byKey.has(key)) byKey.set(key, doc);
          }
          return values.map((value) => byKey.get(referenceKey(value)) ?? null);
        },
        { cacheKeyFn: referenceKey },
      );
      this.byLoaders.set(id, loader);
    }
    return loader;
  }
}

/** A reference's loader key, and how a found entity's value is matched back to it (JSON text: key order counts, as in the store). */
const referenceKey = (value: unknown): string => JSON.stringify(value) ?? 'undefined';

/** The value at a dotted path of canonical data (`contact.email`); undefined where an object is missing on the way. */
function valueAtPath(data: Record<string, unknown>, path: readonly string[]): unknown {
  let current: unknown = data;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Each projection's paths as one key, in the order the query named them (made once per projection object: a relation's is shared by its parents). */
const pathKeys = new WeakMap<Record<string, 1>, string>();

/** A loader's key in the request's maps: one per projection (the same selection, the same loader). */
function loaderId(base: string, projection: Record<string, 1> | undefined): string {
  if (!projection) return base;
  let paths = pathKeys.get(projection);
  if (paths === undefined) {
    paths = Object.keys(projection).join('\u0000');
    pathKeys.set(projection, paths);
  }
  return `${base}\u0000${paths}`;
}

/** `credential`: the principal the transport authenticated, or (callers without one) an Authorization value. */
export function createContext(services: ApiServices, credential?: string | Principal, scope?: { requestId: string; logger: Logger }): ApiContext {
  const principal = typeof credential === 'object' ? credential : services.access.principalFor(credential);
  return { services, principal, loaders: createLoaders(services, principal), ...scope };
}
