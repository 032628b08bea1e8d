import { graphql } from 'graphql';
import { createEventLog } from '../../../src/events/event-log';
import { createAccessPolicy } from '../../../src/graphql/access';
import { buildApiSchema } from '../../../src/graphql/build-api-schema';
import { createLoaders, type ApiServices } from '../../../src/graphql/context';
import { createEntityStore, type StoredEntity } from '../../../src/state/entity-store';
import { firstStoredEntity } from '../../support/stored-entity';
import { databasePerTest } from '../../support/test-env';

/**
 * `<plural>Aggregate(groupBy)` on the real store: a group is one value, as `eq` compares. Decimal
 * text of different scales ("12.5", "12.50") and one instant written with other offsets or
 * fractional digits are one group, reported in one spelling whatever order the store returns the
 * entities in: the one with the most fractional digits (as min and max pick the larger scale),
 * then the first in code-unit order of its JSON text.
 */
const SUBJECT = 'reading';
const SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'Reading',
  type: 'object',
  properties: {
    tag: { type: ['string', 'null'] },
    amount: { type: ['string', 'null'], 'x-canonql-type': 'Decimal' },
    at: { type: ['string', 'null'], format: 'date-time' },
    n: { type: ['integer', 'null'], format: 'int64' },
    price: { type: ['string', 'null'], 'x-canonql-type': 'Decimal' },
  },
};

/** One instant, 2024-03-01T10:00:00Z, in four spellings. */
const READINGS: Record<string, unknown>[] = [
  { tag: 'a', amount: '12.5', at: '2024-03-01T12:00:00+02:00', n: 5, price: '1.10' },
  { tag: 'a', amount: '12.50', at: '2024-03-01T10:00:00Z', n: 5, price: '2.2' },
  { tag: 'b', amount: '12.500', at: '2024-03-01T10:00:00.000Z', n: 5, price: '3' },
  { tag: 'b', amount: '7', at: '2024-03-01T04:30:00.000000-05:30', n: '9007199254740993', price: '4.00' },
  { tag: 'a', amount: '7.0', at: '2024-03-01T11:00:00Z', n: 6, price: null },
  { tag: 'a', amount: null, at: null, n: null, price: '0.5' },
];

type Group = { group: Record<string, unknown>; count: number; sum: string | null; min: string | null; max: string | null };

describe('<plural>Aggregate groups by value on the real store', () => {
  const db = databasePerTest('aggregate_group');

  async function aggregate(order: readonly number[], args: string): Promise<Group[]> {
    const services: ApiServices = {
      catalog: { list: () => [{ subject: SUBJECT, version: 1, schema: SCHEMA }] },
      db: db(),
      store: createEntityStore(db()),
      eventLog: createEventLog(db()),
      maxPageSize: 100,
      access: createAccessPolicy([]),
    };
    const at = new Date(Date.UTC(2024, 2, 1));
    const entity = (i: number): StoredEntity =>
      firstStoredEntity(`r${i}`, Object.fromEntries(Object.entries(READINGS[i]!).filter(([, v]) => v !== null)), {
        time: at,
        position: String(i + 1),
        eventId: `r${i}-1`,
      });
    // Written in `order`: the store returns them in that order, so each order is one arrival order.
    for (const i of order) await services.store.writeMany(SUBJECT, [{ key: `r${i}`, expectedVersion: null, next: entity(i) }]);
    const result = await graphql({
      schema: buildApiSchema(services.catalog.list()),
      source: `{ readingsAggregate(${args}) { group count sum min max } }`,
      contextValue: { services, principal: services.access.principalFor(undefined), loaders: createLoaders(services) },
    });
    expect(result.errors).toBeUndefined();
    return (result.data as { readingsAggregate: Group[] }).readingsAggregate;
  }

  const byGroup = (groups: Group[]) => [...groups].sort((a, b) => (JSON.stringify(a.group) < JSON.stringify(b.group) ? -1 : 1));
  const forward = READINGS.map((_, i) => i);
  const backward = [...forward].reverse();

  it.each([
    ['in arrival order', forward],
    ['in reverse order', backward],
  ])('one group per Decimal value, in the spelling of the largest scale, sums exact (%s)', async (_, order) => {
    const groups = await aggregate(order, 'groupBy: ["amount"], measure: "price"');
    expect(byGroup(groups)).toEqual([
      { group: { amount: '12.500' }, count: 3, sum: '6.30', min: '1.10', max: '3' },
      { group: { amount: '7.0' }, count: 2, sum: '4.00', min: '4.00', max: '4.00' },
      { group: { amount: null }, count: 1, sum: '0.5', min: '0.5', max: '0.5' },
    ]);
  });

  it.each([
    ['in arrival order', forward],
    ['in reverse order', backward],
  ])('one group per instant, whatever the offset or the fractional digits (%s)', async (_, order) => {
    const groups = await aggregate(order, 'groupBy: ["at"]');
    expect(byGroup(groups)).toEqual([
      { group: { at: '2024-03-01T04:30:00.000000-05:30' }, count: 4, sum: null, min: null, max: null },
      { group: { at: '2024-03-01T11:00:00Z' }, count: 1, sum: null, min: null, max: null },
      { group: { at: null }, count: 1, sum: null, min: null, max: null },
    ]);
  });

  it('groups by several fields at once, each by value; a Long keeps its stored JSON type (a number, or digits beyond 2^53)', async () => {
    const groups = await aggregate(backward, 'groupBy: ["tag", "amount", "n"]');
    expect(byGroup(groups)).toEqual([
      { group: { tag: 'a', amount: '12.50', n: 5 }, count: 2, sum: null, min: null, max: null },
      { group: { tag: 'a', amount: '7.0', n: 6 }, count: 1, sum: null, min: null, max: null },
      { group: { tag: 'a', amount: null, n: null }, count: 1, sum: null, min: null, max: null },
      { group: { tag: 'b', amount: '12.500', n: 5 }, count: 1, sum: null, min: null, max: null },
      { group: { tag: 'b', amount: '7', n: '9007199254740993' }, count: 1, sum: null, min: null, max: null },
    ]);
  });
});
