import { cloneData } from '../../../src/values/clone-data';
import { seededRandom } from '../../support/seeded-random';

/**
 * `cloneData` must give what `structuredClone` gives. The two are compared structurally: the same
 * kinds (array, ordinary object, primitive by Object.is, so -0 and NaN count), the same own keys in
 * the same order (array holes are missing keys), the same array lengths, every copied node new,
 * and the same reference graph (a node reached twice in one is reached twice in the other).
 * Prototypes are compared by kind, not identity: under jest `structuredClone` builds objects of
 * the outer realm.
 */
function sameCopy(original: unknown, expected: unknown, actual: unknown): void {
  const pairs = new Map<object, object>();
  const reverse = new Map<object, object>();
  const seenOriginals = new Set<object>();
  const walk = (o: unknown, e: unknown, a: unknown, at: string): void => {
    if (e === null || typeof e !== 'object') {
      if (!Object.is(e, a)) throw new Error(`${at}: expected ${String(e)}, got ${String(a)}`);
      return;
    }
    if (a === null || typeof a !== 'object') throw new Error(`${at}: expected an object, got ${String(a)}`);
    if (o !== null && typeof o === 'object') seenOriginals.add(o);
    if (a === o) throw new Error(`${at}: the copy shares a node with the original`);
    const pairedA = pairs.get(e);
    if (pairedA !== undefined || reverse.has(a)) {
      if (pairedA !== a || reverse.get(a) !== e) throw new Error(`${at}: the reference graph differs`);
      return;
    }
    pairs.set(e, a);
    reverse.set(a, e);
    if (Array.isArray(e) !== Array.isArray(a)) throw new Error(`${at}: array against object`);
    const protoE = Object.getPrototypeOf(e) as object | null;
    const protoA = Object.getPrototypeOf(a) as object | null;
    if (!protoE || !protoA || (Object.getPrototypeOf(protoE) === null) !== (Object.getPrototypeOf(protoA) === null)) {
      throw new Error(`${at}: prototypes of different kinds`);
    }
    if (Array.isArray(e) && e.length !== (a as unknown[]).length) throw new Error(`${at}: length ${e.length} against ${(a as unknown[]).length}`);
    const keysE = Object.keys(e);
    const keysA = Object.keys(a);
    if (keysE.join('\u0000') !== keysA.join('\u0000')) throw new Error(`${at}: keys [${keysE.join(',')}] against [${keysA.join(',')}]`);
    for (const key of keysE) {
      const descriptor = Object.getOwnPropertyDescriptor(a, key)!;
      if (!descriptor.enumerable || !descriptor.writable || !descriptor.configurable || 'get' in descriptor) {
        throw new Error(`${at}.${key}: not a plain data member`);
      }
      const o2 = o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[key] : undefined;
      walk(o2, (e as Record<string, unknown>)[key], (a as Record<string, unknown>)[key], `${at}.${key}`);
    }
  };
  walk(original, expected, actual, '$');
}

const KEYS = ['a', 'b', 'sku', 'qty', '__proto__', 'constructor', 'toString', '', '0', '1', '10', '2', 'ä', '$set', 'x.y', 'length'];

/** A random canonical-like value: nested objects and arrays, holes, undefined members, shared nodes. */
function randomValue(random: () => number, depth: number, shared: object[]): unknown {
  const r = random();
  if (depth <= 0 || r < 0.35) {
    const leaves = [null, undefined, true, false, 0, -0, NaN, Infinity, -1.5, 42, 2 ** 53, 10n ** 20n, '', 'x', 'ünï\u0000😀', '12.50'];
    return leaves[Math.floor(random() * leaves.length)];
  }
  if (shared.length > 0 && r < 0.42) return shared[Math.floor(random() * shared.length)];
  let node: object;
  if (r < 0.7) {
    const object: Record<string, unknown> = random() < 0.15 ? Object.create(null) : {};
    const count = Math.floor(random() * 6);
    for (let i = 0; i < count; i += 1) {
      const key = KEYS[Math.floor(random() * KEYS.length)]!;
      Object.defineProperty(object, key, { value: randomValue(random, depth - 1, shared), writable: true, enumerable: true, configurable: true });
    }
    node = object;
  } else {
    const list: unknown[] = [];
    const length = Math.floor(random() * 7);
    for (let i = 0; i < length; i += 1) if (random() < 0.7) list[i] = randomValue(random, depth - 1, shared);
    // Holes in the middle and at the end; sometimes a named member beside the elements.
    if (random() < 0.3) list.length = length + Math.floor(random() * 3);
    if (random() < 0.1) (list as unknown as Record<string, unknown>).named = randomValue(random, depth - 1, shared);
    node = list;
  }
  if (random() < 0.2) shared.push(node);
  return node;
}

