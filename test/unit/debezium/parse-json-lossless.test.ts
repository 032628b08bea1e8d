import { isExactNumber, parseJsonLossless, plainJson } from '../../../src/ingestion/debezium/parse-json-lossless';
import { isUnavailableValue, UNAVAILABLE_VALUE_PLACEHOLDER } from '../../../src/ingestion/debezium/unavailable-value';
import { seededRandom } from '../../support/seeded-random';

describe('parseJsonLossless', () => {
  it('parses ordinary JSON natively, marking nothing', () => {
    expect(parseJsonLossless('{"a": 1, "b": [1.5, -2e3], "c": "x"}')).toEqual({
      value: { a: 1, b: [1.5, -2000], c: 'x' },
      hasExactNumbers: false,
      inexactTsNs: 0,
    });
    expect(parseJsonLossless('{"n": 9007199254740991, "s": 1234567890123456}').hasExactNumbers).toBe(false);
  });

  it('marks integers beyond 2^53 and decimals beyond 15 significant digits, and only those', () => {
    const { value, hasExactNumbers } = parseJsonLossless(
      '{"ns": 1795436367040438816, "neg": -9007199254740993, "f": 0.30000000000000004, "ok": 0.1000000000000000}',
    );
    expect(hasExactNumbers).toBe(true);
    const parsed = value as Record<string, unknown>;
    expect(isExactNumber(parsed.ns)).toBe(true);
    expect(isExactNumber(parsed.neg)).toBe(true);
    expect(isExactNumber(parsed.f)).toBe(true);
    expect(parsed.ok).toBe(0.1);
    expect(plainJson(value)).toEqual({ ns: '1795436367040438816', neg: '-9007199254740993', f: 0.30000000000000004, ok: 0.1 });
  });

  it('marks the shortest unsafe literals when they are the only long run of digits in the text', () => {
    for (const literal of ['9007199254740993', '-9007199254740993', '0.1000000000000001', '1e-400', '-1E+400']) {
      const { value, hasExactNumbers } = parseJsonLossless(`{"n":${literal},"s":"x"}`);
      expect([literal, hasExactNumbers, plainJson(value)]).toEqual([literal, true, plainJson({ n: `\u0000#num:${literal}`, s: 'x' })]);
    }
    expect(parseJsonLossless('{"n":900719925474099,"d":0.10000000000001}').hasExactNumbers).toBe(false);
  });

  it('marks literals beyond the range of a double, which the parser would turn into Infinity, 0 or a subnormal', () => {
    const plain = `0.${'0'.repeat(399)}1`;
    const { value } = parseJsonLossless(
      `{"big": 1E+400, "tiny": -1e-400, "plain": ${plain}, "sub": 4.9e-324, "zero": 0e999, "ok": 1.5e-7, "max": 1.7976931348623157e308}`,
    );
    const parsed = value as Record<string, unknown>;
    expect([parsed.big, parsed.tiny, parsed.plain, parsed.sub].every(isExactNumber)).toBe(true);
    expect([parsed.zero, parsed.ok]).toEqual([0, 1.5e-7]);
    expect(isExactNumber(parsed.max)).toBe(true); // 17 significant digits, as before
    // Without a schema, a marker renders as the parser would have read it.
    expect(plainJson(value)).toMatchObject({ big: Number.POSITIVE_INFINITY, tiny: -0, plain: 0, sub: 5e-324, zero: 0, ok: 1.5e-7 });
  });

  it('never touches digits inside strings, escaped quotes included', () => {
    const text = '{"s": "12345678901234567890", "q": "a \\" 98765432109876543210 \\\\", "n": 12345678901234567890}';
    expect(plainJson(parseJsonLossless(text).value)).toEqual({ s: '12345678901234567890', q: 'a " 98765432109876543210 \\', n: '12345678901234567890' });
  });

  it('leaves Debezium’s ts_ns to the native parser when asked (never read, and it keeps records on the fast path), counting them', () => {
    const text = '{"ts_ns": 1795436367040438816, "source": {"ts_ns" : 1795436367040438816, "ts_us": 1795436367040438}}';
    expect(parseJsonLossless(text, undefined, undefined, { envelopeTsNs: true })).toMatchObject({ hasExactNumbers: false, inexactTsNs: 2 });
    // A ts_ns a double holds is not counted; the count is 0 without the option.
    expect(parseJsonLossless('{"ts_ns": 1795436367040}', undefined, undefined, { envelopeTsNs: true }).inexactTsNs).toBe(0);
    expect(parseJsonLossless(text).inexactTsNs).toBe(0);
  });

  it('keeps every ts_ns exact by default (a column, a key or a document may have that name)', () => {
    const { value, hasExactNumbers } = parseJsonLossless('{"id": 1, "ts_ns": 1700000000123456789}');
    expect(hasExactNumbers).toBe(true);
    expect(plainJson(value)).toEqual({ id: 1, ts_ns: '1700000000123456789' });
  });

  it('finds exactly the unsafe numbers outside strings in random documents with quotes and backslashes', () => {
    const random = seededRandom(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const pieces = ['"', '\\', '\\"', '12345678901234567890', 'x', ':', ',', '{', '}', ' '];
    // Builds [JSON text, expected decoded value] together.
    const build = (depth: number): [string, unknown] => {
      const kind = depth > 2 ? pick(['string', 'big', 'small']) : pick(['string', 'big', 'small', 'object', 'array']);
      if (kind === 'string') {
        const text = Array.from({ length: 1 + Math.floor(random() * 6) }, () => pick(pieces)).join('');
        return [JSON.stringify(text), text];
      }
      if (kind === 'big') {
        const big = (BigInt(Number.MAX_SAFE_INTEGER) + BigInt(Math.floor(random() * 1e6))) * (random() < 0.5 ? -1n : 1n);
        return [big.toString(), big.toString()];
      }
      if (kind === 'small') return ['1234', 1234];
      const entries = Array.from({ length: 1 + Math.floor(random() * 4) }, (_, index) => [`k${index}`, build(depth + 1)] as const);
      if (kind === 'array') return [`[${entries.map(([, [text]]) => text).join(',')}]`, entries.map(([, [, value]]) => value)];
      return [`{${entries.map(([name, [text]]) => `"${name}":${text}`).join(',')}}`, Object.fromEntries(entries.map(([name, [, value]]) => [name, value]))];
    };
    for (let round = 0; round < 300; round += 1) {
      const [text, expected] = build(0);
      expect(plainJson(parseJsonLossless(text).value)).toEqual(expected);
    }
  });

  it('marks a literal wherever JSON allows a number: the whole text, after `:`, `,`, `[` and each kind of JSON whitespace', () => {
    for (const literal of ['12345678901234567890', '-9007199254740993', '1e400', '-1.5E-400']) {
      expect(plainJson(parseJsonLossless(literal).value)).toEqual(plainJson(`\u0000#num:${literal}`));
      const text = `{"a":${literal},"b":[${literal}, ${literal},\t${literal},\n${literal},\r${literal}], "c" :\r\n\t ${literal}}`;
      const parsed = parseJsonLossless(text).value as { a: unknown; b: unknown[]; c: unknown };
      expect([parsed.a, ...parsed.b, parsed.c].map((v) => isExactNumber(v))).toEqual([true, true, true, true, true, true, true]);
    }
  });

  it('leaves digit runs and exponents inside strings alone, whatever precedes them (ObjectIds, zero-padded ids, hex)', () => {
    const strings = ['000000000000000000000007', '65a1b2c3e5101a1b2c3d4e51', 'x:12345678901234567890', 'id-1e400', 'ab9007199254740993', ' 1E+999'];
    const text = JSON.stringify({ ids: strings, nested: JSON.stringify({ _id: { $oid: strings[0] } }), n: 7 });
    expect(parseJsonLossless(text)).toEqual({ value: JSON.parse(text), hasExactNumbers: false, inexactTsNs: 0 });
  });

  it('throws SyntaxError on malformed JSON on both paths', () => {
    expect(() => parseJsonLossless('{"a": ')).toThrow(SyntaxError);
    expect(() => parseJsonLossless('{"a": 12345678901234567890')).toThrow(SyntaxError);
    // A long number where a key must stand is not turned into a (marker) string key.
    for (const text of ['{"a":1,12345678901234567890:2}', '{ 12345678901234567890 :1}', '{12345678901234567890:1}', '{"a":1, 1e400:2}']) {
      expect(() => parseJsonLossless(text)).toThrow(SyntaxError);
    }
  });
});

describe('isUnavailableValue (PostgreSQL unchanged TOAST placeholder)', () => {
  it('recognizes the placeholder as text, as bytea (base64/hex), as a one-element array and as an hstore map', () => {
    const bytes = Buffer.from(UNAVAILABLE_VALUE_PLACEHOLDER);
    expect(isUnavailableValue(UNAVAILABLE_VALUE_PLACEHOLDER)).toBe(true);
    expect(isUnavailableValue(bytes.toString('base64'))).toBe(true);
    expect(isUnavailableValue(bytes.toString('hex'))).toBe(true);
    expect(isUnavailableValue([UNAVAILABLE_VALUE_PLACEHOLDER])).toBe(true);
    expect(isUnavailableValue({ [UNAVAILABLE_VALUE_PLACEHOLDER]: UNAVAILABLE_VALUE_PLACEHOLDER })).toBe(true);
  });

  it('does not mistake real values for it', () => {
    for (const value of ['text', '', null, 0, [], ['a', UNAVAILABLE_VALUE_PLACEHOLDER], { a: 1 }, `${UNAVAILABLE_VALUE_PLACEHOLDER} `]) {
      expect(isUnavailableValue(value)).toBe(false);
    }
  });

  it('uses a configured placeholder instead', () => {
    expect(isUnavailableValue('<none>', '<none>')).toBe(true);
    expect(isUnavailableValue(UNAVAILABLE_VALUE_PLACEHOLDER, '<none>')).toBe(false);
  });
});
