import fs from 'node:fs';
import path from 'node:path';
import type { JsonSchema } from '../../../src/catalog/compatibility';

/**
 * The compatibility suite: schema pairs (previous → candidate) with the verdict each direction
 * must give, and the rules expected in the failing direction. FULL = backward and forward;
 * NONE = always compatible; with one previous version the transitive levels equal the plain ones.
 */
export interface PairCase {
  readonly name: string;
  readonly before: JsonSchema;
  readonly after: JsonSchema;
  readonly backward: boolean;
  readonly forward: boolean;
  /** Rules of the violations found (each direction's, in any order). */
  readonly rules?: { readonly backward?: string[]; readonly forward?: string[] };
  /** JSON pointer of the first violation, when it matters to show. */
  readonly path?: string;
}

const root = path.join(__dirname, '..', '..', '..', 'schema', 'canonical');
export const customer = JSON.parse(fs.readFileSync(path.join(root, 'customer.schema.json'), 'utf8')) as Record<string, unknown>;
export const order = JSON.parse(fs.readFileSync(path.join(root, 'order.schema.json'), 'utf8')) as Record<string, unknown>;

const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', properties, ...extra });
const closed = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => object(properties, { additionalProperties: false, ...extra });
const field = (schema: Record<string, unknown>) => object({ id: { type: 'string' }, f: schema }, { required: ['id'] });

