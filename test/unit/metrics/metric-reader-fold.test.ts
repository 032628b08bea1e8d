import { averageOf, metricKey, type BucketSummary, type DimValue } from '../../../src/metrics/aggregation';
import type { MetricDefinition } from '../../../src/metrics/metric-definition';
import { createMetricsReader } from '../../../src/metrics/metric-reader';
import { addDec, compareDec, formatDec, parseDec, reformatDec, type Dec } from '../../../src/values/decimal';
import { compareValues } from '../../support/value-oracle';
import { bucketStoreOf, int, pick, seeded, type Rng } from './metric-model';

const DEFINITION = {
  name: 'amount',
  version: 1,
  subject: 'order',
  measure: { field: 'line_items[*].price' },
  dimensions: [
    { name: 'region', field: 'region' },
    { name: 'product', field: 'line_items[*].sku' },
    { name: 'express', field: 'express' },
  ],
  time: { field: 'created_at' },
  windows: ['hour', 'day'],
} as unknown as MetricDefinition;
const KEY = metricKey(DEFINITION);
const HOUR = 3_600_000;
const BASE = Date.UTC(2024, 2, 1);

/** Decimal text as stored, and text no writer of this project produces (still read exactly). */
const TEXTS = [
  '0',
  '0.00',
  '-0.5',
  '10.50',
  '1234567890123456789012.345',
  '-12',
  '0.050',
  '7',
  '-0.00',
  '-0',
  '007.5',
  '+3',
  ' 4.2',
  '1e3',
  '12.',
  '.5',
  '-.25',
  '00',
];

function randomText(rng: Rng): string {
  if (rng() < 0.3) return pick(rng, TEXTS);
  const whole = `${int(rng, 0, 3) === 0 ? '-' : ''}${int(rng, 0, 99_999)}`;
  return rng() < 0.5 ? whole : `${whole}.${String(int(rng, 0, 999)).padStart(int(rng, 1, 3), '0')}`;
}

/** The fold as the reader wrote it before: Object.fromEntries dims, every part parsed and formatted again (min and max of equal values: the larger scale). */
function reference(docs: readonly Doc[], groupBy: readonly string[], window: string) {
  const groups = new Map<string, { startMs: number; dims: Record<string, DimValue>; parts: BucketSummary[] }>();
  for (const doc of docs) {
    const dims = Object.fromEntries(groupBy.map((n) => [n, doc.dims[n] ?? null]));
    const id = `${doc.startMs}/${JSON.stringify(groupBy.map((n) => dims[n]))}`;
    const group = groups.get(id) ?? { startMs: doc.startMs, dims, parts: [] };
    group.parts.push(doc);
    groups.set(id, group);
  }
  return rowsOf([...groups.values()], window);
}

/** Groups of parts as result rows, ordered by start, then by the JSON of their shown dimension values. */
function rowsOf(
  groups: readonly { startMs: number; dims: Record<string, DimValue>; parts: readonly BucketSummary[] }[],
  window: string,
  metric = DEFINITION.name,
) {
  return groups
    .map((g) => ({ g, dimsKey: JSON.stringify(Object.values(g.dims)) }))
    .sort((a, b) => a.g.startMs - b.g.startMs || (a.dimsKey < b.dimsKey ? -1 : a.dimsKey > b.dimsKey ? 1 : 0))
    .map(({ g }) => {
      let count = 0;
      let sum: Dec | null = null;
      let min: Dec | null = null;
      let max: Dec | null = null;
      for (const part of g.parts) {
        count += part.count;
        if (part.sum !== null) sum = sum ? addDec(sum, parseDec(part.sum)) : parseDec(part.sum);
        // Of equal values, the larger scale ("5.00" over "5.0"), whatever the parts' order.
        const lo = part.min === null ? null : parseDec(part.min);
        const hi = part.max === null ? null : parseDec(part.max);
        if (lo && (!min || compareDec(lo, min) < 0 || (compareDec(lo, min) === 0 && lo.scale > min.scale))) min = lo;
        if (hi && (!max || compareDec(hi, max) > 0 || (compareDec(hi, max) === 0 && hi.scale > max.scale))) max = hi;
      }
      const summary = { count, sum: sum && formatDec(sum), min: min && formatDec(min), max: max && formatDec(max) };
      return { metric, window, start: new Date(g.startMs), dimensions: g.dims, ...summary, avg: averageOf(summary) };
    });
}

interface Doc extends BucketSummary {
  _id: string;
  startMs: number;
  dims: Record<string, DimValue>;
}

