import { checkCompatibility, COMPATIBILITY_LEVELS, type CompatibilityLevel } from '../../../src/catalog/compatibility';
import { customer, HISTORIES, PAIRS } from './compatibility-cases';

/** Expected verdict of a two-version pair under a level, from its two directions. */
function expectedUnder(level: CompatibilityLevel, backward: boolean, forward: boolean): boolean {
  if (level === 'NONE') return true;
  if (level.startsWith('BACKWARD')) return backward;
  if (level.startsWith('FORWARD')) return forward;
  return backward && forward;
}

describe('the compatibility suite', () => {
  it('holds at least 30 schema pairs', () => {
    expect(PAIRS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(PAIRS.map((p) => p.name)).size).toBe(PAIRS.length);
  });

  describe.each(PAIRS.map((p) => [p.name, p] as const))('%s', (_name, pair) => {
    it.each(COMPATIBILITY_LEVELS.map((level) => [level]))('verdict under %s', (level) => {
      const result = checkCompatibility([pair.before], pair.after, level);
      expect(result.compatible).toBe(expectedUnder(level, pair.backward, pair.forward));
      expect(result.violations.length === 0).toBe(result.compatible);
    });

    it('names the rules broken, in the direction that breaks', () => {
      const full = checkCompatibility([pair.before], pair.after, 'FULL');
      const rules = (direction: string) => [...new Set(full.violations.filter((v) => v.direction === direction).map((v) => v.rule))].sort();
      expect(rules('backward')).toEqual([...(pair.rules?.backward ?? [])].sort());
      expect(rules('forward')).toEqual([...(pair.rules?.forward ?? [])].sort());
      if (pair.path) expect(full.violations[0]!.path).toBe(pair.path);
    });
  });
});

describe('transitive levels over three-version histories', () => {
  describe.each(HISTORIES.map((h) => [h.name, h] as const))('%s', (_name, story) => {
    it.each(COMPATIBILITY_LEVELS.map((level) => [level]))('verdict under %s', (level) => {
      expect(checkCompatibility(story.history, story.candidate, level).compatible).toBe(story.expected[level]);
    });
  });

  it('says which earlier version a transitive violation is against', () => {
    const story = HISTORIES[0]!;
    const result = checkCompatibility(story.history, story.candidate, 'BACKWARD_TRANSITIVE');
    expect(result.violations).toEqual([
      { path: '/properties/f/enum', rule: 'VALUE_REJECTED', message: 'value "A" was valid and is not any more', direction: 'backward', against: 1 },
    ]);
  });
});

describe('violations', () => {
  it('lists every violation of a candidate, not just the first', () => {
    const before = {
      type: 'object',
      properties: { id: { type: 'string' }, n: { type: 'number' }, tier: { type: 'string', enum: ['A', 'B'] }, name: { type: ['string', 'null'] } },
      required: ['id'],
    };
    const after = {
      type: 'object',
      properties: {
        id: { type: 'string' },
        n: { type: 'integer', maximum: 10 },
        tier: { type: 'string', enum: ['A'] },
        name: { type: 'string', maxLength: 40 },
        extra: { type: 'boolean' },
      },
      required: ['id', 'name'],
      additionalProperties: false,
    };
    const result = checkCompatibility([before], after, 'BACKWARD');
    expect(result.violations.map((v) => `${v.rule} ${v.path}`).sort()).toEqual([
      'CONTENT_MODEL_CLOSED /additionalProperties',
      'MAXIMUM_LOWERED /properties/n/maximum',
      'MAX_LENGTH_LOWERED /properties/name/maxLength',
      'PROPERTY_ADDED_TO_OPEN_MODEL /properties/extra',
      'REQUIRED_ADDED /required',
      'TYPE_NARROWED /properties/n/type',
      'TYPE_REMOVED /properties/name/type',
      'VALUE_REJECTED /properties/tier/enum',
    ]);
    expect(result.violations.every((v) => v.direction === 'backward' && v.message.length > 0)).toBe(true);
  });

  it('treats a new subject (no history) as compatible under every level', () => {
    for (const level of COMPATIBILITY_LEVELS) expect(checkCompatibility([], customer, level)).toEqual({ compatible: true, violations: [] });
  });

  it('defaults to BACKWARD', () => {
    const pair = PAIRS.find((p) => p.name === 'required entry added')!;
    expect(checkCompatibility([pair.before], pair.after)).toEqual(checkCompatibility([pair.before], pair.after, 'BACKWARD'));
    expect(checkCompatibility([pair.before], pair.after).compatible).toBe(false);
  });

  it('reports an unresolvable $ref instead of guessing', () => {
    const result = checkCompatibility(
      [{ type: 'object', properties: { a: { type: 'string' } } }],
      { type: 'object', properties: { a: { $ref: 'https://example.com/a.json' } } },
      'BACKWARD',
    );
    expect(result.violations.map((v) => v.rule)).toEqual(['UNSUPPORTED_REF']);
  });

  it('terminates on recursive schemas', () => {
    const tree = { $defs: { node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } } } }, $ref: '#/$defs/node' };
    expect(checkCompatibility([tree], tree, 'FULL_TRANSITIVE').compatible).toBe(true);
  });
});

describe('property names that every JavaScript object inherits', () => {
  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'])('"%s" is compared as any other property', (name) => {
    const closed = (properties: Record<string, unknown>) => ({ type: 'object', properties, additionalProperties: false });
    const removed = checkCompatibility([closed({ [name]: { type: 'string' } })], closed({}), 'BACKWARD');
    expect(removed.compatible).toBe(false);
    expect(removed.violations.map((v) => v.rule)).toEqual(['PROPERTY_REMOVED_FROM_CLOSED_MODEL']);
    const added = checkCompatibility([{ type: 'object', properties: {} }], { type: 'object', properties: { [name]: { type: 'integer' } } }, 'BACKWARD');
    expect(added.violations.map((v) => v.rule)).toEqual(['PROPERTY_ADDED_TO_OPEN_MODEL']);
  });
});

describe('$id and shared definitions', () => {
  it('a $id below the root is not compared past (its $refs resolve against it, not against the root)', () => {
    const root = { type: 'object', $defs: { x: { type: 'string' } } };
    const before = { ...root, properties: { a: { $id: 'urn:probe:sub', $defs: { x: { type: 'integer' } }, properties: { b: { $ref: '#/$defs/x' } } } } };
    const after = { ...root, properties: { a: { properties: { b: { $ref: '#/$defs/x' } } } } };
    const verdict = checkCompatibility([before], after, 'BACKWARD');
    expect(verdict.compatible).toBe(false);
    expect(verdict.violations.map((v) => `${v.rule} ${v.path}`)).toEqual(['UNSUPPORTED_KEYWORD /properties/a/$id']);
  });

  it('definitions referring to shared ones many times over are compared once per pair (the walk doubled per level)', () => {
    const defs: Record<string, unknown> = { d40: { type: 'string' } };
    for (let i = 0; i < 40; i += 1) defs[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
    const schema = { type: 'object', $defs: defs, properties: { p: { $ref: '#/$defs/d0' } } };
    // 2^40 paths before: this returned only by comparing each pair once.
    expect(checkCompatibility([schema], schema, 'FULL')).toMatchObject({ compatible: true });
    const narrowed = { ...schema, $defs: { ...defs, d40: { type: 'string', maxLength: 3 } } };
    const verdict = checkCompatibility([schema], narrowed, 'BACKWARD');
    expect(verdict.compatible).toBe(false);
    expect(verdict.violations).toHaveLength(1);
  });
});
