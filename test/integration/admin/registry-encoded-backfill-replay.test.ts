import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { registryWriter, postgresChanges, registryClient, type Change } from '../../support/debezium-connect-changes';
import { TEST_ADMIN_KEY } from '../../support/graphql-result';
import { specFromFile } from '../../support/ingestion-harness';
import { freePort } from '../../support/resuming-subscriber';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * Backfills and dead-letter replays read a registry-encoded raw topic as ingestion does (the
 * topic's record format, the source registry) and publish the events of a wire-format subject as
 * ingestion does (magic byte, the subject's event schema id, the JSON event). An api process is
 * the registry the Avro records were written against and runs the backfill and the replay; an
 * ingest process dead-letters a record whose writer schema it could not read while that registry
 * was stopped. A registry client library nobody here wrote writes the records and reads the events.
 * Spec previews read the topic's sampled records the same way.
 */
jest.setTimeout(240000);

type Job = { id: string; status: string; read: number; rewritten: number; unchanged: number; failed: number; error: string | null };
type Event = { key: string; op: string; version: number; after: Record<string, unknown> | null; source: { connector: string } };

describe('backfill and dead-letter replay of registry-encoded records', () => {
  const leftovers = createLeftovers();
  const kafka = testKafka();
  const producer = kafka.producer();
  const database = uniqueName('registry_backfill');
  const topic = `${uniqueName('avro')}.public.customers`;
  const canonicalPrefix = `${uniqueName('canonical')}.`;
  const deadLetterTopic = uniqueName('registry-backfill-deadletter');
  const specsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-specs-'));
  let port: number;
  let api: AppUnderTest;
  let mongo: MongoClient;

  /** One deployment: one store, one canonical topic prefix, the topic's format and the registry (the api process itself). */
  const settings = (extra: Record<string, string>) => ({
    MONGODB_DATABASE: database,
    CANONQL_SPECS_DIR: specsDir,
    CANONQL_CANONICAL_TOPIC_PREFIX: canonicalPrefix,
    CANONQL_DEADLETTER_TOPIC: deadLetterTopic,
    CANONQL_METRICS: 'false',
    CANONQL_RECORD_FORMATS: `${topic}=avro`,
    CANONQL_SOURCE_REGISTRY_URL: `http://127.0.0.1:${port}/registry`,
    CANONQL_SOURCE_REGISTRY_USER_INFO: `canonql:${TEST_ADMIN_KEY}`,
    CANONQL_WIRE_FORMAT_SUBJECTS: 'customer',
    ...extra,
  });
  const startApi = () =>
    startAppUnderTest('registry-backfill-api', settings({ CANONQL_ROLES: 'api', CANONQL_HTTP_PORT: String(port), CANONQL_HTTP_HOST: '127.0.0.1' }));

  beforeAll(async () => {
    port = await freePort();
    fs.writeFileSync(path.join(specsDir, 'customer.json'), JSON.stringify(specFromFile('customer.json', topic)));
    mongo = await testMongo();
    leftovers.add(() => mongo.close());
    leftovers.add(() => mongo.db(database).dropDatabase());
    await producer.connect();
    leftovers.add(() => producer.disconnect());
    api = await startApi();
    leftovers.add(() => api.stop());
  });
  afterAll(() => leftovers.dispose());

  it('backfills an Avro topic and replays an Avro dead letter, publishing wire-format events of the subject', async () => {
    const client = registryClient(`http://127.0.0.1:${port}/registry`, { username: 'canonql', password: TEST_ADMIN_KEY });
    const writer = registryWriter(client, 'avro');
    // Customer 1 created and updated, customer 2 created: written before anything ingests the topic.
    const [create, second, update] = postgresChanges();
    const records = [];
    for (const change of [create!, second!, update!]) records.push(await writer.write(topic, change));
    await producer.send({ topic, acks: -1, messages: records });

    const started = await api.ok<{ backfillMappingSpec: Job }>('mutation { backfillMappingSpec(id: "customer-canonicalization") { id status } }');
    const job = await waitFor(
      'the backfill finished',
      async () => {
        const { backfillJob } = await api.ok<{ backfillJob: Job }>(
          'query($id: ID!) { backfillJob(id: $id) { id status read rewritten unchanged failed error } }',
          {
            id: started.backfillMappingSpec.id,
          },
        );
        return backfillJob.status === 'running' ? undefined : backfillJob;
      },
      { timeoutMs: 120000, intervalMs: 250 },
    );
    expect(job).toMatchObject({ status: 'completed', read: 3, rewritten: 2, unchanged: 0, failed: 0, error: null });

    // An ingest process over the same topic (the backfilled records are duplicates to it) reads a
    // record with a new writer schema while the registry is stopped: one try, then dead-lettered.
    const ingest = await startAppUnderTest(
      'registry-backfill-ingest',
      settings({
        CANONQL_ROLES: 'ingest',
        CANONQL_SOURCE_REGISTRY_ATTEMPTS: '1',
        CANONQL_SOURCE_REGISTRY_TIMEOUT_MS: '1000',
        CANONQL_INGEST_FROM_BEGINNING: 'true',
      }),
    );
    leftovers.add(() => ingest.stop());
    const outcomes = () => Object.values(ingest.app.ingestion!.stats.outcomes).reduce((a, b) => a + b, 0);
    await waitFor('the three records read by ingestion', () => outcomes() >= 3, { timeoutMs: 120000, intervalMs: 200 });
    expect(ingest.app.ingestion!.stats.outcomes.applied ?? 0).toBe(0);
    const third = widened(create!, 3, 'gold');
    const late = await writer.write(topic, third);
    await api.stop();
    await producer.send({ topic, acks: -1, messages: [late] });
    const [letter] = await waitFor('the record dead-lettered', async () => {
      const found = await mongo.db(database).collection('dead_letters').find({ topic }).toArray();
      return found.length > 0 ? found : undefined;
    });
    expect(letter).toMatchObject({ code: 'SCHEMA_REGISTRY_UNAVAILABLE' });

    // The registry is back: the replay (in the api process) reads the letter through it.
    api = await startApi();
    const { replayDeadLetters } = await api.ok<{ replayDeadLetters: { outcome: string; code: string | null }[] }>(
      'mutation($t: String!) { replayDeadLetters(filter: { topic: $t }) { outcome code } }',
      { t: topic },
    );
    expect(replayDeadLetters).toEqual([{ outcome: 'applied', code: null }]);
    const stored = await mongo
      .db(database)
      .collection('state_customer')
      .findOne({ _id: '3' as never });
    expect(stored?.data).toEqual(expect.objectContaining({ customerId: '3', email: 'c@x.io', tier: 'GOLD' }));

    // Every event on the canonical topic is in the wire format with the subject's event schema id.
    const eventSchemaId = await client.getLatestSchemaId(`${canonicalPrefix}customer-value`);
    const consumer = kafka.consumer({ groupId: uniqueName('registry-backfill-events') });
    const values: Buffer[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: `${canonicalPrefix}customer`, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!) });
    try {
      await waitFor('the three events', () => values.length >= 3, { timeoutMs: 60000 });
    } finally {
      await consumer.disconnect();
    }
    expect(values.map((value) => [value[0], value.readInt32BE(1)])).toEqual([
      [0, eventSchemaId],
      [0, eventSchemaId],
      [0, eventSchemaId],
    ]);
    const events = ((await Promise.all(values.map((value) => client.decode(value)))) as Event[]).sort((a, b) => a.key.localeCompare(b.key));
    expect(events.map((e) => [e.key, e.op, e.version, e.source.connector])).toEqual([
      ['1', 'CREATE', 1, 'backfill'],
      ['2', 'CREATE', 1, 'backfill'],
      ['3', 'CREATE', 1, 'postgresql'],
    ]);
    // The backfilled customer 1 is its state after the update; customer 3 has the new column.
    expect(events[0]!.after).toEqual(
      (
        await mongo
          .db(database)
          .collection('state_customer')
          .findOne({ _id: '1' as never })
      )?.data,
    );
    expect(events[2]!.after).toEqual(stored?.data);
  });

  it("previews a spec on the Avro topic's sampled records, decoded as ingestion decoded them", async () => {
    type Preview = { mapped: number; failed: number; records: { offset: string; status: string; key: string | null; errorCode: string | null }[] };
    // The ingest process of the first test sampled the records it decoded (not the dead-lettered one).
    const preview = await waitFor(
      'a preview of the three sampled records',
      async () => {
        const { catalog } = await api.ok<{ catalog: { previewMappingSpec: Preview } }>(
          'query($s: JSON!) { catalog { previewMappingSpec(spec: $s, last: 10) { mapped failed records { offset status key errorCode } } } }',
          { s: specFromFile('customer.json', topic) },
        );
        return catalog.previewMappingSpec.records.length >= 3 ? catalog.previewMappingSpec : undefined;
      },
      { timeoutMs: 60000, intervalMs: 250 },
    );
    expect(preview).toEqual({
      mapped: 3,
      failed: 0,
      records: [
        { offset: '0', status: 'mapped', key: '1', errorCode: null },
        { offset: '1', status: 'mapped', key: '2', errorCode: null },
        { offset: '2', status: 'mapped', key: '1', errorCode: null },
      ],
    });
  });
});

/** The create with another id and e-mail, a later LSN and one optional column more (`tier`): a new writer schema. */
function widened(create: Change, id: number, tier: string): Change {
  const value = create.value!;
  const payload = value.payload as { after: Record<string, unknown>; source: Record<string, unknown> };
  return {
    key: { ...create.key, payload: { id } },
    value: {
      schema: {
        ...value.schema,
        fields: value.schema.fields?.map((f) =>
          f.field === 'after' || f.field === 'before' ? { ...f, fields: [...(f.fields ?? []), { type: 'string', optional: true, field: 'tier' }] } : f,
        ),
      },
      payload: { ...payload, after: { ...payload.after, id, email: 'c@x.io', tier }, source: { ...payload.source, lsn: 22198000 } },
    },
  };
}
