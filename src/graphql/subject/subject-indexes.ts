import { modelObject, relationLookups } from '../../catalog/field-model';
import type { Logger } from '../../logger';
import type { EntityStore } from '../../state/entity-store';
import { orderKeyIndexFields } from './list-query';

/**
 * The indexes the API's reads of these subjects use: each subject's order keys (list-query.ts,
 * orderKeyIndexFields: ranges and sorts by value) and, on each subject another one's relation
 * looks entities up by, that field (relationLookups: a relation's batch is an `$in` of it). Each
 * creation is idempotent; one that fails is logged, not thrown: a list or a relation is still
 * answered without its index, by a scan.
 */
export async function ensureSubjectIndexes(
  store: Pick<EntityStore, 'ensureOrderKeyIndexes' | 'ensureRelationIndexes'>,
  subjects: readonly { readonly subject: string; readonly schema: Record<string, unknown> }[],
  logger: Logger,
): Promise<void> {
  const models = subjects.map(({ subject, schema }) => ({ subject, fields: modelObject(schema) }));
  const lookedUpBy = new Map<string, Set<string>>();
  for (const { fields } of models) {
    for (const { subject, by } of relationLookups(fields)) lookedUpBy.set(subject, (lookedUpBy.get(subject) ?? new Set()).add(by));
  }
  await Promise.all([
    ...models.map(({ subject, fields }) =>
      store
        .ensureOrderKeyIndexes(subject, orderKeyIndexFields(fields))
        .catch((error: unknown) => logger.error({ err: error, subject }, 'cannot create the order-key indexes')),
    ),
    ...[...lookedUpBy].map(([subject, by]) =>
      store.ensureRelationIndexes(subject, [...by]).catch((error: unknown) => logger.error({ err: error, subject }, 'cannot create the relation indexes')),
    ),
  ]);
}
