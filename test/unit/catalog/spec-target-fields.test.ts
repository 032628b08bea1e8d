import fs from 'node:fs';
import path from 'node:path';
import { modelObject } from '../../../src/catalog/field-model';
import { activeSpecProblems, mappingSpecProblems } from '../../../src/catalog/spec-registry';
import { targetFieldProblems } from '../../../src/catalog/spec-target-fields';
import type { FieldMapping, MappingSpec } from '../../../src/mapping/mapping-spec';
import { subjectName } from '../../../src/mapping/subject-name';

const schema = {
  type: 'object',
  properties: {
    pid: { type: 'string' },
    carrier: { type: 'string' },
    status: { type: 'string', enum: ['open', 'shipped'] },
    weight: { type: ['number', 'null'] },
    address: { type: 'object', properties: { city: { type: 'string' }, geo: { type: 'object', properties: { lat: { type: 'number' } } } } },
    tags: { type: 'array', items: { type: 'string' } },
    lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } },
    extra: { type: 'object' },
    anything: {},
  },
};
const fields = modelObject(schema);
const spec = (fieldMappings: FieldMapping[], defaults?: Record<string, unknown>): MappingSpec => ({
  mappingId: 'parcels',
  source: { type: 'kafka', topic: 'raw.parcels' },
  target: { subject: 'parcel' },
  fieldMappings,
  ...(defaults ? { defaults } : {}),
});

describe("a spec's canonical paths against its subject's fields", () => {
  it('accepts fields of the subject, nested fields, [*] into lists, and anything below a JSON field', () => {
    const paths = ['$.pid', '$.status', '$.address', '$.address.city', '$.address.geo.lat', '$.lines[*].sku', '$.extra.a.b', "$.anything['x y']"];
    const mappings = paths.map((dst) => ({ src: '$.x', dst }));
    expect(targetFieldProblems(spec([...mappings, { src: '$.t[*]', dst: '$.tags[*]' }]), 'parcel', fields)).toEqual([]);
    expect(targetFieldProblems(spec([], { carrier: 'dhl', 'address.city': 'Oslo', '$.lines[*].sku': 'x', 'lines.0.sku': 'y' }), 'parcel', fields)).toEqual([]);
  });

  it.each([
    [
      '$.notes',
      'fieldMappings[0].dst: "$.notes": subject "parcel" has no field "notes" (its fields: pid, carrier, status, weight, address, tags, lines, extra, anything)',
    ],
    ['$.address.zip', 'fieldMappings[0].dst: "$.address.zip": $.address of subject "parcel" has no field "zip" (its fields: city, geo)'],
    ['$.carrier.code', 'fieldMappings[0].dst: "$.carrier.code": $.carrier is a String in subject "parcel", it has no field "code"'],
    ['$.status.code', 'fieldMappings[0].dst: "$.status.code": $.status is an enum in subject "parcel", it has no field "code"'],
    ['$.weight[*]', 'fieldMappings[0].dst: "$.weight[*]": $.weight is a Float in subject "parcel", not a list'],
    ['$.address[*].city', 'fieldMappings[0].dst: "$.address[*].city": $.address is an object in subject "parcel", not a list'],
    ['$.lines.sku', 'fieldMappings[0].dst: "$.lines.sku": $.lines is a list in subject "parcel", it has no field "sku"'],
    ['$.lines[*].qty', 'fieldMappings[0].dst: "$.lines[*].qty": $.lines[*] of subject "parcel" has no field "qty" (its fields: sku)'],
  ])('refuses dst %s, naming the mapping, the path and what the subject has there', (dst, problem) => {
    expect(targetFieldProblems(spec([{ src: '$.x', dst }]), 'parcel', fields)).toEqual([problem]);
  });

  it('refuses defaults of fields the subject does not have, naming the default', () => {
    expect(targetFieldProblems(spec([{ src: '$.id', dst: '$.pid' }], { currency: 'USD', 'address.zip': '0150', pid: 'x' }), 'parcel', fields)).toEqual([
      'defaults.currency: subject "parcel" has no field "currency" (its fields: pid, carrier, status, weight, address, tags, lines, extra, anything)',
      'defaults["address.zip"]: $.address of subject "parcel" has no field "zip" (its fields: city, geo)',
    ]);
  });

  it('is part of what the registry refuses, with every other problem', () => {
    const problems = mappingSpecProblems(
      spec([
        { src: '$.id', dst: '$.pid', transform: 'lowercse' },
        { src: '$.note', dst: '$.notes' },
      ]),
      () => schema,
    );
    // A spec that fails its structure or semantics is not walked: its paths may not even parse.
    expect(problems).toEqual([expect.stringMatching(/lowercse/)]);
    expect(
      mappingSpecProblems(
        spec([
          { src: '$.id', dst: '$.pid' },
          { src: '$.note', dst: '$.notes' },
        ]),
        () => schema,
      ),
    ).toEqual([expect.stringMatching(/^fieldMappings\[1\]\.dst: "\$\.notes": subject "parcel" has no field "notes"/)]);
  });

  it('passes every spec of specs/ against its subject in schema/canonical/', () => {
    const root = path.join(__dirname, '..', '..', '..');
    const read = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const files = fs.readdirSync(path.join(root, 'specs')).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const body = read(path.join(root, 'specs', file)) as unknown as MappingSpec;
      const subject = subjectName(body.target.subject);
      expect([file, targetFieldProblems(body, subject, modelObject(read(path.join(root, 'schema', 'canonical', `${subject}.schema.json`))))]).toEqual([
        file,
        [],
      ]);
    }
  });
});

