import { findBreakingChanges } from 'graphql';
import { checkCompatibility } from '../../../src/catalog/compatibility';
import { checkEvolution } from '../../../src/catalog/schema-evolution';
import { createApiSchemaCheck, graphqlBreakingChanges } from '../../../src/graphql/api-schema-check';
import { buildApiSchema } from '../../../src/graphql/build-api-schema';
import { customer, order, PAIRS } from './compatibility-cases';

/**
 * The registry's verdict and graphql-js's breaking-change check agree: under every level but
 * NONE, a version the evolution check accepts has no GraphQL breaking change, and every GraphQL
 * breaking change shows up as a GRAPHQL_BREAKING violation.
 */
const objects = PAIRS.filter((p) => typeof p.before === 'object' && typeof p.after === 'object');
const others = [{ subject: 'customer', version: 1, schema: customer }];
const api = createApiSchemaCheck();

function breaking(before: Record<string, unknown>, after: Record<string, unknown>) {
  return findBreakingChanges(
    buildApiSchema([...others, { subject: 'thing', version: 1, schema: before }]),
    buildApiSchema([...others, { subject: 'thing', version: 2, schema: after }]),
  );
}

describe('evolution check vs the GraphQL breaking-change check, over the compatibility suite', () => {
  describe.each(objects.map((p) => [p.name, p] as const))('%s', (_name, pair) => {
    const before = pair.before as Record<string, unknown>;
    const after = pair.after as Record<string, unknown>;
    const graphql = breaking(before, after);

    // With one earlier version a transitive level equals its plain form: one of them is enough.
    it.each((['BACKWARD', 'FORWARD', 'FULL', 'FULL_TRANSITIVE'] as const).map((l) => [l]))('agrees under %s', (level) => {
      const verdict = checkEvolution({ subject: 'thing', history: [before], candidate: after, level, others }, api);
      const json = checkCompatibility([before], after, level);
      // Accepted implies no GraphQL breaking change; rejected means JSON rules or GraphQL said so.
      if (verdict.compatible) expect(graphql).toEqual([]);
      expect(verdict.compatible).toBe(json.compatible && graphql.length === 0);
      const apiViolations = verdict.violations.filter((v) => v.rule === 'GRAPHQL_BREAKING').map((v) => v.message);
      expect(apiViolations).toEqual(graphql.map((c) => `${c.type}: ${c.description}`));
    });

    it('NONE accepts it whatever both checks say', () => {
      expect(checkEvolution({ subject: 'thing', history: [before], candidate: after, level: 'NONE', others }, api).compatible).toBe(true);
    });
  });

  it('covers both disagreements the GraphQL check resolves', () => {
    // Backward compatible data, yet a breaking API: the evolution check rejects them.
    const widening = PAIRS.find((p) => p.name === 'integer widened to number')!;
    const removal = PAIRS.find((p) => p.name === 'optional property removed from an open model')!;
    for (const pair of [widening, removal]) {
      const before = pair.before as Record<string, unknown>;
      expect(checkCompatibility([before], pair.after, 'BACKWARD').compatible).toBe(true);
      const verdict = checkEvolution({ subject: 'thing', history: [before], candidate: pair.after as Record<string, unknown>, level: 'BACKWARD', others }, api);
      expect(verdict.compatible).toBe(false);
      expect(verdict.violations.every((v) => v.rule === 'GRAPHQL_BREAKING')).toBe(true);
    }
    expect(
      graphqlBreakingChanges('thing', widening.before as Record<string, unknown>, widening.after as Record<string, unknown>).map((v) => v.message),
    ).toEqual(expect.arrayContaining(['FIELD_CHANGED_KIND: Thing.f changed type from Int to Float.']));
  });

  it('accepts the typical compatible v2: an optional field added to a closed model, served as a new GraphQL field', () => {
    const v1 = { ...order, additionalProperties: false };
    const v2 = { ...v1, properties: { ...(order.properties as object), channel: { type: ['string', 'null'] } } };
    expect(checkEvolution({ subject: 'order', history: [v1], candidate: v2, level: 'BACKWARD', others }, api)).toEqual({ compatible: true, violations: [] });
    const fields = (
      buildApiSchema([...others, { subject: 'order', version: 2, schema: v2 }]).getType('Order') as import('graphql').GraphQLObjectType
    ).getFields();
    expect(Object.keys(fields)).toContain('channel');
  });
});
