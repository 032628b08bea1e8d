import { GraphQLID, GraphQLList, GraphQLNonNull, GraphQLObjectType, type GraphQLFieldConfigMap, type GraphQLOutputType } from 'graphql';
import type { FieldModel, Relation } from '../../catalog/field-model';
import type { StoredEntity } from '../../state/entity-store';
import type { ApiContext } from '../context';
import { fieldName, nestedTypeName } from '../naming';
import { JSONScalar } from '../scalars';
import { SCALAR_TYPES, type EnumTypes } from './field-types';

/**
 * The entity type of a subject (`Order`): `id`, one field per canonical field (nested objects get
 * types of their own, `OrderShipping`), a relation field next to each field that refers to
 * another subject, and `_meta`. The top level reads a stored entity (`data.<key>`); nested levels
 * read the plain object under it.
 */
export interface EntityTypeParts {
  readonly EntityMeta: GraphQLObjectType;
  readonly enumTypes: EnumTypes;
  /** The entity type of another subject of the same schema, or undefined when it is not served. */
  readonly entityTypeOf: (subject: string) => GraphQLObjectType | undefined;
}

type Source = Record<string, unknown>;
type FieldConfigs = GraphQLFieldConfigMap<Source, ApiContext>;
type ReadField = (source: Source, key: string) => unknown;

const readEntityData: ReadField = (source, key) => (source as unknown as StoredEntity).data?.[key];
const readObject: ReadField = (source, key) => source[key];

export function entityType(typeName: string, fields: readonly FieldModel[], description: string | undefined, parts: EntityTypeParts): GraphQLObjectType {
  return new GraphQLObjectType<Source, ApiContext>({
    name: typeName,
    ...(description ? { description } : {}),
    fields: () => ({
      id: { type: new GraphQLNonNull(GraphQLID), resolve: (e) => (e as unknown as StoredEntity)._id },
      ...fieldConfigs(typeName, fields, readEntityData, parts),
      _meta: { type: new GraphQLNonNull(parts.EntityMeta), resolve: (e) => metaOf(e as unknown as StoredEntity) },
    }),
  });
}

/** A nested object of the entity (`OrderShipping`): its fields only. */
function nestedObjectType(typeName: string, fields: readonly FieldModel[], parts: EntityTypeParts): GraphQLObjectType {
  return new GraphQLObjectType<Source, ApiContext>({ name: typeName, fields: () => fieldConfigs(typeName, fields, readObject, parts) });
}

function fieldConfigs(owner: string, fields: readonly FieldModel[], read: ReadField, parts: EntityTypeParts): FieldConfigs {
  const configs: FieldConfigs = {};
  for (const field of fields) {
    configs[fieldName(field.jsonKey)] = {
      type: outputType(owner, field, parts),
      ...(field.description ? { description: field.description } : {}),
      resolve: (source) => read(source, field.jsonKey) ?? null,
    };
    if (field.relation) configs[fieldName(field.relation.as)] = relationField(field.jsonKey, field.relation, read, parts);
  }
  return configs;
}

function outputType(owner: string, field: FieldModel, parts: EntityTypeParts): GraphQLOutputType {
  switch (field.kind) {
    case 'scalar':
      return SCALAR_TYPES[field.scalar];
    case 'enum':
      return parts.enumTypes(nestedTypeName(owner, field.jsonKey), field.values);
    case 'object':
      return nestedObjectType(nestedTypeName(owner, field.jsonKey), field.fields, parts);
    case 'list':
      return new GraphQLList(outputType(owner, field.item, parts));
  }
}

/** The related entity, loaded through the request's data loader by the field it is referred to by. */
function relationField(jsonKey: string, relation: Relation, read: ReadField, parts: EntityTypeParts): FieldConfigs[string] {
  return {
    // Called when the schema is built (the fields are thunked): the related subject's type may be built after this one.
    type: parts.entityTypeOf(relation.subject) ?? JSONScalar,
    description: `The ${relation.subject} whose ${relation.by} is this ${jsonKey}.`,
    resolve: (source, _args, ctx) => {
      const value = read(source, jsonKey);
      return value === null || value === undefined ? null : ctx.loaders.by(relation.subject, relation.by).load(value);
    },
  };
}

/** The parts of a stored `_meta` the `_meta` field shows (metaOf reads only these). */
export const SHOWN_META_PATHS = [
  '_meta.version',
  '_meta.updatedAt',
  '_meta.createdAt',
  '_meta.position',
  '_meta.specId',
  '_meta.specVersion',
  '_meta.sourceTsMs',
  '_meta.deleted',
] as const;

/**
 * The stored path each top-level field of the entity type reads, by GraphQL field name: a
 * canonical field its `data.<key>`, a relation field the `data.<key>` it refers by. Null when a
 * key cannot be a projection path (a `.` or a leading `$` in it): such an entity is read whole.
 */
export function entityFieldPaths(fields: readonly FieldModel[]): ReadonlyMap<string, string> | null {
  const paths = new Map<string, string>();
  for (const field of fields) {
    if (field.jsonKey === '' || field.jsonKey.includes('.') || field.jsonKey.startsWith('$')) return null;
    const named = [fieldName(field.jsonKey), ...(field.relation ? [fieldName(field.relation.as)] : [])];
    // Two keys under one GraphQL name: which one the field reads is not this function's to guess.
    if (named.some((name) => paths.has(name))) return null;
    for (const name of named) paths.set(name, `data.${field.jsonKey}`);
  }
  return paths;
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
