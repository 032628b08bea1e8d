import { isAppError } from '../../../src/errors';
import { decodeRecord } from '../../../src/ingestion/debezium/decode-record';
import { toIntent } from '../../../src/ingestion/pipeline';
import { compileForPipeline } from '../../../src/ingestion/pipeline-spec';
import { nextData, planChange, type ChangeIntent } from '../../../src/ingestion/plan-change';
import type { MappingSpec } from '../../../src/mapping/mapping-spec';
import { fixtureRecord } from '../debezium/fixture-record';
import { SEED_ORDER_SPEC } from '../mapping/mapping-test-helpers';

/**
 * A MongoDB update in `capture.mode=change_streams` carries only what changed; an array shortened
 * by a pipeline update is reported in `updateDescription.truncatedArrays` (here `history` to 2
 * elements) and not in `updatedFields`. Mapped as if the array were unchanged, the canonical
 * entity kept the dropped elements for good. Now the canonical array a spec fills element by
 * element from it (at the same indices of the outer arrays it is in) is cut to the same length,
 * before the update's element changes; a field that reads the array otherwise refuses the change
 * (MAPPING_FAILED, the array named).
 */
describe('MongoDB updates that truncate an array', () => {
  const record = fixtureRecord('mongodb/orders-update-partial.json');
  const decoded = decodeRecord(record);
  if (decoded.kind !== 'change') throw new Error('the fixture is a change');
  const withHistory = (mapping: Record<string, unknown>) =>
    compileForPipeline({ ...SEED_ORDER_SPEC, fieldMappings: [...SEED_ORDER_SPEC.fieldMappings, mapping] } as MappingSpec);
  const now = new Date('2026-12-05T00:00:00Z');
  const stored = {
    _id: '596e275826f08b2730779e1f',
    data: { order_id: '1001', status_history: ['placed', 'paid', 'packed', 'shipped'], line_items: [{ sku: 'A' }, { sku: 'B' }] },
    _meta: {
      version: 3,
      positions: {},
      position: 'mongo:000000000000000:0000000000',
      specId: SEED_ORDER_SPEC.mappingId,
      specVersion: 1,
      sourceTsMs: 0,
      createdAt: now,
      updatedAt: now,
      deleted: false,
      lastEventId: 'e',
    },
  };

  it('cut the canonical array an element-wise mapping fills, through the intent, the precedence merge and the event', () => {
    const intent = toIntent(decoded, withHistory({ src: '$.history[*].status', dst: '$.status_history[*]' }), record);
    expect(intent).toMatchObject({ kind: 'partial', truncate: { status_history: 2 } });
    const plan = planChange(intent, stored, now, () => []);
    if (plan.kind !== 'write') throw new Error('expected a write');
    expect(plan.next.data.status_history).toEqual(['placed', 'paid']);
    expect(plan.next.data.line_items).toEqual([{ sku: 'A' }, { sku: 'B' }]);
    expect(plan.event?.changedFields).toEqual(['status_history']);
    // The stored state is not changed in place (states and events are never modified once built).
    expect(stored.data.status_history).toHaveLength(4);
    // Without precedence (nextData), the same.
    expect(nextData({ ...intent, precedence: undefined } as ChangeIntent, stored.data)?.status_history).toEqual(['placed', 'paid']);
  });

  it('cut an array inside an element of another, at its index only, without changing the stored state', () => {
    const data = { orders: [{ lines: ['a', 'b'] }, { lines: ['c', 'd', 'e'] }] };
    const intent = { kind: 'partial', set: { 'orders.1.lines.0': 'x' }, unset: [], truncate: { 'orders.1.lines': 1 } } as unknown as ChangeIntent;
    expect(nextData(intent, data)).toEqual({ orders: [{ lines: ['a', 'b'] }, { lines: ['x'] }] });
    expect(data.orders[1]!.lines).toEqual(['c', 'd', 'e']);
  });

  it('are refused by a spec that reads the truncated array but does not copy it element by element', () => {
    let error: unknown;
    try {
      toIntent(decoded, withHistory({ src: '$.history', dst: '$.history_text', transform: 'string' }), record);
    } catch (caught) {
      error = caught;
    }
    expect(isAppError(error) && error.code).toBe('MAPPING_FAILED');
    expect((error as Error).message).toContain('cannot produce $.history_text: the update truncates history to 2 elements');
  });

  it('map the rest of the update when no field reads the truncated array', () => {
    const intent = toIntent(decoded, withHistory({ src: '$.status', dst: '$.status' }), record);
    expect(intent).toMatchObject({ kind: 'partial', set: { status: 'shipped' }, unset: [] });
    expect(intent).not.toHaveProperty('truncate', expect.anything());
  });
});
