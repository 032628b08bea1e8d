import type { GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType } from 'graphql';
import { modelObject, type FieldModel } from '../../catalog/field-model';
import { subjectNames, type SubjectNames } from '../naming';
import { changeType } from './change-type';
import { connectionType } from './connection-type';
import { entityType, type RelatedSubject } from './entity-type';
import { subjectEnumTypes } from './field-types';
import { orderByInput } from './order-by-input';
import { whereInput } from './where-input';

/**
 * GraphQL types of one canonical subject, generated from its JSON Schema: the entity type (with
 * nested object types, enums and relation fields), its filter input, sort input, connection and
 * change types. Canonical fields are nullable on purpose: a compatible schema change (a field
 * made optional, a source that stops sending it) must never break a client's query.
 */
export interface SharedTypes {
  readonly EntityMeta: GraphQLObjectType;
  readonly PageInfo: GraphQLObjectType;
  readonly SortDirection: GraphQLEnumType;
  readonly ChangeOp: GraphQLEnumType;
  readonly ResyncReason: GraphQLEnumType;
  /** `MetricWindow` of the fixed schema, for `metricUpdated` (one type of that name per schema). */
  readonly MetricWindow: GraphQLEnumType;
  /** `MetricBucket` of the fixed schema, for each subject's `<plural>Metric`. */
  readonly MetricBucket: GraphQLObjectType;
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

/**
 * `relatedOf` gives another subject of the same build (for relation fields); it is read when the
 * schema resolves the fields, so the order subjects are built in does not matter.
 */
export function buildSubjectTypes(
  subject: string,
  schema: Record<string, unknown>,
  shared: SharedTypes,
  relatedOf: (subject: string) => RelatedSubject | undefined,
): SubjectTypes {
  const names = subjectNames(subject);
  const fields = modelObject(schema);
  const enumTypes = subjectEnumTypes();
  const description = typeof schema.description === 'string' ? schema.description : undefined;

  const entity = entityType(names.type, fields, description, { EntityMeta: shared.EntityMeta, enumTypes, relatedOf });
  const where = whereInput(names.type, fields, shared.filters, enumTypes);
  const orderBy = orderByInput(names.type, fields, shared.SortDirection);
  const connection = connectionType(names.type, entity, shared.PageInfo, 'Entities matching `where` (all pages).');
  const change = changeType(names.type, entity, shared);
  const changeConnection = connectionType(`${names.type}Change`, change, shared.PageInfo, 'Changes of the entity (all pages).');
  return { subject, names, fields, entity, where, orderBy, connection, change, changeConnection };
}