export const PAIRS: readonly PairCase[] = [
  { name: 'identical seed schema (customer)', before: customer, after: customer, backward: true, forward: true },
  {
    name: 'annotations only (description, title, x-canonql-*)',
    before: order,
    after: { ...order, title: 'Order v2', description: 'changed', 'x-canonql-note': 1 },
    backward: true,
    forward: true,
  },
  {
    // Kafka Connect's JSON Schema converter: the Connect schema rides along in connect.* keywords.
    name: "Kafka Connect's annotations only (connect.version, connect.type, connect.index, connect.parameters)",
    before: object({ id: { type: 'integer', 'connect.type': 'int32', 'connect.index': 0 } }, { title: 'src.Envelope', 'connect.version': 1 }),
    after: object(
      { id: { type: 'integer', 'connect.type': 'int64', 'connect.index': 1, 'connect.parameters': { scale: '2' } } },
      { title: 'src.Envelope', 'connect.version': 2 },
    ),
    backward: true,
    forward: true,
  },
  {
    name: 'optional typed property added to an OPEN content model',
    before: customer,
    after: { ...customer, properties: { ...(customer.properties as object), phone: { type: ['string', 'null'] } } },
    backward: false,
    forward: true,
    rules: { backward: ['PROPERTY_ADDED_TO_OPEN_MODEL'] },
    path: '/properties/phone',
  },
  {
    name: 'optional property added to a CLOSED content model',
    before: closed({ id: { type: 'string' } }),
    after: closed({ id: { type: 'string' }, phone: { type: ['string', 'null'] } }),
    backward: true,
    forward: false,
    rules: { forward: ['PROPERTY_REMOVED_FROM_CLOSED_MODEL'] },
  },
  {
    name: 'unconstrained property added to an open model',
    before: object({ id: { type: 'string' } }),
    after: object({ id: { type: 'string' }, note: { description: 'anything' } }),
    backward: true,
    forward: true,
  },
  {
    name: 'optional property removed from an open model',
    before: object({ id: { type: 'string' }, note: { type: 'string' } }),
    after: object({ id: { type: 'string' } }),
    backward: true,
    forward: false,
    rules: { forward: ['PROPERTY_ADDED_TO_OPEN_MODEL'] },
  },
  {
    name: 'property removed from a closed model',
    before: closed({ id: { type: 'string' }, note: { type: 'string' } }),
    after: closed({ id: { type: 'string' } }),
    backward: false,
    forward: true,
    rules: { backward: ['PROPERTY_REMOVED_FROM_CLOSED_MODEL'] },
  },
  {
    name: 'integer widened to number',
    before: field({ type: 'integer' }),
    after: field({ type: 'number' }),
    backward: true,
    forward: false,
    rules: { forward: ['TYPE_NARROWED'] },
    path: '/properties/f/type',
  },
  {
    name: 'number narrowed to integer',
    before: field({ type: 'number' }),
    after: field({ type: 'integer' }),
    backward: false,
    forward: true,
    rules: { backward: ['TYPE_NARROWED'] },
  },
  {
    name: 'string made nullable',
    before: field({ type: 'string' }),
    after: field({ type: ['string', 'null'] }),
    backward: true,
    forward: false,
    rules: { forward: ['TYPE_REMOVED'] },
  },
  {
    name: 'nullable string made non-null',
    before: field({ type: ['string', 'null'] }),
    after: field({ type: 'string' }),
    backward: false,
    forward: true,
    rules: { backward: ['TYPE_REMOVED'] },
  },
  {
    name: 'string changed to integer',
    before: field({ type: 'string' }),
    after: field({ type: 'integer' }),
    backward: false,
    forward: false,
    rules: { backward: ['TYPE_REMOVED'], forward: ['TYPE_REMOVED'] },
  },
  {
    name: 'required entry added',
    before: object({ id: { type: 'string' }, email: { type: 'string' } }, { required: ['id'] }),
    after: object({ id: { type: 'string' }, email: { type: 'string' } }, { required: ['id', 'email'] }),
    backward: false,
    forward: true,
    rules: { backward: ['REQUIRED_ADDED'] },
    path: '/required',
  },
  {
    name: 'required entry removed',
    before: object({ id: { type: 'string' }, email: { type: 'string' } }, { required: ['id', 'email'] }),
    after: object({ id: { type: 'string' }, email: { type: 'string' } }, { required: ['id'] }),
    backward: true,
    forward: false,
    rules: { forward: ['REQUIRED_ADDED'] },
  },
  {
    name: 'enum value added',
    before: field({ type: 'string', enum: ['GOLD', 'SILVER'] }),
    after: field({ type: 'string', enum: ['GOLD', 'SILVER', 'BRONZE'] }),
    backward: true,
    forward: false,
    rules: { forward: ['VALUE_REJECTED'] },
  },
  {
    name: 'enum value removed',
    before: field({ type: 'string', enum: ['GOLD', 'SILVER'] }),
    after: field({ type: 'string', enum: ['GOLD'] }),
    backward: false,
    forward: true,
    rules: { backward: ['VALUE_REJECTED'] },
    path: '/properties/f/enum',
  },
  {
    name: 'enum added to a free string',
    before: field({ type: 'string' }),
    after: field({ type: 'string', enum: ['A', 'B'] }),
    backward: false,
    forward: true,
    rules: { backward: ['ENUM_ADDED'] },
  },
  {
    name: 'const widened to an enum containing it',
    before: field({ const: 'EUR' }),
    after: field({ enum: ['EUR', 'USD'] }),
    backward: true,
    forward: false,
    rules: { forward: ['VALUE_REJECTED'] },
  },
  {
    name: 'minimum loosened',
    before: field({ type: 'integer', minimum: 10 }),
    after: field({ type: 'integer', minimum: 0 }),
    backward: true,
    forward: false,
    rules: { forward: ['MINIMUM_RAISED'] },
  },
  {
    name: 'maximum tightened',
    before: field({ type: 'number', maximum: 100 }),
    after: field({ type: 'number', maximum: 50 }),
    backward: false,
    forward: true,
    rules: { backward: ['MAXIMUM_LOWERED'] },
    path: '/properties/f/maximum',
  },
  {
    name: 'integer minimum 1 respelled exclusiveMinimum 0 (same set)',
    before: field({ type: 'integer', minimum: 1 }),
    after: field({ type: 'integer', exclusiveMinimum: 0 }),
    backward: true,
    forward: true,
  },
  {
    name: 'number exclusiveMinimum 0 loosened to minimum 0',
    before: field({ type: 'number', exclusiveMinimum: 0 }),
    after: field({ type: 'number', minimum: 0 }),
    backward: true,
    forward: false,
    rules: { forward: ['MINIMUM_RAISED'] },
  },
  {
    name: 'maxLength loosened',
    before: field({ type: 'string', maxLength: 10 }),
    after: field({ type: 'string', maxLength: 20 }),
    backward: true,
    forward: false,
    rules: { forward: ['MAX_LENGTH_LOWERED'] },
  },
  {
    name: 'minLength added',
    before: field({ type: 'string' }),
    after: field({ type: 'string', minLength: 1 }),
    backward: false,
    forward: true,
    rules: { backward: ['MIN_LENGTH_RAISED'] },
  },
  {
    name: 'pattern added',
    before: field({ type: 'string' }),
    after: field({ type: 'string', pattern: '^[A-Z]{3}$' }),
    backward: false,
    forward: true,
    rules: { backward: ['PATTERN_ADDED'] },
  },
  {
    name: 'pattern changed (inclusion of regexes is not decided)',
    before: field({ type: 'string', pattern: '^[A-Z]{3}$' }),
    after: field({ type: 'string', pattern: '^[A-Z]{2,3}$' }),
    backward: false,
    forward: false,
    rules: { backward: ['PATTERN_CHANGED'], forward: ['PATTERN_CHANGED'] },
  },
  {
    name: 'format added',
    before: field({ type: ['string', 'null'] }),
    after: field({ type: ['string', 'null'], format: 'date-time' }),
    backward: false,
    forward: true,
    rules: { backward: ['FORMAT_ADDED'] },
  },
  {
    name: 'format changed',
    before: field({ type: 'string', format: 'email' }),
    after: field({ type: 'string', format: 'uuid' }),
    backward: false,
    forward: false,
    rules: { backward: ['FORMAT_CHANGED'], forward: ['FORMAT_CHANGED'] },
  },
  {
    name: 'open content model closed',
    before: object({ id: { type: 'string' } }),
    after: closed({ id: { type: 'string' } }),
    backward: false,
    forward: true,
    rules: { backward: ['CONTENT_MODEL_CLOSED'] },
    path: '/additionalProperties',
  },
  {
    name: 'additionalProperties schema widened',
    before: object({}, { additionalProperties: { type: 'string' } }),
    after: object({}, { additionalProperties: { type: ['string', 'number'] } }),
    backward: true,
    forward: false,
    rules: { forward: ['TYPE_REMOVED'] },
    path: '/additionalProperties/type',
  },
  {
    name: 'typed property added inside a nested open object (order.customer)',
    before: order,
    after: {
      ...order,
      properties: {
        ...(order.properties as object),
        customer: {
          ...(order.properties as Record<string, object>).customer,
          properties: { ...(order.properties as Record<string, { properties: object }>).customer!.properties, phone: { type: 'string' } },
        },
      },
    },
    backward: false,
    forward: true,
    rules: { backward: ['PROPERTY_ADDED_TO_OPEN_MODEL'] },
    path: '/properties/customer/properties/phone',
  },
  {
    name: 'array items widened integer → number',
    before: field({ type: 'array', items: { type: 'integer' } }),
    after: field({ type: 'array', items: { type: 'number' } }),
    backward: true,
    forward: false,
    rules: { forward: ['TYPE_NARROWED'] },
    path: '/properties/f/items/type',
  },
  {
    name: 'minItems added',
    before: field({ type: 'array', items: { type: 'string' } }),
    after: field({ type: 'array', items: { type: 'string' }, minItems: 1 }),
    backward: false,
    forward: true,
    rules: { backward: ['MIN_ITEMS_RAISED'] },
  },
  {
    name: 'maxItems loosened',
    before: field({ type: 'array', maxItems: 5 }),
    after: field({ type: 'array', maxItems: 10 }),
    backward: true,
    forward: false,
    rules: { forward: ['MAX_ITEMS_LOWERED'] },
  },
  {
    name: 'uniqueItems added',
    before: field({ type: 'array' }),
    after: field({ type: 'array', uniqueItems: true }),
    backward: false,
    forward: true,
    rules: { backward: ['UNIQUE_ITEMS_ADDED'] },
  },
  {
    name: 'multipleOf 10 loosened to 5',
    before: field({ type: 'integer', multipleOf: 10 }),
    after: field({ type: 'integer', multipleOf: 5 }),
    backward: true,
    forward: false,
    rules: { forward: ['MULTIPLE_OF_CHANGED'] },
  },
  {
    name: '$ref to $defs made nullable',
    before: { $defs: { money: { type: 'string', pattern: '^\\d+\\.\\d{2}$' } }, ...field({ $ref: '#/$defs/money' }) },
    after: { $defs: { money: { type: ['string', 'null'], pattern: '^\\d+\\.\\d{2}$' } }, ...field({ $ref: '#/$defs/money' }) },
    backward: true,
    forward: false,
    rules: { forward: ['TYPE_REMOVED'] },
  },
  {
    name: 'string widened to anyOf [string, null]',
    before: field({ type: 'string' }),
    after: field({ anyOf: [{ type: 'string' }, { type: 'null' }] }),
    backward: true,
    forward: false,
    rules: { forward: ['VALUE_REJECTED'] },
  },
  {
    name: 'oneOf with overlapping branches',
    before: field({ type: ['string', 'integer'] }),
    after: field({ oneOf: [{ type: 'number' }, { type: 'integer' }, { type: 'string' }] }),
    backward: false,
    forward: false,
    rules: { backward: ['ONEOF_AMBIGUOUS'], forward: ['TYPE_NARROWED'] },
  },
  {
    name: 'unsupported keyword (patternProperties) is never guessed compatible',
    before: object({}, { patternProperties: { '^x-': { type: 'string' } } }),
    after: object({}, { patternProperties: { '^x-': { type: 'string' } } }),
    backward: false,
    forward: false,
    rules: { backward: ['UNSUPPORTED_KEYWORD'], forward: ['UNSUPPORTED_KEYWORD'] },
  },
];

