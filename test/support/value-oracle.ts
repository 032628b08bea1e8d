import { compareDec, toDec } from '../../src/values/decimal';

/**
 * Random canonical values of every ordered type, in the representations sources send (decimals of
 * mixed scale, negative, zero with a scale, beyond 2^53, tiny fractions; DateTimes without a
 * fraction, with ms, µs or ns, in several offsets), and an oracle comparing them by value with
 * arithmetic of its own (exact decimals; seconds from Date.parse plus the fraction's digits) —
 * not with the order keys under test.
 */
export const VALUE_FIELDS = ['amount', 'at', 'n', 'f', 's'] as const;
export type ValueField = (typeof VALUE_FIELDS)[number];

export const VALUE_SCHEMA = {
  type: 'object',
  properties: {
    amount: { type: ['string', 'null'], 'x-canonql-type': 'Decimal' },
    at: { type: ['string', 'null'], format: 'date-time' },
    n: { type: ['integer', 'null'] },
    f: { type: ['number', 'null'] },
    s: { type: ['string', 'null'] },
  },
};

type Rng = () => number;
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(rng: Rng, list: readonly T[]): T => list[int(rng, 0, list.length - 1)]!;

const SPECIAL_DECIMALS = [
  '0',
  '0.00',
  '-0.00',
  '9007199254740993',
  '9007199254740993.01',
  '-9007199254740993',
  '123456789012345678901234567890.5',
  '0.000000000000000000123',
  '-0.000000000000000000123',
  '0.0000000000000000001230',
  '100',
  '12.50',
  '12.5',
  '9.00',
  '10.00',
  '-5.00',
  '-0.01',
];

export function randomDecimal(rng: Rng): string {
  if (rng() < 0.25) return pick(rng, SPECIAL_DECIMALS);
  const units = BigInt(int(rng, -3000, 3000));
  const scale = int(rng, 0, 3);
  const extraZeros = int(rng, 0, 2);
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  const padded = extraZeros === 0 ? text : `${text}${scale === 0 ? '.' : ''}${'0'.repeat(extraZeros)}`;
  return `${negative ? '-' : ''}${padded}`;
}

const BASE_SECONDS = Date.UTC(2024, 2, 1, 10, 0, 0) / 1000;
const OFFSETS = ['Z', '+00:00', '+02:00', '-05:30', '+14:00'];

export function randomDateTime(rng: Rng): string {
  const seconds = BASE_SECONDS + int(rng, 0, 5);
  const nanos = pick(rng, [0, 0, 1_000, 123_000_000, 123_456_000, 123_456_789, 999_999_000, int(rng, 0, 999) * 1_000_000, int(rng, 0, 999_999) * 1000]);
  const offset = pick(rng, OFFSETS);
  const offsetMinutes = offset === 'Z' ? 0 : (offset[0] === '-' ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  const local = new Date((seconds + offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
  const digits = String(nanos).padStart(9, '0');
  const width = nanos === 0 ? pick(rng, [0, 3, 6, 9]) : nanos % 1_000_000 === 0 ? pick(rng, [3, 6, 9]) : nanos % 1000 === 0 ? pick(rng, [6, 9]) : 9;
  return `${local}${width === 0 ? '' : `.${digits.slice(0, width)}`}${offset}`;
}

export function randomInt(rng: Rng): number {
  return rng() < 0.1 ? pick(rng, [2 ** 31 - 1, -(2 ** 31), 0]) : int(rng, -50, 50);
}

export function randomFloat(rng: Rng): number {
  return rng() < 0.2 ? pick(rng, [0.1, -0.1, 1e-7, 2.5, -2.5, 1e21, 123456.789]) : int(rng, -200, 200) / 4;
}

export function randomString(rng: Rng): string {
  return Array.from({ length: int(rng, 0, 3) }, () => pick(rng, ['a', 'b', 'B', 'z', '1', ' ', 'é'])).join('');
}

const GENERATORS: Record<ValueField, (rng: Rng) => unknown> = { amount: randomDecimal, at: randomDateTime, n: randomInt, f: randomFloat, s: randomString };

export function randomValue(rng: Rng, field: ValueField): unknown {
  return GENERATORS[field](rng);
}

/** A document: each field absent (15%), null (10%) or a random value. */
export function randomDocument(rng: Rng): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const field of VALUE_FIELDS) {
    const roll = rng();
    if (roll < 0.15) continue;
    doc[field] = roll < 0.25 ? null : randomValue(rng, field);
  }
  return doc;
}

function instantOf(text: string): [number, number] {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) throw new Error(`oracle: not a DateTime ${text}`);
  return [Date.parse(`${m[1]}${m[3]}`) / 1000, Number((m[2] ?? '').padEnd(9, '0'))];
}

/** By value; only for two present values of the field. */
export function compareValues(field: ValueField, a: unknown, b: unknown): number {
  if (field === 's') return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  if (field === 'at') {
    const [x, y] = [instantOf(a as string), instantOf(b as string)];
    return Math.sign(x[0] - y[0] || x[1] - y[1]);
  }
  return compareDec(toDec(a)!, toDec(b)!);
}

export type Op = 'eq' | 'ne' | 'in' | 'lt' | 'lte' | 'gt' | 'gte' | 'exists' | 'isNull';
export const OPS: readonly Op[] = ['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte', 'exists', 'isNull'];

/** Whether `doc` matches `{field: {op: operand}}` under the documented semantics. */
export function oracleMatches(doc: Record<string, unknown>, field: ValueField, op: Op, operand: unknown): boolean {
  const present = Object.hasOwn(doc, field);
  const value = doc[field];
  const hasValue = value !== null && value !== undefined;
  const cmp = (o: unknown) => (hasValue ? compareValues(field, value, o) : NaN);
  switch (op) {
    case 'exists':
      return present === operand;
    case 'isNull':
      return !hasValue === operand;
    case 'eq':
      return cmp(operand) === 0;
    case 'ne':
      return !(cmp(operand) === 0);
    case 'in':
      return (operand as unknown[]).some((o) => cmp(o) === 0);
    case 'lt':
      return cmp(operand) < 0;
    case 'lte':
      return cmp(operand) <= 0;
    case 'gt':
      return cmp(operand) > 0;
    case 'gte':
      return cmp(operand) >= 0;
  }
}

/** Ids in orderBy order: null and absent first ascending (last descending), ties by id in the same direction. */
export function oracleOrder(docs: readonly { id: string; data: Record<string, unknown> }[], field: ValueField, direction: 1 | -1): string[] {
  return [...docs]
    .sort((a, b) => {
      const [x, y] = [a.data[field], b.data[field]];
      const [nx, ny] = [x === null || x === undefined, y === null || y === undefined];
      const byValue = nx && ny ? 0 : nx ? -1 : ny ? 1 : compareValues(field, x, y);
      return direction * (byValue || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    })
    .map((d) => d.id);
}

/** A random filter of one field: its op and an operand (values drawn like the documents' ones, so equal values occur). */
export function randomFilter(rng: Rng): { field: ValueField; op: Op; operand: unknown } {
  const field = pick(rng, VALUE_FIELDS);
  const op = pick(rng, field === 's' ? OPS : OPS);
  const operand =
    op === 'exists' || op === 'isNull'
      ? rng() < 0.5
      : op === 'in'
        ? Array.from({ length: int(rng, 1, 3) }, () => randomValue(rng, field))
        : randomValue(rng, field);
  return { field, op, operand };
}
