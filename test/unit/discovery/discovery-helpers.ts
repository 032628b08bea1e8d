import type { ChangeOp, DecodedChange } from '../../../src/ingestion/debezium/decoded-record';

/** A decoded change as the decoder produces it, for profiling tests. */
export function change(op: ChangeOp, image: Record<string, unknown> | null, extra: Partial<DecodedChange> = {}): DecodedChange {
  return {
    kind: 'change',
    op,
    connector: 'mongodb',
    key: null,
    entityKey: null,
    before: op === 'd' ? image : null,
    after: op === 'd' ? null : image,
    patch: null,
    unavailable: [],
    position: '',
    source: { connector: 'mongodb' },
    tsMs: null,
    flattened: false,
    ...extra,
  };
}

export function patch(set: Record<string, unknown>, unset: string[] = []): DecodedChange {
  return { ...change('u', null), patch: { set, unset } };
}
