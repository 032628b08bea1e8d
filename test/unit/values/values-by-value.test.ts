import { modelObject } from '../../../src/catalog/field-model';
import { afterCursor, decodeCursor, encodeCursor, mongoSort, sortOf, valueAt, whereToMongo, type Filter } from '../../../src/graphql/subject/list-query';
import { compileMetricWhere } from '../../../src/graphql/metrics/metric-where';
import { compileWhere } from '../../../src/graphql/subject/where-filter';
import type { MetricDefinition } from '../../../src/metrics/metric-definition';
import { isAppError } from '../../../src/errors';
import { matchesClause } from '../../../src/graphql/subject/where-matcher';
import { orderKeysOf } from '../../../src/state/order-keys';
import { seededRandom } from '../../support/seeded-random';
import { VALUE_FIELDS, VALUE_SCHEMA, oracleMatches, oracleOrder, randomDocument, randomFilter, type ValueField } from '../../support/value-oracle';

/**
 * Property: for thousands of random values of every ordered type, the order keys sort like the
 * values, every operator of the store filter and of the subscription matcher answers like an
 * oracle comparing by value, and keyset pages (crossing boundaries inside runs of equal values)
 * list exactly the oracle's order. The store filter is read here by a model of the MongoDB
 * operators it uses (null = absent, type bracketing); the integration twin runs it on the real store.
 */
const fields = modelObject(VALUE_SCHEMA);
const GRAPHQL_NAME: Record<ValueField, string> = { amount: 'amount', at: 'at', n: 'n', f: 'f', s: 's' };

interface Row {
  _id: string;
  data: Record<string, unknown>;
  _k: Record<string, unknown>;
}

function lookup(doc: Row, path: string): { present: boolean; value: unknown } {
  let node: unknown = doc;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return { present: false, value: null };
    node = (node as Record<string, unknown>)[part];
  }
  return { present: true, value: node };
}

const sameType = (a: unknown, b: unknown) => a !== null && a !== undefined && typeof a === typeof b;

/** MongoDB's semantics for the operators list-query.ts emits. */
function storeMatches(doc: Row, filter: Filter): boolean {
  return Object.entries(filter).every(([key, condition]) => {
    if (key === '$and') return (condition as Filter[]).every((f) => storeMatches(doc, f));
    if (key === '$or') return (condition as Filter[]).some((f) => storeMatches(doc, f));
    const { present, value } = lookup(doc, key);
    const v = value ?? null;
    if (condition === null) return v === null;
    if (typeof condition !== 'object') return v === condition;
    return Object.entries(condition as Record<string, unknown>).every(([op, operand]) => {
      switch (op) {
        case '$eq':
          return operand === null ? v === null : v === operand;
        case '$ne':
          return operand === null ? v !== null : v !== operand;
        case '$in':
          return (operand as unknown[]).some((o) => (o === null ? v === null : v === o));
        case '$lt':
          return sameType(v, operand) && (v as string) < (operand as string);
        case '$lte':
          return sameType(v, operand) && (v as string) <= (operand as string);
        case '$gt':
          return sameType(v, operand) && (v as string) > (operand as string);
        case '$gte':
          return sameType(v, operand) && (v as string) >= (operand as string);
        case '$exists':
          return present === operand;
        default:
          throw new Error(`operator ${op} not modelled`);
      }
    });
  });
}

function storeSort(rows: Row[], sort: Record<string, 1 | -1>): Row[] {
  const entries = Object.entries(sort);
  return [...rows].sort((a, b) => {
    for (const [path, direction] of entries) {
      const [x, y] = [lookup(a, path).value ?? null, lookup(b, path).value ?? null];
      const c = x === y ? 0 : x === null ? -1 : y === null ? 1 : (x as string) < (y as string) ? -1 : 1;
      if (c !== 0) return c * direction;
    }
    return 0;
  });
}

const rng = seededRandom(20261202);
const docs = Array.from({ length: 1500 }, (_, i) => ({ id: `e${String(i).padStart(5, '0')}`, data: randomDocument(rng) }));
const rows: Row[] = docs.map((d) => ({ _id: d.id, data: d.data, _k: orderKeysOf(d.data) }));