/** Three-version histories, where comparing with the latest only and with all versions differ. */
export interface HistoryCase {
  readonly name: string;
  readonly history: readonly JsonSchema[];
  readonly candidate: JsonSchema;
  readonly expected: Record<'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE' | 'NONE', boolean>;
}

const tier = (values: string[]) => field({ type: 'string', enum: values });
const amount = (extra: Record<string, unknown>) => field({ type: 'integer', ...extra });

export const HISTORIES: readonly HistoryCase[] = [
  {
    name: 'a value dropped in v2 (under NONE) and not restored: backward holds against v2 only',
    history: [tier(['A', 'B']), tier(['B'])],
    candidate: tier(['B', 'C']),
    expected: { BACKWARD: true, BACKWARD_TRANSITIVE: false, FORWARD: false, FORWARD_TRANSITIVE: false, FULL: false, FULL_TRANSITIVE: false, NONE: true },
  },
  {
    name: 'bounds: forward holds against v2 only',
    history: [amount({ minimum: 0 }), amount({})],
    candidate: amount({ minimum: -5 }),
    expected: { BACKWARD: false, BACKWARD_TRANSITIVE: false, FORWARD: true, FORWARD_TRANSITIVE: false, FULL: false, FULL_TRANSITIVE: false, NONE: true },
  },
  {
    name: 'enum grown at each version: backward transitively',
    history: [tier(['A']), tier(['A', 'B'])],
    candidate: tier(['A', 'B', 'C']),
    expected: { BACKWARD: true, BACKWARD_TRANSITIVE: true, FORWARD: false, FORWARD_TRANSITIVE: false, FULL: false, FULL_TRANSITIVE: false, NONE: true },
  },
  {
    name: 'the same set spelled three ways: fully compatible transitively',
    history: [amount({ minimum: 1 }), amount({ exclusiveMinimum: 0 })],
    candidate: amount({ minimum: 1, description: 'positive' }),
    expected: { BACKWARD: true, BACKWARD_TRANSITIVE: true, FORWARD: true, FORWARD_TRANSITIVE: true, FULL: true, FULL_TRANSITIVE: true, NONE: true },
  },
  {
    name: 'closed model: property removed in v2, re-added with another type in v3',
    history: [closed({ id: { type: 'string' }, b: { type: 'string' } }), closed({ id: { type: 'string' } })],
    candidate: closed({ id: { type: 'string' }, b: { type: 'integer' } }),
    expected: { BACKWARD: true, BACKWARD_TRANSITIVE: false, FORWARD: false, FORWARD_TRANSITIVE: false, FULL: false, FULL_TRANSITIVE: false, NONE: true },
  },
];