describe('activeSpecProblems: what a new version of a subject breaks in the specs active for it', () => {
  const current = { type: 'object', properties: { pid: { type: 'string' }, carrier: { type: 'object', properties: { code: { type: 'string' } } }, notes: {} } };
  const candidate = { type: 'object', properties: { pid: { type: 'string' }, carrier: { type: 'string' } } };
  const active = (id: string, body: MappingSpec) => ({ id, version: body.version ?? 1, body });

  it('lists each path that is a field now and would not be one, naming the spec', () => {
    const writer = spec(
      [
        { src: '$.n', dst: '$.notes' },
        { src: '$.c', dst: '$.carrier.code' },
        { src: '$.id', dst: '$.pid' },
      ],
      { 'carrier.code': 'x' },
    );
    expect(activeSpecProblems([active('parcels', { ...writer, version: 3 })], 'parcel', candidate, current)).toEqual([
      'mapping-spec "parcels" version 3: fieldMappings[0].dst: "$.notes": subject "parcel" has no field "notes" (its fields: pid, carrier)',
      'mapping-spec "parcels" version 3: fieldMappings[1].dst: "$.carrier.code": $.carrier is a String in subject "parcel", it has no field "code"',
      'mapping-spec "parcels" version 3: defaults["carrier.code"]: $.carrier is a String in subject "parcel", it has no field "code"',
    ]);
  });

  it('leaves out specs of other subjects, paths the candidate keeps, and paths that are no field of the current version either', () => {
    const other = { ...spec([{ src: '$.n', dst: '$.notes' }]), target: { subject: 'canonical.order.v1' } };
    const kept = spec([
      { src: '$.id', dst: '$.pid' },
      { src: '$.c', dst: '$.carrier' },
    ]);
    const alreadyBroken = spec([{ src: '$.r', dst: '$.remarks' }]);
    expect(activeSpecProblems([active('orders', other), active('kept', kept), active('old', alreadyBroken)], 'parcel', candidate, current)).toEqual([]);
    // A spec naming its subject as a topic ("canonical.parcel.v1") is the subject's.
    const topicNamed = { ...spec([{ src: '$.n', dst: '$.notes' }]), target: { subject: 'canonical.parcel.v1' } };
    expect(activeSpecProblems([active('parcels', topicNamed)], 'parcel', candidate, current)).toHaveLength(1);
  });

  it('lists each default the candidate field would not accept that the current one does, unless the spec is seeded', () => {
    const now = { type: 'object', properties: { pid: { type: 'string' }, status: { type: 'string' }, level: { type: 'integer' }, code: { type: 'string' } } };
    const next = {
      type: 'object',
      properties: {
        pid: { type: 'string' },
        status: { type: 'integer' },
        level: { type: 'integer', maximum: 3 },
        code: { type: 'string', pattern: '^[A-Z]+$' },
      },
    };
    const defaulted = spec([{ src: '$.id', dst: '$.pid' }], { status: 'active', level: 5, code: 'AB' });
    expect(activeSpecProblems([active('parcels', defaulted)], 'parcel', next, now)).toEqual([
      'mapping-spec "parcels" version 1: defaults.status: "active" is not an Int (a JSON number without a fraction)',
      'mapping-spec "parcels" version 1: defaults.level: 5 is not a value of subject "parcel" (/level: must be <= 3)',
    ]);
    // A default the current version refuses too is not the candidate's doing; a version a seed is
    // about to register was never checked against the current one, so it is listed.
    const stale = spec([{ src: '$.id', dst: '$.pid' }], { level: 'high' });
    expect(activeSpecProblems([active('parcels', stale)], 'parcel', next, now)).toEqual([]);
    expect(activeSpecProblems([{ ...active('parcels', stale), seeded: true }], 'parcel', next, now)).toEqual([
      'mapping-spec "parcels" version 1: defaults.level: "high" is not an Int (a JSON number without a fraction)',
    ]);
  });
});
