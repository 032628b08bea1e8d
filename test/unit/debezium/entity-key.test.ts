import { entityKeyOf, stableStringify } from '../../../src/ingestion/debezium/entity-key';

describe('entityKeyOf', () => {
  it('is null without a key, with an empty key, or with a null single field', () => {
    expect(entityKeyOf(null)).toBeNull();
    expect(entityKeyOf({})).toBeNull();
    expect(entityKeyOf({ id: null })).toBeNull();
  });

  it('is the value as a string for a single-field key', () => {
    expect(entityKeyOf({ id: 1 })).toBe('1');
    expect(entityKeyOf({ id: 'abc' })).toBe('abc');
    expect(entityKeyOf({ id: '9007199254740993' })).toBe('9007199254740993');
    expect(entityKeyOf({ active: true })).toBe('true');
    expect(entityKeyOf({ _id: '596e275826f08b2730779e1f' })).toBe('596e275826f08b2730779e1f');
  });

  it('is sorted JSON for a document value and for composite keys, whatever the field order', () => {
    expect(entityKeyOf({ _id: { b: 1, a: [2, { d: 1, c: 0 }] } })).toBe('{"a":[2,{"c":0,"d":1}],"b":1}');
    expect(entityKeyOf({ order_id: 42, line_no: 3 })).toBe('{"line_no":3,"order_id":42}');
    expect(entityKeyOf({ line_no: 3, order_id: 42 })).toBe(entityKeyOf({ order_id: 42, line_no: 3 }));
  });
});

describe('stableStringify', () => {
  it('writes JSON with sorted keys, keeps array order, skips undefined', () => {
    expect(stableStringify({ z: 'x"y', a: null, m: [3, 1], u: undefined })).toBe('{"a":null,"m":[3,1],"z":"x\\"y"}');
  });
});