function randomDocs(rng: Rng): Doc[] {
  const docs: Doc[] = [];
  const seen = new Set<string>();
  for (let i = int(rng, 0, 60); i > 0; i -= 1) {
    const dims: Record<string, DimValue> = {};
    if (rng() < 0.9) dims.region = pick(rng, ['eu', 'us', null, 'ap', '"quoted"']);
    if (rng() < 0.9) dims.product = pick(rng, ['mug', 'tee', 1, 2.5, null]);
    if (rng() < 0.8) dims.express = pick(rng, [true, false, null]);
    const startMs = BASE + int(rng, 0, 4) * HOUR;
    const id = `${startMs}/${JSON.stringify(DEFINITION.dimensions.map((d) => dims[d.name] ?? null))}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const measured = rng() < 0.85;
    docs.push({
      _id: `${KEY}/hour/${id}`,
      startMs,
      dims,
      count: int(rng, 1, 9),
      sum: measured ? randomText(rng) : null,
      min: measured ? randomText(rng) : null,
      max: measured ? randomText(rng) : null,
    });
  }
  return docs.sort((a, b) => a.startMs - b.startMs);
}

/** A metric with dimensions of a String, Decimal, DateTime and Long field, and the scalars the API gives the reader for them. */
const TYPED = {
  ...DEFINITION,
  name: 'typed',
  dimensions: [
    { name: 'code', field: 'code' },
    { name: 'amount', field: 'amount' },
    { name: 'at', field: 'at' },
    { name: 'n', field: 'n' },
  ],
} as unknown as MetricDefinition;
const SCALARS = { code: 'String', amount: 'Decimal', at: 'DateTime', n: 'Long' } as const;
/** Spellings of few values, so equal values in several spellings meet in a window: 12.5, 7, 0; two instants; 5 and 2^53 + 1. */
const SPELLINGS: Record<keyof typeof SCALARS, readonly DimValue[]> = {
  code: ['7', '007', '12.5', '12.50', 'eu', null],
  amount: ['12.5', '12.50', '12.500', '7', '7.0', '-0', '0.00', '0', null],
  at: [
    '2024-03-01T10:00:00Z',
    '2024-03-01T12:00:00+02:00',
    '2024-03-01T10:00:00.000Z',
    '2024-03-01T04:30:00.000000-05:30',
    '2024-03-01T11:00:00Z',
    '2024-03-01T11:00:00.5Z',
    null,
  ],
  n: [5, '5', 6, '9007199254740993', 9007199254740992, null],
};

function randomTypedDocs(rng: Rng): Doc[] {
  const docs: Doc[] = [];
  const seen = new Set<string>();
  for (let i = int(rng, 0, 80); i > 0; i -= 1) {
    const dims: Record<string, DimValue> = {};
    for (const name of Object.keys(SCALARS) as (keyof typeof SCALARS)[]) if (rng() < 0.9) dims[name] = pick(rng, SPELLINGS[name]);
    const startMs = BASE + int(rng, 0, 2) * HOUR;
    const id = `${startMs}/${JSON.stringify(TYPED.dimensions.map((d) => dims[d.name] ?? null))}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const measured = rng() < 0.85;
    docs.push({
      _id: id,
      startMs,
      dims,
      count: int(rng, 1, 9),
      sum: measured ? randomText(rng) : null,
      min: measured ? randomText(rng) : null,
      max: measured ? randomText(rng) : null,
    });
  }
  return docs;
}

/** Digits after the point of a number's or an instant's seconds' text: the spelling a row shows has the most. */
function fractionDigits(name: keyof typeof SCALARS, value: DimValue): number {
  const text = String(value);
  const fraction = name === 'at' ? /:\d{2}(?:\.(\d+))?(?:Z|[+-])/.exec(text)?.[1] : text.split('.')[1];
  return fraction?.length ?? 0;
}

/**
 * The merge by value, with the value oracle's own arithmetic (not the order keys): a bucket joins
 * the first group of its window whose kept values are equal (String by text; others by the
 * oracle), a row shows per dimension the spelling with the most fractional digits, then the
 * first JSON text in code-unit order.
 */
