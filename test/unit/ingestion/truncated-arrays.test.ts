import { isAppError } from '../../../src/errors';
import { decodeRecord } from '../../../src/ingestion/debezium/decode-record';
import { toIntent } from '../../../src/ingestion/pipeline';
import { compileForPipeline } from '../../../src/ingestion/pipeline-spec';
import type { MappingSpec } from '../../../src/mapping/mapping-spec';
import { fixtureRecord } from '../debezium/fixture-record';
import { SEED_ORDER_SPEC } from '../mapping/mapping-test-helpers';

/**
 * A MongoDB update in `capture.mode=change_streams` carries only what changed; an array shortened
 * by a pipeline update is reported in `updateDescription.truncatedArrays` (here `history` to 2
 * elements) and not in `updatedFields`. Mapped as if the array were unchanged, the canonical
 * entity kept the dropped elements for good. A spec that reads the array now refuses the change
 * (MAPPING_FAILED, dead-lettered with the array named); a spec that does not read it maps the rest.
 */
describe('MongoDB updates that truncate an array', () => {
  const record = fixtureRecord('mongodb/orders-update-partial.json');
  const decoded = decodeRecord(record);
  if (decoded.kind !== 'change') throw new Error('the fixture is a change');

  it('are refused by a spec that maps the truncated array, naming it and its new size', () => {
    const spec = compileForPipeline({
      ...SEED_ORDER_SPEC,
      fieldMappings: [...SEED_ORDER_SPEC.fieldMappings, { src: '$.history[*].status', dst: '$.status_history[*]', transform: 'identity' }],
    } as MappingSpec);
    let error: unknown;
    try {
      toIntent(decoded, spec, record);
    } catch (caught) {
      error = caught;
    }
    expect(isAppError(error) && error.code).toBe('MAPPING_FAILED');
    expect((error as Error).message).toContain('cannot produce $.status_history[*]: the update truncates history to 2 elements');
  });

  it('map the rest of the update when no field reads the truncated array', () => {
    const spec = compileForPipeline({
      ...SEED_ORDER_SPEC,
      fieldMappings: [...SEED_ORDER_SPEC.fieldMappings, { src: '$.status', dst: '$.status', transform: 'identity' }],
    } as MappingSpec);
    expect(toIntent(decoded, spec, record)).toMatchObject({ kind: 'partial', set: { status: 'shipped' }, unset: [] });
  });
});
