import fs from 'node:fs';
import path from 'node:path';
import { validateSpec } from '../../../src/mapping/validate-spec';
import * as model from '../../../src/browser/studio/model';
import type { StudioState } from '../../../src/browser/studio/model';
import { canonicalFields } from '../../../src/browser/studio/canonical-fields';
import { autoMap, draftSchema, typeShares } from '../../../src/browser/studio/raw-fields';
import { formatArgText, formatValueText, parseArgText, parseValueText } from '../../../src/browser/studio/value-text';

// The studio's spec building, from the very module the page's script bundles: its JSON must pass
// the validation every specs/ file passes, and a loaded spec must come back unchanged.
const ROOT = path.resolve(__dirname, '..', '..', '..');
const SPECS = path.join(ROOT, 'specs');
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
const schemaOf = (subject: string) => readJson(path.join(ROOT, 'schema', 'canonical', `${subject}.schema.json`));
/** What the page shows in its JSON panel, parsed back. */
const shownJson = (state: StudioState) => JSON.parse(model.specJson(model.buildSpec(state))) as Record<string, unknown>;

describe('studio model: canonical fields of a schema', () => {
  it('lists leaf fields in schema order, nested objects and arrays of objects by path', () => {
    const fields = canonicalFields(schemaOf('order'));
    expect(fields.map((f) => f.path)).toEqual([
      '$.order_id',
      '$.customer.email',
      '$.line_items[*].sku',
      '$.line_items[*].qty',
      '$.line_items[*].price',
      '$.region',
      '$.created_at',
      '$.currency',
      '$.created_by',
    ]);
    expect(fields[0]).toMatchObject({ types: ['string'], required: true });
    expect(fields[3]).toMatchObject({ types: ['integer', 'null'], required: false });
  });
});

describe('studio model: loading a spec and building it back', () => {
  it.each(fs.readdirSync(SPECS).filter((f) => f.endsWith('.json')))('gives back specs/%s unchanged, and it passes validateSpec', (file) => {
    const spec = readJson(path.join(SPECS, file));
    const subject = String((spec.target as { subject: string }).subject)
      .replace(/^canonical\./, '')
      .replace(/\.v\d+$/, '');
    const state = model.stateFromSpec(spec, canonicalFields(schemaOf(subject)));
    const shown = shownJson(state);
    expect(shown).toEqual(spec);
    // Same members in the same order: the text a reviewer diffs.
    expect(JSON.stringify(shown)).toBe(JSON.stringify(spec));
    expect(validateSpec(shown)).toEqual({ ok: true, spec: shown });
  });

  it('keeps what the page does not edit (when, precedence, descriptions) while a field is edited', () => {
    const spec = readJson(path.join(SPECS, 'customer.json'));
    const state = model.stateFromSpec(spec, canonicalFields(schemaOf('customer')));
    const tier = state.rows.find((r) => r.dst === '$.tier')!;
    tier.steps = [{ name: 'enum', args: { map: { gold: 'GOLD' }, default: 'STANDARD', caseInsensitive: true } }];
    const email = state.rows.find((r) => r.dst === '$.email')!;
    email.steps = [{ name: 'trim', args: {} }];
    state.version = 2;
    const shown = shownJson(state);
    const mappings = shown.fieldMappings as Record<string, unknown>[];
    expect(shown.version).toBe(2);
    expect(mappings.find((m) => m.dst === '$.tier')).toEqual({
      src: '$.tier',
      dst: '$.tier',
      transform: { name: 'enum', args: { map: { gold: 'GOLD' }, default: 'STANDARD', caseInsensitive: true } },
      default: 'STANDARD',
      description: 'Unknown tiers and a NULL tier are STANDARD.',
    });
    expect(mappings.find((m) => m.dst === '$.email')).toEqual({ src: '$.email', dst: '$.email', transform: 'trim' });
    expect(validateSpec(shown).ok).toBe(true);
  });
});

