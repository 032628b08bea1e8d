import { compileSpec } from '../../../src/mapping/compile-spec';
import { appErrorOf, compile, SEED_ORDER_SPEC } from './mapping-test-helpers';

/** Applies dotted set/unset paths (numeric parts index arrays) to a copy of a document. */
function applyPatch(doc: Record<string, unknown>, set: Record<string, unknown>, unset: readonly string[] = []): Record<string, unknown> {
  const out = structuredClone(doc);
  const walk = (path: string, create: boolean): [Record<string, unknown>, string] | null => {
    const parts = path.split('.');
    let node: Record<string, unknown> = out;
    for (let i = 0; i < parts.length - 1; i += 1) {
      let child = node[parts[i]!];
      if (child === null || typeof child !== 'object') {
        if (!create) return null;
        child = /^\d+$/.test(parts[i + 1]!) ? [] : {};
        node[parts[i]!] = child;
      }
      node = child as Record<string, unknown>;
    }
    return [node, parts[parts.length - 1]!];
  };
  for (const [path, value] of Object.entries(set)) {
    const [node, last] = walk(path, true)!;
    if (value === undefined) delete node[last];
    else node[last] = structuredClone(value);
  }
  for (const path of unset) {
    const found = walk(path, false);
    if (found) delete found[0][found[1]];
  }
  return out;
}

