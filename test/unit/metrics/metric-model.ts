import type { Db } from 'mongodb';
import { type CompiledMetric, compileMetric } from '../../../src/metrics/aggregation';
import { type MetricDefinition, validateMetricDefinition } from '../../../src/metrics/metric-definition';
import { seededRandom } from '../../support/seeded-random';

/**
 * Test support shared by the unit and integration property tests: a seeded random generator, a
 * random order-like entity, and a brute-force computation of every bucket that shares no code
 * with src/metrics (money in integer cents, windows by arithmetic on epoch ms).
 */
export type Rng = () => number;

/** A seeded generator (mulberry32), so a failing property run is reproduced by its seed. */
export const seeded = (seed: number): Rng => seededRandom(seed);

export const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
export const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;

export const REGIONS = ['eu', 'us', 'ap'];
export const PRODUCTS = ['mug', 'tee', 'cap', 'pen'];
export const BASE_MS = Date.UTC(2024, 2, 1, 0, 0, 0);

export interface Line {
  sku: string;
  price: string;
  qty: number;
}

export function randomOrder(rng: Rng): Record<string, unknown> {
  const lines: Line[] = [];
  for (let i = int(rng, 0, 3); i > 0; i -= 1) {
    lines.push({ sku: pick(rng, PRODUCTS), price: `${int(rng, 0, 99)}.${String(int(rng, 0, 99)).padStart(2, '0')}`, qty: int(rng, 1, 4) });
  }
  const order: Record<string, unknown> = {
    region: pick(rng, REGIONS),
    // Within a few days and hours: some entities share windows, some do not.
    created_at: new Date(BASE_MS + int(rng, 0, 3) * 86_400_000 + int(rng, 0, 5) * 3_600_000 + int(rng, 0, 3599) * 1000).toISOString(),
    line_items: lines,
    status: pick(rng, ['paid', 'paid', 'cancelled']),
  };
  if (rng() < 0.05) delete order.created_at;
  return order;
}

/** The definition the property tests aggregate: line amount (price × qty) by region and product. */
export const PROPERTY_DEFINITION = {
  name: 'prop-amount',
  version: 1,
  subject: 'order',
  measure: { field: 'line_items[*].price', multiplyBy: 'line_items[*].qty' },
  dimensions: [
    { name: 'region', field: 'region' },
    { name: 'product', field: 'line_items[*].sku' },
  ],
  time: { field: 'created_at' },
  windows: ['hour', 'day'],
  filter: [{ src: '$.status', notEquals: 'cancelled' }],
};

export interface BruteBucket {
  count: number;
  sum: string | null;
  min: string | null;
  max: string | null;
}

const centsOf = (price: string) => {
  const [whole, frac = ''] = price.split('.');
  return BigInt(whole!) * 100n + BigInt(frac.padEnd(2, '0').slice(0, 2));
};
/** Cents at the prices' scale (2): 1250n → "12.50", 1200n → "12.00", 5n → "0.05". */
const formatCents = (c: bigint) => {
  const abs = c < 0n ? -c : c;
  return `${c < 0n ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
};

/** Every bucket of PROPERTY_DEFINITION over live entities, keyed "window|startMs|region|product". */
export function bruteForce(entities: Iterable<Record<string, unknown> | null>): Map<string, BruteBucket> {
  const acc = new Map<string, { count: number; sum: bigint; min: bigint; max: bigint }>();
  for (const order of entities) {
    if (!order || order.status === 'cancelled' || typeof order.created_at !== 'string') continue;
    const ms = Date.parse(order.created_at);
    for (const line of order.line_items as Line[]) {
      const amount = centsOf(line.price) * BigInt(line.qty);
      for (const [window, size] of [
        ['hour', 3_600_000],
        ['day', 86_400_000],
      ] as const) {
        const start = ms - (ms % size);
        const id = `${window}|${start}|${order.region as string}|${line.sku}`;
        const b = acc.get(id);
        if (!b) acc.set(id, { count: 1, sum: amount, min: amount, max: amount });
        else {
          b.count += 1;
          b.sum += amount;
          if (amount < b.min) b.min = amount;
          if (amount > b.max) b.max = amount;
        }
      }
    }
  }
  return new Map([...acc].map(([id, b]) => [id, { count: b.count, sum: formatCents(b.sum), min: formatCents(b.min), max: formatCents(b.max) }]));
}

/** "window|startMs|region|product" of a bucket id of src/metrics. */
export function bruteKeyOf(bucketIdText: string): string {
  const [, window, start, dims] = bucketIdText.split('/') as [string, string, string, string];
  const [region, product] = JSON.parse(dims) as [string, string];
  return `${window}|${start}|${region}|${product}`;
}

/** A metric definition validated and compiled; throws with the problems when it is refused. */
export function compiledMetric(definition: unknown): CompiledMetric {
  const validated = validateMetricDefinition(definition);
  if (!validated.ok) throw new Error(validated.problems.join('\n'));
  return compileMetric(validated.definition);
}

/** The smallest order metric the metrics tests vary: `amt` per `region`, hourly, timed by `ts`. */
export const HOURLY_AMOUNT = {
  name: 'm',
  subject: 'order',
  dimensions: ['region'],
  time: { field: 'ts' },
  windows: ['hour'],
  measure: { field: 'amt' },
} as const;

/**
 * A count metric `m` of orders by the hour with these dimensions (`name` → field), as the reader
 * takes a stored definition: for tests of the reader's own rules over bucketStoreOf.
 */
export function hourlyCountMetric(dimensions: Readonly<Record<string, string>>): MetricDefinition {
  return {
    name: 'm',
    version: 1,
    subject: 'order',
    dimensions: Object.entries(dimensions).map(([name, field]) => ({ name, field })),
    time: { field: 'ts' },
    windows: ['hour'],
  } as unknown as MetricDefinition;
}

/**
 * A stand-in for the store under MetricsReader.query's own logic (its argument checks and its
 * fold): every find answers `docs`, already in the order and range the reader asks for.
 */
export function bucketStoreOf(docs: readonly object[]): Db {
  const cursor = { sort: () => cursor, limit: () => cursor, toArray: async () => docs };
  return { collection: () => ({ find: () => cursor }) } as unknown as Db;
}
