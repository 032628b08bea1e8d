import { isObjectType, isInputObjectType, isEnumType, type GraphQLSchema } from 'graphql';
import { subjectNameProblems, subjectNoun } from '../../../src/catalog/subject-name';
import { buildApiSchema } from '../../../src/graphql/build-api-schema';
import { subjectNames } from '../../../src/graphql/naming';
import { candidateProblems } from '../../../src/graphql/served-schema';
import { servedSubscriptionFieldsForSdl } from '../../../src/graphql/sdl-subscriptions';

const PLAIN = { type: 'object', properties: { id: { type: 'string' }, note: { type: 'string' } } };
const entry = (subject: string) => ({ subject, version: 1, schema: PLAIN });

describe('the inflection rule: a subject name to one entity and many', () => {
  it.each([
    // name, one, many
    ['order', 'order', 'orders'],
    ['orders', 'order', 'orders'],
    ['ux_demo_orders', 'ux_demo_order', 'ux_demo_orders'],
    ['order_line', 'order_line', 'order_lines'],
    ['person', 'person', 'people'],
    ['people', 'person', 'people'],
    ['category', 'category', 'categories'],
    ['status', 'status', 'statuses'],
    ['address', 'address', 'addresses'],
    ['analysis', 'analysis', 'analyses'],
    ['child', 'child', 'children'],
  ])('%s: one %s, many %s', (subject, one, many) => {
    expect(subjectNoun(subject)).toEqual({ one, many });
  });

  it.each(['equipment', 'news', 'sensor_data', 'metadata', 'order_v2', 'order_2'])('%s has no distinct plural', (subject) => {
    expect(subjectNoun(subject)).toEqual({ one: subject, many: null });
  });
});

describe('GraphQL names of a subject', () => {
  it('names a subject given in the plural like one given in the singular', () => {
    expect(subjectNames('ux_demo_orders')).toEqual({
      type: 'UxDemoOrder',
      single: 'uxDemoOrder',
      list: 'uxDemoOrders',
      history: 'uxDemoOrderHistory',
      changed: 'uxDemoOrderChanged',
      aggregate: 'uxDemoOrdersAggregate',
      metric: 'uxDemoOrdersMetric',
      metricUpdated: 'uxDemoOrdersMetricUpdated',
    });
    expect(subjectNames('ux_demo_order')).toEqual(subjectNames('ux_demo_orders'));
  });

  it('lists a noun without a distinct plural as <one>List', () => {
    expect(subjectNames('equipment')).toMatchObject({ single: 'equipment', list: 'equipmentList', aggregate: 'equipmentListAggregate' });
    expect(subjectNames('sensor_data')).toMatchObject({ type: 'SensorData', single: 'sensorData', list: 'sensorDataList' });
  });

  it('is what the served schema names its root fields and types', () => {
    const schema = buildApiSchema([entry('ux_demo_orders'), entry('person')], servedSubscriptionFieldsForSdl);
    const query = Object.keys(schema.getQueryType()!.getFields());
    expect(query).toEqual(
      expect.arrayContaining([
        'uxDemoOrder',
        'uxDemoOrders',
        'uxDemoOrderHistory',
        'uxDemoOrdersAggregate',
        'person',
        'people',
        'personHistory',
        'peopleAggregate',
      ]),
    );
    expect(query).not.toEqual(expect.arrayContaining(['uxDemoOrdersList']));
    expect(Object.keys(schema.getSubscriptionType()!.getFields())).toEqual(expect.arrayContaining(['uxDemoOrderChanged', 'personChanged']));
    expect(schema.getType('UxDemoOrder')).toBeDefined();
    expect(schema.getType('Person')).toBeDefined();
  });
});

describe('collision checks use the same rule', () => {
  it("refuses a subject whose name inflects to an existing subject's names (orders next to order)", () => {
    expect(candidateProblems([entry('order')], entry('orders')).join('\n')).toMatch(/Order/);
    expect(candidateProblems([entry('person')], entry('people')).join('\n')).toMatch(/Person/);
    expect(candidateProblems([entry('order')], entry('parcel'))).toEqual([]);
  });

  it('refuses a name whose noun is reserved (subscriptions names one Subscription)', () => {
    expect(subjectNameProblems('subscriptions').join()).toMatch(/names one "subscription", which is reserved/);
    expect(subjectNameProblems('queries').join()).toMatch(/names one "query", which is reserved/);
    expect(subjectNameProblems('orders')).toEqual([]);
  });
});

describe('generated descriptions', () => {
  const schema = buildApiSchema(['order', 'item', 'user_event', 'account', 'equipment'].map(entry), servedSubscriptionFieldsForSdl);

  it('never put an article a/an that does not fit the word after it', () => {
    const wrong = descriptionsOf(schema).filter((text) => /\b[Aa] [AEIOaeio]|\b[Aa]n [^aeiouAEIOU\s]/.test(text));
    expect(wrong).toEqual([]);
  });

  it("name each subject's type without an article before it", () => {
    const types = ['Order', 'Item', 'UserEvent', 'Account', 'Equipment'];
    const withArticle = descriptionsOf(schema).filter((text) => types.some((type) => new RegExp(`\\b(a|an|A|An) ${type}\\b`).test(text)));
    expect(withArticle).toEqual([]);
    expect(descriptionsOf(schema)).toEqual(expect.arrayContaining([expect.stringMatching(/^One change of one Item entity: /)]));
  });
});

function descriptionsOf(schema: GraphQLSchema): string[] {
  const texts: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (type.description) texts.push(type.description);
    if (isObjectType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (field.description) texts.push(field.description);
        for (const arg of 'args' in field ? field.args : []) if (arg.description) texts.push(arg.description);
      }
    }
    if (isEnumType(type)) for (const value of type.getValues()) if (value.description) texts.push(value.description);
  }
  return texts;
}
