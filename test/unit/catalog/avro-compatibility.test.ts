import { checkAvroCompatibility, parseAvroSchema } from '../../../src/catalog/avro-compatibility';

/** Avro writer-schema evolution of raw subjects, by Avro's resolution rules at each level. */
const type = (fields: unknown[]) => {
  const parsed = parseAvroSchema(JSON.stringify({ type: 'record', name: 'Value', namespace: 'db.public.t', fields }));
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed.type;
};
const v1 = type([{ name: 'id', type: 'int' }]);
const withDefault = type([
  { name: 'id', type: 'int' },
  { name: 'note', type: ['null', 'string'], default: null },
]);
const withRequired = type([
  { name: 'id', type: 'int' },
  { name: 'note', type: 'string' },
]);
const widened = type([{ name: 'id', type: 'long' }]);

describe('Avro compatibility of raw writer schemas', () => {
  it('accepts a field added with a default under every level', () => {
    for (const level of ['BACKWARD', 'FORWARD', 'FULL', 'FULL_TRANSITIVE'] as const) {
      expect(checkAvroCompatibility([[1, v1]], withDefault, level)).toEqual({ compatible: true, messages: [] });
    }
  });

  it('refuses a field added without a default under BACKWARD (new readers cannot read old data), but not under FORWARD', () => {
    const backward = checkAvroCompatibility([[1, v1]], withRequired, 'BACKWARD');
    expect(backward.compatible).toBe(false);
    expect(backward.messages).toEqual([expect.stringMatching(/version 1 \(backward\).*note/)]);
    expect(checkAvroCompatibility([[1, v1]], withRequired, 'FORWARD').compatible).toBe(true);
  });

  it('promotes int to long backward only, and checks every earlier version only when transitive', () => {
    expect(checkAvroCompatibility([[1, v1]], widened, 'BACKWARD').compatible).toBe(true);
    expect(checkAvroCompatibility([[1, v1]], widened, 'FULL').messages).toEqual([
      expect.stringContaining('version 1 cannot read data written with the new schema'),
    ]);
    // Against v2 only, long → long is fine; against v1 too, the forward direction fails.
    expect(
      checkAvroCompatibility(
        [
          [1, v1],
          [2, widened],
        ],
        widened,
        'FULL',
      ).compatible,
    ).toBe(true);
    expect(
      checkAvroCompatibility(
        [
          [1, v1],
          [2, widened],
        ],
        widened,
        'FULL_TRANSITIVE',
      ).compatible,
    ).toBe(false);
    expect(checkAvroCompatibility([[1, v1]], withRequired, 'NONE').compatible).toBe(true);
  });

  it('names what is wrong with a text that is no Avro schema', () => {
    expect(parseAvroSchema('{"type": "record"')).toEqual({ problem: expect.stringContaining('not valid JSON') });
    expect(parseAvroSchema('{"type": "recurd", "name": "x"}')).toEqual({ problem: expect.stringContaining('not a valid Avro schema') });
  });
});