describe('cloneData', () => {
  it('copies random trees of plain values exactly as structuredClone does, without calling it', () => {
    const spy = jest.spyOn(globalThis, 'structuredClone');
    const random = seededRandom(20261204);
    const originals: unknown[] = [];
    const copies: unknown[] = [];
    try {
      for (let i = 0; i < 3000; i += 1) {
        const original = randomValue(random, 1 + Math.floor(random() * 5), []);
        originals.push(original);
        copies.push(cloneData(original));
      }
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    originals.forEach((original, i) => sameCopy(original, structuredClone(original), copies[i]));
  });

  it('keeps holes, length and undefined members', () => {
    const sparse: unknown[] = [1];
    sparse[3] = { a: undefined };
    sparse.length = 6;
    const copy = cloneData({ items: sparse, gone: undefined });
    expect(Object.keys(copy)).toEqual(['items', 'gone']);
    expect(copy.items).toHaveLength(6);
    expect(Object.keys(copy.items)).toEqual(['0', '3']);
    expect(1 in copy.items).toBe(false);
    expect(Object.hasOwn(copy.items[3] as object, 'a')).toBe(true);
    sameCopy({ items: sparse }, structuredClone({ items: sparse }), cloneData({ items: sparse }));
  });

  it('keeps a member named __proto__ as a member, and copies a shared node once and a cycle as a cycle', () => {
    const withProto = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const copy = cloneData(withProto);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    sameCopy(withProto, structuredClone(withProto), copy);

    const shared = { sku: 'gift' };
    const cyclic: Record<string, unknown> = { items: [shared, shared] };
    cyclic.self = cyclic;
    const copied = cloneData(cyclic);
    expect(copied.self).toBe(copied);
    expect((copied.items as unknown[])[0]).toBe((copied.items as unknown[])[1]);
    sameCopy(cyclic, structuredClone(cyclic), copied);
  });

  it('gives anything that is not a tree of plain values to structuredClone, whole', () => {
    class Money {
      constructor(readonly amount: string) {}
    }
    const values: unknown[] = [
      { at: new Date(0), n: 1 },
      { bytes: Buffer.from('ab'), list: [new Uint8Array([1, 2])] },
      [new Map([['a', { b: 1 }]]), new Set([1])],
      { money: new Money('1.00') },
      { boxed: Object(1), text: Object('s') },
      { error: new RangeError('x') },
      new Date(5),
    ];
    const spy = jest.spyOn(globalThis, 'structuredClone');
    try {
      for (const value of values) {
        spy.mockClear();
        const copy = cloneData(value);
        expect(spy).toHaveBeenCalledTimes(1);
        expect(spy).toHaveBeenCalledWith(value);
        expect(copy).toEqual(structuredClone(value));
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses what structuredClone refuses, with its error, without running a proxy trap', () => {
    const trap = jest.fn();
    const proxy = new Proxy({ a: 1 }, { get: trap, ownKeys: trap, getPrototypeOf: trap });
    for (const value of [{ f: () => 1 }, [Symbol('s')], { nested: { proxy } }, () => 1, Symbol('t')]) {
      let expected: unknown;
      try {
        structuredClone(value);
      } catch (error) {
        expected = error;
      }
      expect(expected).toBeDefined();
      expect(() => cloneData(value)).toThrow((expected as Error).message);
    }
    expect(trap).not.toHaveBeenCalled();
  });

  it('returns primitives as they are', () => {
    for (const value of [null, undefined, 0, -0, NaN, 'a', true, 10n]) expect(Object.is(cloneData(value), value)).toBe(true);
  });
});
