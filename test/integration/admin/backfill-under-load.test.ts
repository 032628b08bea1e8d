import type { Db, MongoClient } from 'mongodb';
import { EVENT_LOG_COLLECTION } from '../../../src/events/event-log';
import type { StoredEntity } from '../../../src/state/entity-store';
import { pgChange, produce } from '../../support/debezium-messages';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * A backfill racing live ingestion on the same keys: live updates keep arriving while the job
 * re-canonicalizes. In the end every entity equals the new spec applied to its latest source row
 * (live never loses to the replay), and each entity's events have versions 1..n without a gap.
 */
const KEYS = 150;
// Conditions, not durations, end every wait below; under load they may take long, so the bounds
// are generous and the case has a budget of its own (the default 120 s is less than their sum).
const WAIT_MS = 240_000;
jest.setTimeout(900_000);

describe('backfill under live load', () => {
  const kafka = testKafka();
  const topic = uniqueName('raw.pg.items');
  const leftovers = createLeftovers();
  let target: AppUnderTest;
  let mongo: MongoClient;
  let db: Db;

  const spec = (version: number, transform: string) => ({
    mappingId: 'item-canonicalization',
    version,
    source: { type: 'kafka', topic },
    target: { subject: 'item' },
    key: { source: true },
    fieldMappings: [
      { src: '$.id', dst: '$.itemId', transform: 'string' },
      { src: '$.name', dst: '$.name', transform },
      { src: '$.rev', dst: '$.rev' },
    ],
  });

  const gql = <T>(query: string, variables: Record<string, unknown> = {}) => target.ok<T>(query, variables);

  beforeAll(async () => {
    target = await startAppUnderTest('backfill-load');
    leftovers.add(() => target.stop());
    mongo = await testMongo();
    leftovers.add(() => mongo.close());
    db = mongo.db(target.database);
  });
  afterAll(() => leftovers.dispose());

  it('ends with every entity at its latest row under the new spec, events gap-free', async () => {
    await gql('mutation($s: JSON!) { registerCanonicalSchema(subject: "item", schema: $s) { version } }', {
      s: { type: 'object', properties: { itemId: { type: 'string' }, name: { type: 'string' }, rev: { type: 'integer' } }, required: ['itemId'] },
    });
    await gql('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version } }', { s: spec(1, 'uppercase') });

    let lsn = 1000;
    const latest = new Map<number, { name: string; rev: number }>();
    const round = (rev: number) =>
      Array.from({ length: KEYS }, (_, i) => {
        const row = { id: i, name: `Item-${i}-r${rev}`, rev };
        latest.set(i, { name: row.name, rev });
        lsn += 1;
        return pgChange({ op: lsn <= 1000 + KEYS ? 'c' : 'u', key: { id: i }, after: row, lsn, table: 'items' });
      });
    await produce(kafka, topic, [...round(1), ...round(2)]);
    await waitFor('round 2 ingested', async () => (await db.collection('state_item').countDocuments({ 'data.rev': 2 })) === KEYS, { timeoutMs: WAIT_MS });

    // The fix (lower-case names), activated, then backfilled while live updates keep coming.
    await gql('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version } }', { s: spec(2, 'lowercase') });
    const job = await gql<{ backfillMappingSpec: { id: string } }>('mutation { backfillMappingSpec(id: "item-canonicalization") { id } }');
    for (let rev = 3; rev <= 5; rev += 1) await produce(kafka, topic, round(rev));
    const done = await waitFor(
      'backfill finished',
      async () => {
        const data = await gql<{ backfillJob: { status: string; error: string | null; read: number; rewritten: number; rounds: number } }>(
          'query($id: ID!) { backfillJob(id: $id) { status error read rewritten rounds } }',
          { id: job.backfillMappingSpec.id },
        );
        return data.backfillJob.status === 'running' ? undefined : data.backfillJob;
      },
      { timeoutMs: WAIT_MS },
    );
    expect({ status: done.status, error: done.error }).toEqual({ status: 'completed', error: null });
    expect(done.read).toBeGreaterThanOrEqual(2 * KEYS);

    const states = await waitFor(
      'live ingestion caught up',
      async () => {
        const docs = await db.collection<StoredEntity>('state_item').find({}).toArray();
        return docs.length === KEYS && docs.every((d) => d.data.rev === 5) ? docs : undefined;
      },
      { timeoutMs: WAIT_MS },
    );
    for (const doc of states) {
      const row = latest.get(Number(doc._id))!;
      expect(doc.data).toEqual({ itemId: doc._id, name: row.name.toLowerCase(), rev: row.rev });
    }
    // Every entity's events: versions 1..n, each once (backfill writes took versions too). A writer
    // whose state write lost the race to the other (live ingestion or the backfill) discards its
    // event from the log just after, so the log is read until that has happened.
    const gapFree = (events: { key: string; version: number }[]) => {
      const byKey = new Map<string, number[]>();
      for (const event of events) byKey.set(event.key, [...(byKey.get(event.key) ?? []), event.version]);
      return [...byKey].map(([key, versions]) => ({ key, versions: [...versions].sort((a, b) => a - b) }));
    };
    const isGapFree = (keys: { versions: number[] }[]) => keys.every((k) => k.versions.every((v, i) => v === i + 1));
    let last: { key: string; versions: number[] }[] = [];
    await waitFor(
      "every entity's logged versions 1..n, each once",
      async () => {
        last = gapFree(await db.collection<{ key: string; version: number; subject: string }>(EVENT_LOG_COLLECTION).find({ subject: 'item' }).toArray());
        return last.length === KEYS && isGapFree(last);
      },
      { timeoutMs: 30_000 },
    ).catch(() => undefined);
    expect(last.length).toBe(KEYS);
    for (const { key, versions } of last) {
      expect({ key, versions }).toEqual({ key, versions: versions.map((_, i) => i + 1) });
      const state = states.find((s) => s._id === key)!;
      expect(versions.at(-1)).toBe(state._meta.version);
    }
  });
});