describe('values compare by value: order keys, store filter and matcher against an oracle', () => {
  it.each(VALUE_FIELDS.map((f) => [f]))('sorts %s by value in both directions, nulls and absent first ascending', (field) => {
    for (const direction of ['ASC', 'DESC'] as const) {
      const sort = sortOf({ field: GRAPHQL_NAME[field], direction }, fields);
      expect(storeSort(rows, mongoSort(sort)).map((r) => r._id)).toEqual(oracleOrder(docs, field, direction === 'ASC' ? 1 : -1));
    }
  });

  it('answers 400 random single-operator filters over 1,500 documents (7,500 values) like the oracle, in the store filter and in the matcher', () => {
    let nonTrivial = 0;
    for (let i = 0; i < 400; i += 1) {
      const { field, op, operand } = randomFilter(rng);
      const where = { [GRAPHQL_NAME[field]]: { [op]: operand } };
      const expected = docs.filter((d) => oracleMatches(d.data, field, op, operand)).map((d) => d.id);
      const filter = whereToMongo(where, fields);
      const byStore = rows.filter((r) => storeMatches(r, filter)).map((r) => r._id);
      const clause = compileWhere(where, fields);
      const byMatcher = docs.filter((d) => matchesClause(clause, d.data, d.id)).map((d) => d.id);
      const context = JSON.stringify(where);
      expect({ context, ids: byStore }).toEqual({ context, ids: expected });
      expect({ context, ids: byMatcher }).toEqual({ context, ids: expected });
      if (expected.length > 0 && expected.length < docs.length) nonTrivial += 1;
    }
    // The generator must produce filters that split the documents, or the property says little.
    expect(nonTrivial).toBeGreaterThan(240);
  });

  it('answers 60 random and/or combinations like the oracle', () => {
    for (let i = 0; i < 60; i += 1) {
      const parts = [randomFilter(rng), randomFilter(rng), randomFilter(rng)];
      const where = {
        or: [{ and: parts.slice(0, 2).map((p) => ({ [p.field]: { [p.op]: p.operand } })) }, { [parts[2]!.field]: { [parts[2]!.op]: parts[2]!.operand } }],
      };
      const oracle = (d: Record<string, unknown>) =>
        parts.slice(0, 2).every((p) => oracleMatches(d, p.field, p.op, p.operand)) || oracleMatches(d, parts[2]!.field, parts[2]!.op, parts[2]!.operand);
      const expected = docs.filter((d) => oracle(d.data)).map((d) => d.id);
      const filter = whereToMongo(where, fields);
      expect(rows.filter((r) => storeMatches(r, filter)).map((r) => r._id)).toEqual(expected);
      const clause = compileWhere(where, fields);
      expect(docs.filter((d) => matchesClause(clause, d.data, d.id)).map((d) => d.id)).toEqual(expected);
    }
  });

  it.each(VALUE_FIELDS.map((f) => [f]))('pages through %s with keyset cursors across equal values, exactly the oracle order', (field) => {
    const subset = docs.slice(0, 400);
    const subsetRows = rows.slice(0, 400);
    for (const direction of ['ASC', 'DESC'] as const) {
      const sort = sortOf({ field: GRAPHQL_NAME[field], direction }, fields);
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 1000; page += 1) {
        const filter: Filter = after ? afterCursor(sort, decodeCursor(after, sort)) : {};
        const found = storeSort(
          subsetRows.filter((r) => storeMatches(r, filter)),
          mongoSort(sort),
        ).slice(0, 7);
        seen.push(...found.map((r) => r._id));
        if (found.length < 7) break;
        const last = found.at(-1)!;
        after = encodeCursor(sort, valueAt(last as never, sort.path), last._id);
      }
      expect(seen).toEqual(oracleOrder(subset, field, direction === 'ASC' ? 1 : -1));
    }
  });

  it('answers 400 random metric where filters over bucket dimensions like the oracle (the same language; shorthand values and lists as eq and in)', () => {
    const metric: MetricDefinition = {
      name: 'probe',
      version: 1,
      subject: 'value_probe',
      time: { changeTime: true },
      windows: ['day'],
      dimensions: VALUE_FIELDS.map((f) => ({ name: `d_${f}`, field: f })),
    };
    // A bucket holds each dimension's value, null when the entity's field was null or absent.
    const buckets = docs.map((d) => ({
      id: d.id,
      dims: Object.fromEntries(VALUE_FIELDS.map((f) => [`d_${f}`, (d.data[f] ?? null) as never])),
      data: Object.fromEntries(VALUE_FIELDS.map((f) => [f, d.data[f] ?? null])),
    }));
    let nonTrivial = 0;
    for (let i = 0; i < 400; i += 1) {
      const { field, op, operand } = randomFilter(rng);
      const where = { [`d_${field}`]: op === 'eq' && i % 3 === 0 ? operand : op === 'in' && i % 3 === 0 ? operand : { [op]: operand } };
      if (op === 'exists') {
        let refusal: unknown = null;
        try {
          compileMetricWhere(where, metric, VALUE_SCHEMA);
        } catch (error) {
          refusal = error;
        }
        expect(isAppError(refusal) && refusal.code).toBe('BAD_USER_INPUT');
        continue;
      }
      const matches = compileMetricWhere(where, metric, VALUE_SCHEMA)!;
      const expected = buckets.filter((b) => oracleMatches(b.data, field, op, operand)).map((b) => b.id);
      const context = JSON.stringify(where);
      expect({ context, ids: buckets.filter((b) => matches(b.dims)).map((b) => b.id) }).toEqual({ context, ids: expected });
      if (expected.length > 0 && expected.length < buckets.length) nonTrivial += 1;
    }
    expect(nonTrivial).toBeGreaterThan(200);
  });
});