describe('mapPartial on the seed spec', () => {
  const seed = compileSpec(SEED_ORDER_SPEC);

  it('maps a dotted source path to the canonical path it feeds', () => {
    expect(seed.mapPartial({ 'customer.email': 'X@Y.COM' })).toEqual({ set: { 'customer.email': 'x@y.com' }, unset: [] });
  });

  it('maps nothing for source fields no mapping reads, and adds no defaults', () => {
    expect(seed.mapPartial({ status: 'paid' })).toEqual({ set: {}, unset: [] });
    expect(seed.mapPartial({ orderId: 77 })).toEqual({ set: { order_id: '77' }, unset: [] });
  });

  it('unsets a canonical field whose source the update removed or replaced without it', () => {
    expect(seed.mapPartial({ 'customer.email': undefined })).toEqual({ set: {}, unset: ['customer.email'] });
    expect(seed.mapPartial({ customer: { name: 'Ada' } })).toEqual({ set: {}, unset: ['customer.email'] });
  });

  it('rebuilds a whole array when the update replaces the source array', () => {
    expect(seed.mapPartial({ items: [{ sku: 'A' }, { qty: 1 }] })).toEqual({ set: { line_items: [{ sku: 'A' }, {}] }, unset: [] });
    expect(seed.mapPartial({ items: undefined })).toEqual({ set: {}, unset: ['line_items'] });
  });

  it('cuts the canonical array an element-wise mapping fills from a truncated source array, before the element updates', () => {
    expect(seed.mapPartial({ 'items.0.sku': 'Q' }, [{ field: 'items', newSize: 1 }])).toEqual({
      set: { 'line_items.0.sku': 'Q' },
      unset: [],
      truncate: { line_items: 1 },
    });
    // A truncated array no mapping reads changes nothing canonical: the rest of the update maps.
    expect(seed.mapPartial({ 'customer.email': 'A@B.C' }, [{ field: 'tags', newSize: 0 }])).toEqual({ set: { 'customer.email': 'a@b.c' }, unset: [] });
  });

  it('cuts a verbatim copy of the array, or of a document holding it, under its dst', () => {
    const spec = compile([
      { src: '$.tags', dst: '$.labels' },
      { src: '$.shipping', dst: '$.delivery' },
    ]);
    expect(spec.mapPartial({}, [{ field: 'tags', newSize: 2 }]).truncate).toEqual({ labels: 2 });
    expect(spec.mapPartial({}, [{ field: 'shipping.stops', newSize: 0 }]).truncate).toEqual({ 'delivery.stops': 0 });
  });

  it('cuts an array inside elements of outer arrays, at the same outer indices, element-wise and verbatim', () => {
    const spec = compile([
      { src: '$.orders[*].items[*].sku', dst: '$.o[*].lines[*].sku' },
      { src: '$.orders[*].notes', dst: '$.o[*].notes' },
      { src: '$.orders[*].ship', dst: '$.o[*].delivery' },
      { src: '$.first.items[*]', dst: '$.first_items[*]' },
    ]);
    expect(spec.mapPartial({ 'orders.3.items.1.sku': 'Q' }, [{ field: 'orders.3.items', newSize: 2 }])).toEqual({
      set: { 'o.3.lines.1.sku': 'Q' },
      unset: [],
      truncate: { 'o.3.lines': 2 },
    });
    expect(spec.mapPartial({}, [{ field: 'orders.2.notes', newSize: 0 }]).truncate).toEqual({ 'o.2.notes': 0 });
    expect(spec.mapPartial({}, [{ field: 'orders.1.ship.stops', newSize: 1 }]).truncate).toEqual({ 'o.1.delivery.stops': 1 });
    expect(spec.mapPartial({}, [{ field: 'first.items', newSize: 4 }]).truncate).toEqual({ first_items: 4 });
    // Applied to the canonical document, it equals mapping the truncated source.
    const before = { orders: [{ items: [{ sku: 'A' }] }, { items: [{ sku: 'B' }, { sku: 'C' }, { sku: 'D' }], notes: ['n1', 'n2'] }] };
    const after = structuredClone(before);
    after.orders[1]!.items.length = 1;
    after.orders[1]!.items[0]!.sku = 'Z';
    after.orders[1]!.notes!.length = 1;
    const mapped = spec.mapPartial({ 'orders.1.items.0.sku': 'Z' }, [
      { field: 'orders.1.items', newSize: 1 },
      { field: 'orders.1.notes', newSize: 1 },
    ]);
    const canonical = spec.map(before) as { o: { lines: unknown[]; notes?: unknown[] }[] };
    for (const [path, length] of Object.entries(mapped.truncate ?? {})) {
      const [, index, name] = path.split('.');
      (canonical.o[Number(index)] as unknown as Record<string, unknown[]>)[name!]!.length = length;
    }
    expect(applyPatch(canonical, mapped.set, mapped.unset)).toEqual(spec.map(after));
  });

  it('refuses a truncation inside an array element that a field reads otherwise than element by element (MAPPING_FAILED)', () => {
    const spec = compile([{ src: '$.orders[*].items', dst: '$.o[*].items_text', transform: 'string' }]);
    const error = appErrorOf(() => spec.mapPartial({}, [{ field: 'orders.3.items', newSize: 1 }]));
    expect(error.code).toBe('MAPPING_FAILED');
    expect(error.details).toMatchObject({ dst: '$.o[*].items_text', truncated: { field: 'orders.3.items', newSize: 1 } });
  });

  it('refuses a truncation of an array whose canonical array another source fills too (MAPPING_FAILED): its elements would be cut', () => {
    for (const mappings of [
      [
        { src: '$.items[*].sku', dst: '$.lines[*].sku' },
        { src: '$.extras[*]', dst: '$.lines[*].x' },
      ],
      [
        { src: '$.orders[*].items[*].sku', dst: '$.o[*].lines[*].sku' },
        { src: '$.orders[*].extras[*]', dst: '$.o[*].lines[*].x' },
      ],
    ]) {
      const spec = compile(mappings);
      const field = mappings[0]!.src.startsWith('$.items') ? 'items' : 'orders.0.items';
      const error = appErrorOf(() => spec.mapPartial({}, [{ field, newSize: 1 }]));
      expect(error.code).toBe('MAPPING_FAILED');
      expect(error.details).toMatchObject({ dst: mappings[1]!.dst, truncated: { field, newSize: 1 } });
    }
    // A sibling field of the elements' container is not cut.
    const siblings = compile([
      { src: '$.orders[*].items[*].sku', dst: '$.o[*].lines[*].sku' },
      { src: '$.orders[*].id', dst: '$.o[*].id' },
    ]);
    expect(siblings.mapPartial({}, [{ field: 'orders.0.items', newSize: 1 }]).truncate).toEqual({ 'o.0.lines': 1 });
  });

  it('refuses a truncation a field reads but does not copy element by element (MAPPING_FAILED): the patch does not say what was dropped', () => {
    const spec = compile([{ src: '$.tags', dst: '$.tag_text', transform: 'string' }]);
    const error = appErrorOf(() => spec.mapPartial({}, [{ field: 'tags', newSize: 1 }]));
    expect(error.code).toBe('MAPPING_FAILED');
    expect(error.message).toContain(
      'cannot produce $.tag_text: the update truncates tags to 1 elements (MongoDB truncatedArrays), which the mapping does not copy element by element',
    );
    expect(error.details).toMatchObject({ truncated: { field: 'tags', newSize: 1 } });
  });

  it('refuses to write whole a canonical array another source fills too, unless the update carries both (MAPPING_FAILED)', () => {
    const spec = compile([
      { src: '$.items[*].sku', dst: '$.lines[*].sku' },
      { src: '$.extras[*]', dst: '$.lines[*].x' },
    ]);
    for (const patch of [{ items: [{ sku: 'A' }] }, { items: undefined }, { items: 'u8' }]) {
      const error = appErrorOf(() => spec.mapPartial(patch));
      expect(error.code).toBe('MAPPING_FAILED');
      expect(error.details).toMatchObject({ dst: '$.lines[*].x' });
      expect(error.message).toContain('the update writes lines whole (from what $.lines[*].sku reads)');
    }
    const before = { items: [{ sku: 'A' }, { sku: 'B' }], extras: ['x1', 'x2'] };
    for (const patch of [{ items: [{ sku: 'C' }], extras: ['y1', 'y2', 'y3'] }, { 'items.1.sku': 'Q' }, { 'extras.0': 'z' }]) {
      const mapped = spec.mapPartial(patch);
      expect(applyPatch(spec.map(before), mapped.set, mapped.unset)).toEqual(spec.map(applyPatch(before, patch)));
    }
    // Inside elements of an outer array, the same.
    const nested = compile([
      { src: '$.orders[*].items[*].sku', dst: '$.o[*].lines[*].sku' },
      { src: '$.orders[*].extras[*]', dst: '$.o[*].lines[*].x' },
    ]);
    expect(appErrorOf(() => nested.mapPartial({ 'orders.0.items': 'u8' })).details).toMatchObject({ dst: '$.o[*].lines[*].x' });
  });

  it('maps an update of one array element to that element only', () => {
    expect(seed.mapPartial({ 'items.1.sku': 'Q' })).toEqual({ set: { 'line_items.1.sku': 'Q' }, unset: [] });
    // The patch carries the whole source element: the canonical element is written whole.
    expect(seed.mapPartial({ 'items.3': { sku: 'N', qty: 1 } })).toEqual({ set: { 'line_items.3': { sku: 'N' } }, unset: [] });
  });
});

