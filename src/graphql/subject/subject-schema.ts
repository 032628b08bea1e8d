import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
  type GraphQLEnumType as EnumType,
  type GraphQLFieldConfigMap,
  type GraphQLInputFieldConfigMap,
  type GraphQLInputType,
  type GraphQLOutputType,
} from 'graphql';
import type { StoredEntity } from '../../state/entity-store';
import type { ApiContext } from '../context';
import { enumValueName, fieldName, nestedTypeName, subjectNames, type SubjectNames } from '../naming';
import { DateTimeScalar, DecimalScalar, JSONScalar } from '../scalars';
import { modelObject, type FieldModel, type ScalarKind } from '../../catalog/field-model';

/**
 * GraphQL types of one canonical subject, generated from its JSON Schema: the entity type (with
 * nested object types, enums and relation fields), its filter input, sort input, connection and
 * change types. Canonical fields are nullable on purpose: a compatible schema change (a field
 * made optional, a source that stops sending it) must never break a client's query.
 */
export interface SharedTypes {
  readonly EntityMeta: GraphQLObjectType;
  readonly PageInfo: GraphQLObjectType;
  readonly SortDirection: EnumType;
  readonly ChangeOp: EnumType;
  readonly ResyncReason: EnumType;
  /** `MetricWindow` of the fixed schema, for `metricUpdated` (one type of that name per schema). */
  readonly MetricWindow: EnumType;
  /** Scalar filter inputs shared by all subjects of one schema build (one instance per name). */
  readonly filters: Map<string, GraphQLInputObjectType>;
}

export interface SubjectTypes {
  readonly subject: string;
  readonly names: SubjectNames;
  readonly fields: readonly FieldModel[];
  readonly entity: GraphQLObjectType;
  readonly where: GraphQLInputObjectType;
  readonly orderBy: GraphQLInputObjectType;
  readonly connection: GraphQLObjectType;
  readonly change: GraphQLObjectType;
  readonly changeConnection: GraphQLObjectType;
}

const SCALARS: Record<ScalarKind, GraphQLOutputType & GraphQLInputType> = {
  String: GraphQLString,
  Int: GraphQLInt,
  Float: GraphQLFloat,
  Boolean: GraphQLBoolean,
  DateTime: DateTimeScalar,
  Decimal: DecimalScalar,
  JSON: JSONScalar,
};

/** Filter operators per scalar: every comparison compares by value (order keys, values/order-key.ts). */
const FILTER_OPS: Record<ScalarKind, readonly string[]> = {
  String: ['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte', 'contains', 'exists', 'isNull'],
  Int: ['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte', 'exists', 'isNull'],
  Float: ['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte', 'exists', 'isNull'],
  Boolean: ['eq', 'ne', 'exists', 'isNull'],
  DateTime: ['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte', 'exists', 'isNull'],
  Decimal: ['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte', 'exists', 'isNull'],
  JSON: ['exists', 'isNull'],
};

const OP_DESCRIPTIONS: Record<string, string> = {
  eq: 'Equal by value ("12.5" equals "12.50"; a DateTime equals the same instant in another offset). A null or absent field equals nothing; `eq: null` means `isNull: true`.',
  ne: 'Not equal by value; a null or absent field matches. `ne: null` means `isNull: false`.',
  in: 'Equal by value to one of the list.',
  lt: 'Less than, by value; null and absent never match.',
  lte: 'Less than or equal, by value; null and absent never match.',
  gt: 'Greater than, by value; null and absent never match.',
  gte: 'Greater than or equal, by value; null and absent never match.',
  exists: 'true: the field is present in the entity (its value may be null); false: it is absent.',
  isNull: 'true: the field has no value (null or absent); false: it has one.',
  contains: 'Substring match (case-sensitive).',
};

function scalarFilterType(
  filterTypes: Map<string, GraphQLInputObjectType>,
  name: string,
  type: GraphQLInputType,
  ops: readonly string[],
): GraphQLInputObjectType {
  const key = `${name}Filter`;
  let filter = filterTypes.get(key);
  if (!filter) {
    const fields: GraphQLInputFieldConfigMap = {};
    for (const op of ops) {
      const description = OP_DESCRIPTIONS[op]!;
      fields[op] =
        op === 'in'
          ? { type: new GraphQLList(new GraphQLNonNull(type)), description }
          : op === 'exists' || op === 'isNull'
            ? { type: GraphQLBoolean, description }
            : op === 'contains'
              ? { type: GraphQLString, description }
              : { type, description };
    }
    filter = new GraphQLInputObjectType({ name: key, fields });
    filterTypes.set(key, filter);
  }
  return filter;
}

