import { ensureTopics } from '../../../src/infra/kafka-topics';
import { pgChange, produce } from '../../support/debezium-messages';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { createLeftovers, testKafka, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * A new source explored before its mapping exists: an admin asks discovery to profile a raw topic
 * no spec reads; its fields and samples appear (and previews run on them); a spec activated
 * afterwards still ingests the topic from its beginning, because profiling has a consumer group
 * of its own.
 */
describe('profiling a raw topic before any spec reads it', () => {
  const kafka = testKafka();
  const topic = uniqueName('raw.pg.parcels');
  const leftovers = createLeftovers();
  let target: AppUnderTest;
  const gql = <T>(query: string, variables: Record<string, unknown> = {}, admin = true) => target.gql<T>(query, variables, { admin });
  const ok = <T>(query: string, variables: Record<string, unknown> = {}) => target.ok<T>(query, variables);

  beforeAll(async () => {
    target = await startAppUnderTest('profile-topic');
    leftovers.add(() => target.stop());
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
  });
  afterAll(() => leftovers.dispose());

  it('profiles on request, previews on its samples, and leaves ingestion offsets alone', async () => {
    const rows = [
      { id: 1, carrier: 'dhl', weight: 2 },
      { id: 2, carrier: 'ups', weight: 3.5 },
      { id: 3, carrier: 'dhl', weight: null },
    ];
    await produce(
      kafka,
      topic,
      rows.map((row, i) => pgChange({ op: 'c', key: { id: row.id }, after: row, lsn: 10 + i, table: 'parcels' })),
    );

    const listed = await ok<{ sourceTopics: { topic: string; readBySpecs: string[]; profiledOnly: boolean }[] }>(
      '{ sourceTopics { topic readBySpecs profiledOnly } }',
    );
    expect(listed.sourceTopics.find((t) => t.topic === topic)).toEqual({ topic, readBySpecs: [], profiledOnly: false });
    expect((await gql('mutation($t: String!) { profileRawTopic(topic: $t) }', { t: topic }, false)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await gql('mutation { profileRawTopic(topic: "no.such.topic") }')).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await ok('mutation($t: String!) { profileRawTopic(topic: $t) }', { t: topic })).toEqual({ profileRawTopic: true });
    expect(await ok('mutation($t: String!) { profileRawTopic(topic: $t) }', { t: topic })).toEqual({ profileRawTopic: false });

    const profiled = await waitFor(
      'the topic profiled',
      async () => {
        const data = await ok<{ rawTopic: { sampled: number; fields: { path: string; presence: number }[]; samples: unknown[] } | null }>(
          'query($t: String!) { rawTopic(topic: $t) { sampled fields { path presence } samples(last: 10) { offset } } }',
          { t: topic },
        );
        return data.rawTopic && data.rawTopic.sampled === 3 && data.rawTopic.samples.length === 3 ? data.rawTopic : undefined;
      },
      { timeoutMs: 60000 },
    );
    expect(profiled.fields.map((f) => [f.path, f.presence]).sort()).toEqual([
      ['$.carrier', 1],
      ['$.id', 1],
      ['$.weight', 1],
    ]);
    // A field path the topic does not have is an error naming it, not an empty list.
    const typo = await gql('query($t: String!) { rawTopic(topic: $t) { fields(path: "$.carier") { path } } }', { t: topic });
    expect(typo.errors?.[0]).toMatchObject({
      message: 'unknown raw field "$.carier" (did you mean "$.carrier"?)',
      extensions: { code: 'NOT_FOUND', details: ['path: no raw field is named "$.carier"; known: $.carrier, $.id, $.weight'] },
    });

    await ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "parcel", schema: $s) { version } }', {
      s: {
        type: 'object',
        properties: { parcelId: { type: 'string' }, carrier: { type: 'string' }, weight: { type: ['number', 'null'] } },
        required: ['parcelId'],
      },
    });
    const spec = {
      mappingId: 'parcels',
      version: 1,
      source: { type: 'kafka', topic },
      target: { subject: 'parcel' },
      key: { source: true },
      fieldMappings: [
        { src: '$.id', dst: '$.parcelId', transform: 'string' },
        { src: '$.carrier', dst: '$.carrier' },
        { src: '$.weight', dst: '$.weight' },
      ],
    };
    const preview = await ok<{ previewMappingSpec: { mapped: number; coveredSourceFields: string[] } }>(
      'query($s: JSON!) { previewMappingSpec(spec: $s) { mapped coveredSourceFields } }',
      { s: spec },
    );
    expect(preview.previewMappingSpec).toEqual({ mapped: 3, coveredSourceFields: ['id', 'carrier', 'weight'] });

    // The spec reads the topic from its beginning: profiling did not consume it for ingestion.
    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version } }', { s: spec });
    await waitFor(
      'all three parcels ingested',
      async () => {
        const data = await ok<{ parcels: { totalCount: number } }>('{ parcels { totalCount } }');
        return data.parcels.totalCount === 3;
      },
      { timeoutMs: 60000 },
    );
    const after = await ok<{ sourceTopics: { topic: string; readBySpecs: string[]; profiledOnly: boolean }[] }>(
      '{ sourceTopics { topic readBySpecs profiledOnly } }',
    );
    expect(after.sourceTopics.find((t) => t.topic === topic)).toEqual({ topic, readBySpecs: ['parcels'], profiledOnly: true });
    expect(await ok('mutation($t: String!) { stopProfilingRawTopic(topic: $t) }', { t: topic })).toEqual({ stopProfilingRawTopic: true });
  });
});

describe("canonql's own topics are not sources", () => {
  const kafka = testKafka();
  const leftovers = createLeftovers();
  const prefix = `${uniqueName('own-canonical')}.`;
  const deadLetterTopic = uniqueName('own-dead-letters');
  const canonicalTopic = `${prefix}parcel`;
  const rawTopic = uniqueName('raw.pg.own');
  let target: AppUnderTest;

  beforeAll(async () => {
    // The names come from the configuration, not from a fixed list.
    target = await startAppUnderTest('own-topics', { CANONQL_CANONICAL_TOPIC_PREFIX: prefix, CANONQL_DEADLETTER_TOPIC: deadLetterTopic });
    leftovers.add(() => target.stop());
    await ensureTopics(
      kafka,
      [canonicalTopic, deadLetterTopic, rawTopic].map((topic) => ({ topic, numPartitions: 1 })),
    );
  });
  afterAll(() => leftovers.dispose());

  it('leaves the canonical topics and the dead-letter topic out of sourceTopics, and refuses to profile them', async () => {
    const listed = await target.ok<{ sourceTopics: { topic: string }[] }>('{ sourceTopics { topic } }');
    const names = listed.sourceTopics.map((t) => t.topic);
    expect(names).toContain(rawTopic);
    expect(names).not.toContain(canonicalTopic);
    expect(names).not.toContain(deadLetterTopic);
    expect(names.filter((t) => t.startsWith('__'))).toEqual([]);
    for (const own of [canonicalTopic, deadLetterTopic]) {
      const refused = await target.gql('mutation($t: String!) { profileRawTopic(topic: $t) }', { t: own });
      expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(refused.errors?.[0]?.message).toMatch(/canonql's own/);
    }
  });
});
