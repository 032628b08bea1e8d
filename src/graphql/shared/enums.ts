import { GraphQLEnumType } from 'graphql';

export const SortDirectionEnum = new GraphQLEnumType({
  name: 'SortDirection',
  values: { ASC: { value: 'ASC' }, DESC: { value: 'DESC' } },
});

/** What happened to an entity. SNAPSHOT and RESYNC only appear in change-feed subscriptions. */
export const ChangeOpEnum = new GraphQLEnumType({
  name: 'ChangeOp',
  values: {
    CREATE: { value: 'CREATE' },
    UPDATE: { value: 'UPDATE' },
    DELETE: { value: 'DELETE' },
    SNAPSHOT: { value: 'SNAPSHOT', description: 'Current state, sent before the stream when `includeSnapshot` is true.' },
    RESYNC: {
      value: 'RESYNC',
      description: 'The resume cursor cannot be honoured (`resyncReason` says why): refetch state, then follow the stream from `cursor`.',
    },
  },
});

/** Why a RESYNC was sent (subscriptions/plan-resume.ts). */
export const ResyncReasonEnum = new GraphQLEnumType({
  name: 'ResyncReason',
  values: {
    RETENTION: { value: 'RETENTION', description: "The events after the cursor were deleted by the topic's retention." },
    MALFORMED_CURSOR: { value: 'MALFORMED_CURSOR', description: 'The cursor is not one this service wrote.' },
    FOREIGN_CURSOR: { value: 'FOREIGN_CURSOR', description: "The cursor belongs to another subject's change feed." },
    TOPIC_RECREATED: {
      value: 'TOPIC_RECREATED',
      description: 'The cursor names partitions or offsets the topic does not have: it was deleted and created again.',
    },
  },
});