describe('mapPartial: consistency with map', () => {
  const spec = compile(
    [
      { src: '$.id', dst: '$.id', transform: 'string' },
      { src: '$.customer.email', dst: '$.customer.email', transform: ['trim', 'lowercase'] },
      { src: '$.customer.name', dst: '$.customer.name' },
      { src: '$.items[*].sku', dst: '$.line_items[*].sku' },
      { src: '$.items[*].qty', dst: '$.line_items[*].quantity', transform: 'integer' },
      { src: '$.currency', dst: '$.currency', transform: 'uppercase' },
      { src: '$.tier', dst: '$.tier', transform: { name: 'enum', args: { map: { g: 'GOLD' }, default: 'STANDARD' } }, default: 'STANDARD' },
      { src: '$.address', dst: '$.shipping' },
    ],
    { defaults: { currency: 'USD' } },
  );
  const before = {
    id: 1,
    customer: { email: 'A@B.C', name: 'Ada' },
    items: [
      { sku: 'A', qty: 1 },
      { sku: 'B', qty: '2' },
    ],
    currency: 'eur',
    tier: 'g',
    address: { city: 'London', zip: 'N1' },
  };

  it.each([
    ['a nested field', { 'customer.email': ' NEW@B.C ' }],
    ['a whole object', { customer: { email: 'Z@Z.Z' } }],
    ['an array element field', { 'items.0.qty': 5 }],
    ['a whole array element', { 'items.1': { sku: 'C', qty: 3 } }],
    ['an array element appended', { 'items.2': { sku: 'C', qty: 3 } }],
    ['an array element appended with none of the mapped fields', { 'items.2': { note: 'gift' } }],
    ['an array element replaced by one with none of the mapped fields', { 'items.1': { note: 'gift' } }],
    ['an array element appended with one of the mapped fields', { 'items.2': { qty: 4 } }],
    ['a whole array', { items: [{ sku: 'Q' }] }],
    ['a removed field that has a spec default', { currency: undefined }],
    ['a null field that has a field default', { tier: null }],
    ['a field inside a value copied verbatim', { 'address.city': 'Paris' }],
    ['several fields at once', { id: 2, 'customer.name': null, currency: 'gbp' }],
  ])('applying the mapped update of %s equals mapping the updated source', (_what, patch) => {
    const mapped = spec.mapPartial(patch);
    expect(applyPatch(spec.map(before), mapped.set, mapped.unset)).toEqual(spec.map(applyPatch(before, patch)));
  });

  it.each([
    ['$.skus[*][*]', { skus: [['a', 'b'], ['c']] }, { 'skus.1': 'x' }],
    ['$.skus[*][*]', { skus: [['a', 'b'], ['c']] }, { 'skus.1': null }],
    ['$.skus[*][*]', { skus: [['a', 'b'], ['c']] }, { 'skus.1.0': ['q'] }],
    ['$.m[*][*][*]', { m: [[['a'], ['b']]] }, { 'm.0.1': 'x' }],
    ['$.m[*][*][*]', { m: [[['a'], ['b']]] }, { 'm.0': 7 }],
    ['$.o[*].lines[*]', { o: [{ lines: ['a'] }, { lines: ['b'] }] }, { 'o.1': 'x' }],
  ])('under %s, an outer element that no longer holds an array maps as the full mapping does (%j → %j)', (path, doc, patch) => {
    const nested = compile([{ src: path, dst: path }]);
    const mapped = nested.mapPartial(patch);
    expect(applyPatch(nested.map(doc), mapped.set, mapped.unset)).toEqual(nested.map(applyPatch(doc, patch)));
  });

  it('an element that is the value itself, appended without its field, is null in the canonical array as in the full mapping', () => {
    const values = compile([{ src: '$.items[*].sku', dst: '$.skus[*]' }]);
    const doc = { items: [{ sku: 'A' }] };
    const patch = { 'items.1': { qty: 1 } };
    const mapped = values.mapPartial(patch);
    expect(mapped).toEqual({ set: { 'skus.1': null }, unset: [] });
    expect(applyPatch(values.map(doc), mapped.set, mapped.unset)).toEqual(values.map(applyPatch(doc, patch)));
  });

  it.each([
    ['pushed without either field', { 'items.1': { qty: 1 } }],
    ['pushed with its parts', { 'items.1': { sku: 'B', parts: [{ id: 2 }, { x: 1 }] } }],
    ['replaced without parts', { 'items.0': { sku: 'C' } }],
  ])('an element whose inner array the same source element fills (%s) is written whole with that array', (_what, patch) => {
    const withParts = compile([
      { src: '$.items[*].sku', dst: '$.line_items[*].sku' },
      { src: '$.items[*].parts[*].id', dst: '$.line_items[*].part_ids[*]' },
    ]);
    const doc = { items: [{ sku: 'A', parts: [{ id: 1 }] }] };
    const mapped = withParts.mapPartial(patch);
    expect(Object.keys(mapped.set)).toEqual([Object.keys(patch)[0]!.replace('items', 'line_items')]);
    expect(applyPatch(withParts.map(doc), mapped.set, mapped.unset)).toEqual(withParts.map(applyPatch(doc, patch)));
  });

  it.each([
    ['removed', { items: undefined }],
    ['made null', { items: null }],
    ['made a string', { items: 'none' }],
  ])('an array with a spec default, its source %s, gets the default as in the full mapping', (_what, patch) => {
    const withDefault = compile([{ src: '$.items[*].sku', dst: '$.line_items[*].sku' }], { defaults: { line_items: [] } });
    const doc = { items: [{ sku: 'A' }] };
    const mapped = withDefault.mapPartial(patch);
    expect(mapped).toEqual({ set: { line_items: [] }, unset: [] });
    expect(applyPatch(withDefault.map(doc), mapped.set, mapped.unset)).toEqual(withDefault.map(applyPatch(doc, patch)));
  });

  it('a removed element key says nothing of what stands there now: mapped field by field, as before', () => {
    expect(spec.mapPartial({ 'items.3': undefined })).toEqual({ set: {}, unset: ['line_items.3.sku', 'line_items.3.quantity'] });
  });

  it("an element another source also fills is written field by field, leaving that source's part as it is", () => {
    const twoSources = compile([
      { src: '$.items[*].sku', dst: '$.line_items[*].sku' },
      { src: '$.notes[*]', dst: '$.line_items[*].note' },
    ]);
    expect(twoSources.mapPartial({ 'items.1': { sku: 'C' } })).toEqual({ set: { 'line_items.1.sku': 'C' }, unset: [] });
    expect(twoSources.mapPartial({ 'items.1': { qty: 1 } })).toEqual({ set: {}, unset: ['line_items.1.sku'] });
  });

  it('fails rather than guess when a transformed value changes only in part', () => {
    const withTransform = compile([{ src: '$.address', dst: '$.shipping', transform: { name: 'default', args: { value: {} } } }]);
    expect(appErrorOf(() => withTransform.mapPartial({ 'address.city': 'Paris' })).message).toBe(
      'mapping "test-spec": a partial update cannot produce $.shipping: the update changes address.city inside $.address, which fieldMappings[0] transforms as a whole; the update must carry the whole value',
    );
  });
});