describe('studio model: a new spec built from scratch', () => {
  const schema = {
    type: 'object',
    properties: {
      invoiceId: { type: 'string' },
      amount: { type: ['string', 'null'], 'x-canonql-type': 'Decimal' },
      status: { type: 'string' },
      tags: { type: 'array', items: { type: 'string' } },
      lines: { type: 'array', items: { type: 'object', properties: { sku: { type: ['string', 'null'] } } } },
      currency: { type: 'string' },
    },
    required: ['invoiceId'],
  };

  function fromScratch(): StudioState {
    const state = model.newState({ mappingId: 'invoice-studio', topic: 'raw.pg.invoices', subject: 'invoice', fields: canonicalFields(schema) });
    const row = (dst: string) => state.rows.find((r) => r.dst === dst)!;
    Object.assign(row('$.invoiceId'), { src: '$.id', steps: [{ name: 'string', args: {} }] });
    Object.assign(row('$.amount'), { src: '$.amount', steps: [{ name: 'decimal', args: { scale: 2 } }] });
    Object.assign(row('$.status'), {
      src: '$.status',
      steps: [
        { name: 'trim', args: {} },
        { name: 'uppercase', args: {} },
      ],
      hasDefault: true,
      defaultValue: 'OPEN',
    });
    Object.assign(row('$.lines[*].sku'), { src: '$.items[*].sku' });
    Object.assign(row('$.currency'), { hasDefault: true, defaultValue: 'EUR' });
    state.key = { source: true };
    return state;
  }

  it('writes a spec in the specs/ format that passes validateSpec', () => {
    const shown = shownJson(fromScratch());
    expect(shown).toEqual({
      $schema: '../schema/mapping-spec.schema.json',
      mappingId: 'invoice-studio',
      version: 1,
      source: { type: 'kafka', topic: 'raw.pg.invoices' },
      target: { subject: 'invoice' },
      key: { source: true },
      fieldMappings: [
        { src: '$.id', dst: '$.invoiceId', transform: 'string' },
        { src: '$.amount', dst: '$.amount', transform: { name: 'decimal', args: { scale: 2 } } },
        { src: '$.status', dst: '$.status', transform: ['trim', 'uppercase'], default: 'OPEN' },
        { src: '$.items[*].sku', dst: '$.lines[*].sku' },
      ],
      defaults: { currency: 'EUR' },
    });
    expect(validateSpec(shown)).toEqual({ ok: true, spec: shown });
  });

  it('leaves unmapped canonical fields out, and a broken mapping is reported by validateSpec with every problem', () => {
    const state = fromScratch();
    const tags = state.rows.find((r) => r.dst === '$.tags')!;
    expect(shownJson(state).fieldMappings).not.toContainEqual(expect.objectContaining({ dst: '$.tags' }));
    Object.assign(tags, { src: '$.tags[*]', steps: [{ name: 'enum', args: {} }] });
    state.rows.find((r) => r.dst === '$.amount')!.steps = [{ name: 'decimal', args: { scale: 'two' } }];
    const result = validateSpec(shownJson(state));
    expect(result.ok).toBe(false);
    expect((result as { problems: string[] }).problems).toEqual([
      'fieldMappings[1].transform.args: decimal: argument "scale" must be an integer',
      'fieldMappings[3].transform: enum: argument "map" is required',
      'fieldMappings[3]: src "$.tags[*]" has 1 [*] but dst "$.tags" has 0; element-wise mapping needs the same number',
    ]);
  });
});

describe('studio model: text fields', () => {
  it('reads defaults as JSON when they parse, else as text, and writes them back the same way', () => {
    expect(parseValueText('STANDARD')).toEqual({ has: true, value: 'STANDARD' });
    expect(parseValueText('42')).toEqual({ has: true, value: 42 });
    expect(parseValueText('"42"')).toEqual({ has: true, value: '42' });
    expect(parseValueText('  ')).toEqual({ has: false });
    for (const value of ['STANDARD', '42', 42, true, null, { a: 1 }, ' padded ', 'true']) {
      expect(parseValueText(formatValueText(value))).toEqual({ has: true, value });
    }
  });

  it('reads arguments by their declared type, passing on what does not parse', () => {
    expect(parseArgText('2', 'integer')).toEqual({ has: true, value: 2 });
    expect(parseArgText('two', 'integer')).toEqual({ has: true, value: 'two' });
    expect(parseArgText('{"a":"A"}', 'object')).toEqual({ has: true, value: { a: 'A' } });
    expect(parseArgText('$.a, $.b', 'paths')).toEqual({ has: true, value: ['$.a', '$.b'] });
    expect(parseArgText(' - ', 'string')).toEqual({ has: true, value: ' - ' });
    expect(parseArgText('', 'string')).toEqual({ has: false });
  });
});

describe('studio model: problems next to their rows', () => {
  it('gives each located problem to the row that builds that mapping or default', () => {
    const state = model.newState({
      mappingId: 'm',
      topic: 't',
      subject: 's',
      fields: canonicalFields({
        type: 'object',
        properties: { a: { type: 'string' }, b: { type: 'string' }, c: { type: 'string' }, 'd-e': { type: 'string' } },
      }),
    });
    const [a, b, c, de] = state.rows;
    Object.assign(a!, { src: '$.a' });
    Object.assign(c!, { src: '$.c', steps: [{ name: 'enum', args: {} }] });
    Object.assign(b!, { hasDefault: true, defaultValue: 'x' });
    Object.assign(de!, { hasDefault: true, defaultValue: 'y' });
    const byRow = JSON.parse(
      JSON.stringify(
        model.problemsByRow(state.rows, [
          'fieldMappings[1].transform: enum: argument "map" is required',
          'defaults.b: something',
          'defaults["d-e"]: something else',
          'mappingId: must match pattern',
        ]),
      ),
    ) as Record<string, string[]>;
    expect(byRow).toEqual({
      [c!.id]: ['fieldMappings[1].transform: enum: argument "map" is required'],
      [b!.id]: ['defaults.b: something'],
      [de!.id]: ['defaults["d-e"]: something else'],
    });
  });

  it('shows a typed argument back as it was typed', () => {
    for (const [value, type] of [
      ['two', 'integer'],
      [2, 'integer'],
      ['{"a":1}', 'object'],
      [{ a: 1 }, 'object'],
      ['abc', 'any'],
      [['$.a'], 'paths'],
    ] as const) {
      expect(JSON.parse(JSON.stringify(parseArgText(formatArgText(value, type), type)))).toEqual({ has: true, value });
    }
  });
});