export function buildSubjectTypes(
  subject: string,
  schema: Record<string, unknown>,
  shared: SharedTypes,
  entityTypeOf: (subject: string) => GraphQLObjectType | undefined,
): SubjectTypes {
  const names = subjectNames(subject);
  const fields = modelObject(schema);
  const enums = new Map<string, GraphQLEnumType>();

  const enumType = (typeName: string, values: readonly string[]) => {
    let type = enums.get(typeName);
    if (!type) {
      type = new GraphQLEnumType({ name: typeName, values: Object.fromEntries(values.map((v) => [enumValueName(v), { value: v }])) });
      enums.set(typeName, type);
    }
    return type;
  };

  const outputType = (owner: string, field: FieldModel): GraphQLOutputType => {
    switch (field.kind) {
      case 'scalar':
        return SCALARS[field.scalar];
      case 'enum':
        return enumType(nestedTypeName(owner, field.jsonKey), field.values);
      case 'object':
        return objectType(nestedTypeName(owner, field.jsonKey), field.fields, false);
      case 'list':
        return new GraphQLList(outputType(owner, field.item));
    }
  };

  function fieldConfigs(owner: string, list: readonly FieldModel[], top: boolean): GraphQLFieldConfigMap<Record<string, unknown>, ApiContext> {
    const read = (source: Record<string, unknown>, key: string) => (top ? (source as unknown as StoredEntity).data?.[key] : source[key]);
    const configs: GraphQLFieldConfigMap<Record<string, unknown>, ApiContext> = {};
    for (const field of list) {
      configs[fieldName(field.jsonKey)] = {
        type: outputType(owner, field),
        ...(field.description ? { description: field.description } : {}),
        resolve: (source) => read(source, field.jsonKey) ?? null,
      };
      const relation = field.relation;
      if (relation) {
        configs[fieldName(relation.as)] = {
          // Thunked: the related subject's type may be built after this one.
          type: entityTypeOf(relation.subject) ?? JSONScalar,
          description: `The ${relation.subject} whose ${relation.by} is this ${field.jsonKey}.`,
          resolve: (source, _args, ctx) => {
            const value = read(source, field.jsonKey);
            return value === null || value === undefined ? null : ctx.loaders.by(relation.subject, relation.by).load(value);
          },
        };
      }
    }
    return configs;
  }

  function objectType(typeName: string, list: readonly FieldModel[], top: boolean, description?: string): GraphQLObjectType {
    return new GraphQLObjectType<Record<string, unknown>, ApiContext>({
      name: typeName,
      ...(description ? { description } : {}),
      fields: () => ({
        ...(top ? { id: { type: new GraphQLNonNull(GraphQLID), resolve: (e) => (e as unknown as StoredEntity)._id } } : {}),
        ...fieldConfigs(typeName, list, top),
        ...(top ? { _meta: { type: new GraphQLNonNull(shared.EntityMeta), resolve: (e) => metaOf(e as unknown as StoredEntity) } } : {}),
      }),
    });
  }

  const entity = objectType(names.type, fields, true, typeof schema.description === 'string' ? schema.description : undefined);

  const whereType = (typeName: string, list: readonly FieldModel[], top: boolean): GraphQLInputObjectType =>
    new GraphQLInputObjectType({
      name: `${typeName}Where`,
      fields: () => {
        const inputs: GraphQLInputFieldConfigMap = {};
        if (top) inputs.id = { type: scalarFilterType(shared.filters, 'ID', GraphQLID, ['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte']) };
        for (const field of list) {
          const name = fieldName(field.jsonKey);
          if (field.kind === 'scalar') inputs[name] = { type: scalarFilterType(shared.filters, field.scalar, SCALARS[field.scalar], FILTER_OPS[field.scalar]) };
          else if (field.kind === 'enum') {
            const type = enumType(nestedTypeName(typeName, field.jsonKey), field.values);
            inputs[name] = { type: scalarFilterType(shared.filters, type.name, type, ['eq', 'ne', 'in', 'exists', 'isNull']) };
          } else if (field.kind === 'object') inputs[name] = { type: whereType(nestedTypeName(typeName, field.jsonKey), field.fields, false) };
        }
        if (top) {
          const self = where;
          inputs.and = { type: new GraphQLList(new GraphQLNonNull(self)) };
          inputs.or = { type: new GraphQLList(new GraphQLNonNull(self)) };
        }
        return inputs;
      },
    });
  const where: GraphQLInputObjectType = whereType(names.type, fields, true);

  const sortable = fields.filter((f) => f.kind === 'enum' || (f.kind === 'scalar' && f.scalar !== 'JSON'));
  const sortField = new GraphQLEnumType({
    name: `${names.type}SortField`,
    values: Object.fromEntries([
      ['id', { value: 'id' }],
      ['updatedAt', { value: 'updatedAt', description: 'When canonql last applied a change.' }],
      ...sortable.filter((f) => !['id', 'updatedAt'].includes(fieldName(f.jsonKey))).map((f) => [fieldName(f.jsonKey), { value: fieldName(f.jsonKey) }]),
    ]),
  });
  const orderBy = new GraphQLInputObjectType({
    name: `${names.type}OrderBy`,
    fields: { field: { type: new GraphQLNonNull(sortField) }, direction: { type: shared.SortDirection, defaultValue: 'ASC' } },
  });

  const connection = connectionType(`${names.type}`, entity, shared, 'Entities matching `where` (all pages).');

  const change = new GraphQLObjectType({
    name: `${names.type}Change`,
    description: `One change of one ${names.type} entity: an entry of its history or of the live change feed.`,
    fields: {
      eventId: { type: GraphQLID, description: 'Deterministic id of the canonical event (null for SNAPSHOT and RESYNC).' },
      op: { type: new GraphQLNonNull(shared.ChangeOp) },
      key: { type: GraphQLID, description: 'Entity key.' },
      version: { type: GraphQLInt },
      cursor: { type: GraphQLString, description: 'Resume position: pass as `after` to continue after this change.' },
      node: { type: entity, description: 'The entity after the change (null for DELETE and RESYNC).' },
      previous: { type: entity, description: 'The entity before the change (null for CREATE).' },
      changedFields: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString))) },
      source: { type: JSONScalar, description: 'Source coordinates: topic, partition, offset, position, connector, op.' },
      sourceTs: { type: DateTimeScalar },
      ingestedAt: { type: DateTimeScalar },
      resyncReason: { type: shared.ResyncReason, description: 'Why a RESYNC was sent (null for every other op); `source.reason` says it in words.' },
    },
  });
  const changeConnection = connectionType(`${names.type}Change`, change, shared, 'Changes of the entity (all pages).');
  return { subject, names, fields, entity, where, orderBy, connection, change, changeConnection };
}

/** A Relay-style connection `<name>Connection` of `<name>Edge { cursor node }`. */
function connectionType(name: string, node: GraphQLObjectType, shared: SharedTypes, countDescription: string): GraphQLObjectType {
  const edge = new GraphQLObjectType({
    name: `${name}Edge`,
    fields: { cursor: { type: new GraphQLNonNull(GraphQLString) }, node: { type: new GraphQLNonNull(node) } },
  });
  return new GraphQLObjectType({
    name: `${name}Connection`,
    fields: {
      edges: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(edge))) },
      pageInfo: { type: new GraphQLNonNull(shared.PageInfo) },
      totalCount: { type: new GraphQLNonNull(GraphQLInt), description: countDescription },
    },
  });
}

function metaOf(entity: StoredEntity) {
  const meta = entity._meta;
  return {
    version: meta.version,
    updatedAt: new Date(meta.updatedAt),
    createdAt: new Date(meta.createdAt),
    position: meta.position,
    specId: meta.specId,
    specVersion: meta.specVersion,
    sourceTs: meta.sourceTsMs === null || meta.sourceTsMs === undefined ? null : new Date(meta.sourceTsMs),
    deleted: meta.deleted,
  };
}