describe('mapPartial: conditions and multi-source transforms', () => {
  const spec = compile([
    { src: '$.paid_at', dst: '$.paidAt', transform: 'datetime', when: { src: '$.status', equals: 'paid' } },
    { src: '$.status', dst: '$.status' },
    { dst: '$.name', transform: { name: 'concat', args: { srcs: ['$.first', '$.last'], separator: ' ' } } },
  ]);

  it('evaluates a condition the update carries', () => {
    expect(spec.mapPartial({ status: 'paid', paid_at: '2024-03-01T10:00:00Z' })).toEqual({
      set: { paidAt: '2024-03-01T10:00:00.000Z', status: 'paid' },
      unset: [],
    });
    expect(spec.mapPartial({ status: 'refunded' })).toEqual({ set: { status: 'refunded' }, unset: ['paidAt'] });
  });

  it('fails with MAPPING_FAILED when the update lacks what a condition or transform reads', () => {
    const noStatus = appErrorOf(() => spec.mapPartial({ paid_at: '2024-03-01T10:00:00Z' }));
    expect(noStatus.code).toBe('MAPPING_FAILED');
    expect(noStatus.message).toContain('cannot produce $.paidAt: the condition of fieldMappings[0] reads $.status, which the update does not carry');
    expect(appErrorOf(() => spec.mapPartial({ status: 'paid' })).message).toContain('fieldMappings[0] reads $.paid_at, which the update does not carry');
    expect(appErrorOf(() => spec.mapPartial({ first: 'Ada' })).message).toContain('cannot produce $.name: fieldMappings[2] reads $.last');
    expect(spec.mapPartial({ first: 'Ada', last: 'Lovelace' }).set).toEqual({ name: 'Ada Lovelace' });
  });
});
