import { getNamedType, isInputObjectType, isInterfaceType, isObjectType, type GraphQLType } from 'graphql';
import { buildApiSchema, CATALOG_AREAS } from '../../../src/graphql/build-api-schema';
import { servedSubscriptionFieldsForSdl } from '../../../src/graphql/sdl-subscriptions';

const PLAIN = { type: 'object', properties: { id: { type: 'string' }, placedAt: { type: 'string', format: 'date-time' } } };
const schema = buildApiSchema([{ subject: 'order', version: 1, schema: PLAIN }], servedSubscriptionFieldsForSdl);

const namedType = (type: GraphQLType): string => getNamedType(type).name;

/** Fields and arguments whose name ends like a time but that hold no instant, each with why. */
const NOT_INSTANTS: Record<string, string> = {
  'RawFieldStats.minDate': 'raw text as written in the source records: a date without a time is not a DateTime',
  'RawFieldStats.maxDate': 'raw text as written in the source records: a date without a time is not a DateTime',
  'MetricDefinition.time': 'a field path (or "changeTime"), not an instant',
};

describe('values that are times', () => {
  it('are DateTime wherever a field or argument is named as a time', () => {
    const timeField = /(At|Time|time|Seen|Ts|Timestamp)$/;
    const timeArgument = /(At|Time|Timestamp|^since|^until|^from|^to|^asOf)$/;
    // A filter of a DateTime field is its DateTimeFilter input.
    const isTime = (typeName: string) => typeName === 'DateTime' || typeName === 'DateTimeFilter';
    const wrong: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type) || isInputObjectType(type))) continue;
      for (const field of Object.values(type.getFields())) {
        const name = `${type.name}.${field.name}`;
        if (timeField.test(field.name) && !NOT_INSTANTS[name] && !isTime(namedType(field.type))) wrong.push(`${name}: ${String(field.type)}`);
        for (const arg of 'args' in field ? field.args : []) {
          if (timeArgument.test(arg.name) && !isTime(namedType(arg.type))) wrong.push(`${name}(${arg.name}): ${String(arg.type)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('include subjectStatus.lastIngestedAt and lastSourceTime', () => {
    const status = schema.getType('SubjectStatus');
    if (!isObjectType(status)) throw new Error('SubjectStatus is not an object type');
    expect(String(status.getFields().lastIngestedAt!.type)).toBe('DateTime');
    expect(String(status.getFields().lastSourceTime!.type)).toBe('DateTime');
  });
});

describe('the Query root', () => {
  const subjects = ['order', 'customer'].map((subject) => ({ subject, version: 1, schema: PLAIN }));
  const served = buildApiSchema(subjects, servedSubscriptionFieldsForSdl);
  const query = served.getQueryType()!;
  const listed = query.getFields();
  const current = Object.keys(listed).filter((name) => !listed[name]!.deprecationReason);

  it("lists the entity fields first (subject by subject, each with its metrics), then catalog; nothing else that is not deprecated (metric, replaced by each subject's <plural>Metric)", () => {
    expect(current).toEqual([
      'customer',
      'customers',
      'customerHistory',
      'customersAggregate',
      'customersMetric',
      'order',
      'orders',
      'orderHistory',
      'ordersAggregate',
      'ordersMetric',
      'catalog',
    ]);
    expect(listed.metric!.deprecationReason).toMatch(/<plural>Metric/);
  });

  it('keeps every former root catalog field, deprecated, pointing at its place in catalog', () => {
    const catalog = served.getType('Catalog');
    if (!isObjectType(catalog)) throw new Error('Catalog is not an object type');
    const deprecated = Object.values(listed).filter((field) => field.deprecationReason && field.name !== 'metric');
    expect(deprecated.map((field) => field.name).sort()).toEqual(Object.keys(catalog.getFields()).sort());
    for (const field of deprecated) {
      expect(field.deprecationReason).toBe(`Moved to catalog { ${field.name} }.`);
      expect(String(field.type)).toBe(String(catalog.getFields()[field.name]!.type));
    }
  });

  it('groups the catalog by area, every field placed and described', () => {
    const catalog = served.getType('Catalog');
    if (!isObjectType(catalog)) throw new Error('Catalog is not an object type');
    const names = Object.keys(catalog.getFields());
    expect(names).toEqual(CATALOG_AREAS.flat());
    expect(names.filter((name) => !catalog.getFields()[name]!.description)).toEqual([]);
  });

  it("lists mutations verb first, grouped by the catalog's areas (schema registry, mapping specs, metric definitions, discovery)", () => {
    expect(Object.keys(served.getMutationType()!.getFields())).toEqual([
      'registerCanonicalSchema',
      'setCompatibilityLevel',
      'deprecateSubject',
      'deleteSubject',
      'registerMappingSpec',
      'activateMappingSpec',
      'deactivateMappingSpec',
      'rollbackMappingSpec',
      'backfillMappingSpec',
      'replayDeadLetters',
      'registerMetricDefinition',
      'activateMetricDefinition',
      'deactivateMetricDefinition',
      'rollbackMetricDefinition',
      'profileRawTopic',
      'stopProfilingRawTopic',
    ]);
  });
});
