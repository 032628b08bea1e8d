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
    RESYNC: { value: 'RESYNC', description: 'The resume cursor is no longer retained: refetch state, then follow the stream from `cursor`.' },
  },
});