function referenceByValue(docs: readonly Doc[], groupBy: readonly (keyof typeof SCALARS)[], window: string) {
  const field = { amount: 'amount', at: 'at', n: 'n', code: 's' } as const;
  const same = (name: keyof typeof SCALARS, a: DimValue, b: DimValue) =>
    a === null || b === null ? a === b : name === 'code' ? a === b : compareValues(field[name], a, b) === 0;
  const groups: { startMs: number; members: Doc[] }[] = [];
  for (const doc of docs) {
    const value = (d: Doc, n: keyof typeof SCALARS) => d.dims[n] ?? null;
    const group = groups.find((g) => g.startMs === doc.startMs && groupBy.every((n) => same(n, value(g.members[0]!, n), value(doc, n))));
    if (group) group.members.push(doc);
    else groups.push({ startMs: doc.startMs, members: [doc] });
  }
  return rowsOf(
    groups.map((g) => ({
      startMs: g.startMs,
      parts: g.members,
      dims: Object.fromEntries(
        groupBy.map((n) => {
          const spellings = g.members.map((d) => d.dims[n] ?? null);
          spellings.sort((a, b) => fractionDigits(n, b) - fractionDigits(n, a) || (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
          return [n, spellings[0]!];
        }),
      ),
    })),
    window,
    TYPED.name,
  );
}

describe('metric reader fold', () => {
  it('reformatDec gives formatDec(parseDec(text)) for stored and for unusual decimal text', () => {
    const rng = seeded(7);
    const texts = [...TEXTS, ...Array.from({ length: 2000 }, () => randomText(rng))];
    for (const text of texts) expect([text, reformatDec(text)]).toEqual([text, formatDec(parseDec(text))]);
    // Text already in formatDec's form is its own result; any other is rewritten.
    expect(reformatDec('0.050')).toBe('0.050');
    expect(reformatDec('-0.00')).toBe('0.00');
    expect(reformatDec('007.5')).toBe('7.5');
    expect(reformatDec('1e3')).toBe('1000');
  });

  it('property: every groupBy (subsets, other orders, none) gives the buckets, order and exact decimals of the per-part fold', async () => {
    const rng = seeded(11);
    const groupBys: (string[] | null)[] = [null, ['region', 'product', 'express'], ['product', 'region', 'express'], ['region'], ['express', 'product'], []];
    for (let round = 0; round < 200; round += 1) {
      const docs = randomDocs(rng);
      const reader = createMetricsReader({ db: bucketStoreOf(docs), definitions: [DEFINITION], limits: { maxScan: 10_000, maxGroups: 10_000 } });
      for (const groupBy of groupBys) {
        const answer = await reader.query({ name: 'amount', window: 'hour', groupBy });
        const expected = reference(docs, groupBy ?? DEFINITION.dimensions.map((d) => d.name), 'hour');
        expect(JSON.stringify(answer)).toBe(JSON.stringify(expected));
        expect(answer).toEqual(expected);
      }
    }
  });

  it("property: with the dimensions' scalars, buckets of equal values in several spellings are one row, the same in any arrival order", async () => {
    const rng = seeded(23);
    const groupBys: (keyof typeof SCALARS)[][] = [['code', 'amount', 'at', 'n'], ['amount'], ['at'], ['n'], ['code'], ['n', 'code'], ['at', 'amount'], []];
    let merged = 0;
    for (let round = 0; round < 150; round += 1) {
      const docs = randomTypedDocs(rng);
      // The store returns them ordered by start only: any order within a window.
      const shuffled = docs
        .map((doc) => ({ doc, r: rng() }))
        .sort((a, b) => a.r - b.r)
        .map((x) => x.doc);
      const inOrder = (list: Doc[]) => [...list].sort((a, b) => a.startMs - b.startMs);
      const read = (list: Doc[]) =>
        createMetricsReader({ db: bucketStoreOf(inOrder(list)), definitions: [TYPED], limits: { maxScan: 10_000, maxGroups: 10_000 } });
      for (const groupBy of groupBys) {
        const expected = referenceByValue(inOrder(docs), groupBy, 'hour');
        const answer = await read(docs).query({ name: 'typed', window: 'hour', groupBy, dimensionScalars: SCALARS });
        expect(JSON.stringify(answer)).toBe(JSON.stringify(expected));
        expect(JSON.stringify(await read(shuffled).query({ name: 'typed', window: 'hour', groupBy, dimensionScalars: SCALARS }))).toBe(
          JSON.stringify(expected),
        );
        // Without the scalars (or with every dimension a String), a row per stored value, as before.
        const byText = reference(inOrder(docs), groupBy, 'hour').map((row) => ({ ...row, metric: TYPED.name }));
        expect(JSON.stringify(await read(docs).query({ name: 'typed', window: 'hour', groupBy }))).toBe(JSON.stringify(byText));
        const texts = { code: 'String', amount: 'String', at: 'String', n: 'String' };
        expect(JSON.stringify(await read(docs).query({ name: 'typed', window: 'hour', groupBy, dimensionScalars: texts }))).toBe(JSON.stringify(byText));
        merged += byText.length - expected.length;
      }
    }
    // Rows did merge (and not only with no dimension kept).
    expect(merged).toBeGreaterThan(500);
  });
});
