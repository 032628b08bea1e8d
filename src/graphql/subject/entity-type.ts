import { GraphQLID, GraphQLList, GraphQLNonNull, GraphQLObjectType, type GraphQLFieldConfigMap, type GraphQLOutputType } from 'graphql';
import type { FieldModel, Relation } from '../../catalog/field-model';
import type { StoredEntity } from '../../state/entity-store';
import type { ApiContext } from '../context';
import { fieldName, nestedTypeName } from '../naming';
import { keyOfValue } from '../../mapping/entity-key';
import { AppError, ErrorCode } from '../../errors';
import { integerOutOfRange, JSONScalar } from '../scalars';
import { SCALAR_TYPES, type EnumTypes } from './field-types';
import { entityFieldPaths, entityProjectionOnce } from './page-projection';

/**
 * The entity type of a subject (`Order`): `id`, one field per canonical field (nested objects get
 * types of their own, `OrderShipping`), a relation field next to each field that refers to
 * another subject, and `_meta`. The top level reads a stored entity (`data.<key>`); nested levels
 * read the plain object under it.
 */
export interface EntityTypeParts {
  readonly EntityMeta: GraphQLObjectType;
  readonly enumTypes: EnumTypes;
  /** Another subject of the same schema (its entity type and fields), or undefined when it is not served. */
  readonly relatedOf: (subject: string) => RelatedSubject | undefined;
}

/** What a relation field needs of the subject it leads to. */
export interface RelatedSubject {
  readonly entity: GraphQLObjectType;
  readonly fields: readonly FieldModel[];
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
      resolve: rangeChecked(owner, field, (source) => read(source, field.jsonKey) ?? null),
    };
    if (field.relation) configs[fieldName(field.relation.as)] = relationField(field.jsonKey, field.relation, read, parts, field.kind === 'list');
  }
  return configs;
}

/**
 * The resolver of an Int or Long field, or of a list (of lists) of them: a whole number its scalar cannot
 * hold (scalars.ts, integerOutOfRange) is answered as a VALUE_OUT_OF_RANGE error in its place (an
 * Error result is a field error at its path, with the error as its original, in graphql-js and
 * graphql-jit alike), so the rest of the entity and of the list is still served. Other fields
 * keep the plain read.
 */
function rangeChecked(owner: string, field: FieldModel, resolve: (source: Source) => unknown): (source: Source) => unknown {
  // Lists of lists too (`[[Int]]`): each level of list is walked down to the numbers.
  let item = field;
  let levels = 0;
  for (; item.kind === 'list'; levels += 1) item = item.item;
  if (item.kind !== 'scalar' || (item.scalar !== 'Int' && item.scalar !== 'Long')) return resolve;
  const scalar = item.scalar;
  const name = `${owner}.${fieldName(field.jsonKey)}`;
  const checked = (value: unknown, at: string, level: number): unknown => {
    if (level > 0) return Array.isArray(value) ? value.map((element, i) => checked(element, `${at}[${i}]`, level - 1)) : value;
    const problem = integerOutOfRange(scalar, value);
    return problem === null ? value : new AppError(ErrorCode.VALUE_OUT_OF_RANGE, `${at}: ${problem}`);
  };
  return (source) => checked(resolve(source), name, levels);
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

/**
 * The related live entity, loaded through the request's data loader by the field it is referred
 * to by (by default its id: the value's key form, `42` → "42"), reading only what the query shows
 * of it (and what it is matched by), as `order(id)` does. A deleted entity is not shown, by id as
 * by any other field. A subject that is not served is shown whole, as JSON. On a list of
 * references (`many`), the list of those entities, one per reference in its place (null where
 * none is found), all of them in the same batched read.
 */
function relationField(jsonKey: string, relation: Relation, read: ReadField, parts: EntityTypeParts, many: boolean): FieldConfigs[string] {
  // The related subject's stored paths, found on first use: it may be built after this one.
  let fieldPaths: ReadonlyMap<string, string> | null | undefined;
  const byId = relation.by === 'id';
  const matchedBy = byId ? ['_meta.deleted'] : [`data.${relation.by}`];
  const related = () => parts.relatedOf(relation.subject)?.entity ?? JSONScalar;
  return {
    // Called when the schema is built (the fields are thunked): the related subject's type may be built after this one.
    type: many ? new GraphQLList(related()) : related(),
    description: many
      ? `The ${relation.subject} entities whose ${relation.by} is each of this ${jsonKey}, in its order.`
      : `The ${relation.subject} whose ${relation.by} is this ${jsonKey}.`,
    resolve: (source, _args, ctx, info) => {
      const value = read(source, jsonKey);
      if (value === null || value === undefined || (many && !Array.isArray(value))) return null;
      if (fieldPaths === undefined) {
        const relatedSubject = parts.relatedOf(relation.subject);
        fieldPaths = relatedSubject ? entityFieldPaths(relatedSubject.fields) : null;
      }
      const projection = entityProjectionOnce(info, fieldPaths, matchedBy) ?? undefined;
      const load = (reference: unknown): Promise<StoredEntity | null> | null => {
        if (reference === null || reference === undefined) return null;
        if (!byId) return ctx.loaders.by(relation.subject, relation.by, projection).load(reference);
        const key = keyOfValue(reference);
        return key === null ? null : ctx.loaders.entity(relation.subject, projection).load(key).then(live);
      };
      return many ? Promise.all((value as unknown[]).map(load)) : load(value);
    },
  };
}

const live = (entity: StoredEntity | null): StoredEntity | null => (entity && !entity._meta.deleted ? entity : null);

/** Reads only the parts of `_meta` that SHOWN_META_PATHS (page-projection.ts) lists: a projected read has no others. */
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
