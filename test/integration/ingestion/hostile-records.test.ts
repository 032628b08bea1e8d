import type { MongoClient } from 'mongodb';
import { EVENT_LOG_COLLECTION } from '../../../src/events/event-log';
import { stateCollectionName } from '../../../src/state/entity-store';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { pgChange, produce } from '../../support/debezium-messages';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * Hostile records against a running canonql (ingest + api on the real stack), issue 14 item 1: a
 * spec copies an untyped object field, and records nest it 1,000 and 100,000 levels deep. Each is
 * dead-lettered with DECODE_LIMIT_EXCEEDED before anything reaches the store; the next record is
 * applied; the store holds only what was valid and keeps serving; readiness stays honest.
 */
describe('hostile records', () => {
  const kafka = testKafka();
  const topic = uniqueName('raw.pg.hostile');
  const leftovers = createLeftovers();
  let target: AppUnderTest;
  let mongo: MongoClient;

  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Gadget',
    type: 'object',
    properties: { gadgetId: { type: 'string' }, payload: {} },
    required: ['gadgetId'],
  };
  const spec = {
    mappingId: 'gadget-canonicalization',
    version: 1,
    source: { type: 'kafka', topic },
    target: { subject: 'gadget' },
    key: { source: true },
    fieldMappings: [
      { src: '$.id', dst: '$.gadgetId', transform: 'string' },
      { src: '$.payload', dst: '$.payload' },
    ],
  };
  /** A PostgreSQL change whose `payload` column is the given JSON text (built as text: a 100,000-level value cannot go through JSON.stringify). */
  const withPayload = (id: number, lsn: number, payloadJson: string) => {
    const message = pgChange({ op: 'c', key: { id }, after: { id, payload: '__PAYLOAD__' }, lsn, table: 'gadgets' });
    return { ...message, value: (message.value as string).replace('"__PAYLOAD__"', payloadJson) };
  };
  const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

  beforeAll(async () => {
    mongo = await testMongo();
    leftovers.add(() => mongo.close());
    target = await startAppUnderTest('hostile-records');
    leftovers.add(() => target.stop());
    await target.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "gadget", schema: $s, expectedVersion: 0) { version } }', { s: schema });
    await target.ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version } }', { s: spec });
  });
  afterAll(() => leftovers.dispose());

  it('dead-letters a 1,000-level and a 100,000-level record with DECODE_LIMIT_EXCEEDED, applies the next, leaves the store untouched', async () => {
    await produce(kafka, topic, [withPayload(1, 100, nested(1_000)), withPayload(2, 101, nested(100_000)), withPayload(3, 102, '{"fine":[1,{"two":2}]}')]);
    const applied = await waitFor(
      'the valid record applied',
      async () => {
        const data = await target.ok<{ gadgets: { totalCount: number; edges: { node: { gadgetId: string; payload: unknown } }[] } }>(
          '{ gadgets(first: 10) { totalCount edges { node { gadgetId payload } } } }',
        );
        // Count and page are two reads: both must see it.
        return data.gadgets.totalCount > 0 && data.gadgets.edges.length > 0 ? data.gadgets : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(applied.totalCount).toBe(1);
    expect(applied.edges[0]!.node).toEqual({ gadgetId: '3', payload: { fine: [1, { two: 2 }] } });

    const letters = await waitFor('both hostile records dead-lettered', async () => {
      const data = await target.ok<{ deadLetters: { offset: string; code: string; message: string; details: unknown }[] }>(
        'query($f: DeadLetterFilter) { deadLetters(filter: $f) { offset code message details } }',
        { f: { topic } },
      );
      return data.deadLetters.length === 2 ? data.deadLetters : undefined;
    });
    expect(letters.map((l) => [l.offset, l.code])).toEqual([
      ['0', 'DECODE_LIMIT_EXCEEDED'],
      ['1', 'DECODE_LIMIT_EXCEEDED'],
    ]);
    for (const letter of letters) expect(letter.details).toMatchObject({ limit: 'depth', max: 100 });

    // Store untouched: the entity and event of the valid record only.
    const db = mongo.db(target.database);
    expect(await db.collection(stateCollectionName('gadget')).countDocuments()).toBe(1);
    expect(await db.collection(EVENT_LOG_COLLECTION).countDocuments({ subject: 'gadget' })).toBe(1);

    // The store keeps serving, and the process says it is ready.
    expect(await target.ok('{ gadget(id: "3") { gadgetId } }')).toEqual({ gadget: { gadgetId: '3' } });
    const ready = await fetch(`${target.app.url}/readyz`);
    expect(ready.status).toBe(200);
  });
});