describe('studio model: raw fields', () => {
  it('drafts an open canonical schema from inferred fields (leaves, nullability, date-time)', () => {
    const draft = draftSchema(
      [
        { path: '$.id', typeSet: ['integer'], presence: 1, nullRate: 0, formats: [] },
        { path: '$.amount', typeSet: ['integer', 'number', 'string'], presence: 1, nullRate: 0, formats: [{ format: 'decimal', count: 2 }] },
        { path: '$.note', typeSet: ['null', 'string'], presence: 0.5, nullRate: 0.5, formats: [] },
        { path: '$.created', typeSet: ['string'], presence: 1, nullRate: 0, formats: [{ format: 'date-time', count: 3 }] },
        { path: '$.items', typeSet: ['array'], presence: 1, nullRate: 0, formats: [] },
        { path: '$.items[*]', typeSet: ['object'], presence: 1, nullRate: 0, formats: [] },
        { path: '$.items[*].sku', typeSet: ['string'], presence: 1, nullRate: 0, formats: [] },
        { path: '$.gone', typeSet: ['string'], presence: 1, nullRate: 0, formats: [], current: false },
      ],
      'Invoice',
    );
    expect(JSON.parse(JSON.stringify(draft))).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'Invoice',
      type: 'object',
      properties: {
        id: { type: 'integer' },
        amount: { type: ['number', 'string'] },
        note: { type: ['string', 'null'] },
        created: { type: 'string', format: 'date-time' },
        items: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } },
      },
    });
  });

  it('gives type shares, largest first', () => {
    expect(JSON.parse(JSON.stringify(typeShares({ string: 2, number: 6, null: 0, integer: 2 })))).toEqual([
      { type: 'number', share: 0.6 },
      { type: 'integer', share: 0.2 },
      { type: 'string', share: 0.2 },
    ]);
  });
});

describe('studio model: auto-mapping same-named fields', () => {
  const raw = (path: string, typeSet: string[] = ['string']) => ({ path, typeSet, presence: 1, nullRate: 0, formats: [] });
  const fields = canonicalFields({
    type: 'object',
    properties: {
      id: { type: 'string' },
      customerEmail: { type: 'string' },
      created_at: { type: 'string' },
      Status: { type: 'string' },
      note: { type: 'string' },
      total: { type: 'string' },
      items: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } },
    },
  });

  it('maps the same path, then case and underscore variants, and leaves ambiguous or unknown names alone', () => {
    const state = model.newState({ topic: 't', subject: 's', fields });
    const filled = autoMap(state.rows, [
      raw('$.id', ['integer']),
      raw('$.customer_email'),
      raw('$.createdAt'),
      raw('$.status'),
      raw('$.to_tal'),
      raw('$.TOTAL'), // two loose matches: ambiguous
      raw('$.items', ['array']),
      raw('$.items[*]', ['object']),
      raw('$.items[*].sku'),
    ]);
    const sources = Object.fromEntries(state.rows.map((r) => [r.dst, r.src]));
    expect(sources).toEqual({
      '$.id': '$.id',
      '$.customerEmail': '$.customer_email',
      '$.created_at': '$.createdAt',
      '$.Status': '$.status',
      '$.note': '',
      '$.total': '',
      '$.items[*].sku': '$.items[*].sku',
    });
    expect(filled.map((r) => r.dst)).toEqual(['$.id', '$.customerEmail', '$.created_at', '$.Status', '$.items[*].sku']);
  });

  it('prefers the exact path over a loose match, and never touches a row already written', () => {
    const state = model.newState({ topic: 't', subject: 's', fields });
    const email = state.rows.find((r) => r.dst === '$.customerEmail')!;
    email.hasDefault = true;
    email.defaultValue = 'x';
    autoMap(state.rows, [raw('$.customer_email'), raw('$.customerEmail'), raw('$.customeremail'), raw('$.note'), raw('$.NOTE')]);
    expect(email.src).toBe('');
    expect(state.rows.find((r) => r.dst === '$.note')!.src).toBe('$.note');
  });
});
