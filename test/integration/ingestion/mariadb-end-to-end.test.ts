import type { Connection } from 'mariadb';
import type { Db, MongoClient } from 'mongodb';
import { EVENT_LOG_COLLECTION } from '../../../src/events/event-log';
import { createConnectClient } from '../../../src/infra/connect-client';
import { stateCollectionName } from '../../../src/state/entity-store';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { startMariadbCapture, waitForRunning } from '../../support/debezium-connector';
import { collectMessages, waitForTopic } from '../../support/kafka-messages';
import { createLeftovers, testConfig, testKafka, testMariadb, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * MariaDB as a real relational source: rows changed in the local MariaDB (binlog in ROW format)
 * travel through Debezium (the MySQL connector with MariaDB's JDBC driver, in the stack's Connect
 * worker) and Kafka into a whole canonql, which maps them into the `product` subject with a spec:
 * insert/update/delete, a primary-key change, DECIMAL / DATETIME(6) / TIMESTAMP(3) / JSON / ENUM /
 * BIT columns with exact values, a connector rewound to an earlier binlog position (replay: no
 * change applied twice), and an ALTER TABLE ADD COLUMN that discovery records as drift.
 */
const describeLocal = testConfig.usesLocalStack ? describe : describe.skip;

interface ProductDoc {
  data: Record<string, unknown>;
  _meta: { version: number; deleted: boolean; position: string };
}

describeLocal('MariaDB → Debezium → canonical product', () => {
  const leftovers = createLeftovers();
  const kafka = testKafka();
  const table = uniqueName('products');
  let maria: Connection;
  let target: AppUnderTest;
  let mongo: MongoClient;
  let db: Db;
  let capture: Awaited<ReturnType<typeof startMariadbCapture>>;
  let topic: string;
  const product = async (id: number) => (await db.collection(stateCollectionName('product')).findOne({ _id: String(id) as never })) as ProductDoc | null;
  const productAt = (id: number, version: number) =>
    waitFor(
      `product ${id} v${version}`,
      async () => {
        const doc = await product(id);
        return doc && doc._meta.version >= version ? doc : undefined;
      },
      { timeoutMs: 60000 },
    );

  beforeAll(async () => {
    maria = await testMariadb();
    leftovers.add(() => maria.end());
    await maria.query(`CREATE TABLE ${table} (
      id INT PRIMARY KEY, sku VARCHAR(64) NOT NULL, price DECIMAL(12,2), made_at DATETIME(6), seen_at TIMESTAMP(3) NULL,
      attrs JSON, status ENUM('draft','active','retired') NOT NULL DEFAULT 'draft', flags BIT(12), active BIT(1))`);
    leftovers.add(() => maria.query(`DROP TABLE IF EXISTS ${table}`));
    capture = await startMariadbCapture([`canonql_source.${table}`]);
    leftovers.add(() => capture.stop());
    topic = capture.topicFor(`canonql_source.${table}`);
    await maria.query(`INSERT INTO ${table} (id, sku) VALUES (1000, 'warm-up')`);
    await waitForTopic(kafka, topic);

    target = await startAppUnderTest('mariadb-e2e');
    leftovers.add(() => target.stop());
    mongo = await testMongo();
    leftovers.add(() => mongo.close());
    db = mongo.db(target.database);
    await target.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "product", schema: $s) { version } }', {
      s: {
        type: 'object',
        required: ['productId', 'sku'],
        properties: {
          productId: { type: 'string' },
          sku: { type: 'string' },
          price: { type: ['string', 'null'] },
          madeAt: { type: ['string', 'null'] },
          madeAtUtc: { type: ['string', 'null'] },
          seenAt: { type: ['string', 'null'] },
          attrs: {},
          status: { type: 'string' },
          flags: { type: ['string', 'null'] },
          active: { type: ['boolean', 'null'] },
        },
      },
    });
    await target.ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version } }', {
      s: {
        mappingId: 'mariadb-products',
        version: 1,
        source: { type: 'kafka', topic },
        target: { subject: 'product' },
        key: { source: true },
        fieldMappings: [
          { src: '$.id', dst: '$.productId', transform: 'string' },
          { src: '$.sku', dst: '$.sku' },
          { src: '$.price', dst: '$.price', transform: { name: 'decimal', args: { scale: 2 } } },
          // DATETIME(6) as decoded, and through the datetime transform: microseconds kept by both.
          { src: '$.made_at', dst: '$.madeAt' },
          { src: '$.made_at', dst: '$.madeAtUtc', transform: 'datetime' },
          { src: '$.seen_at', dst: '$.seenAt' },
          { src: '$.attrs', dst: '$.attrs' },
          { src: '$.status', dst: '$.status' },
          { src: '$.flags', dst: '$.flags' },
          { src: '$.active', dst: '$.active' },
        ],
      },
    });
    await productAt(1000, 1);
  });
  afterAll(() => leftovers.dispose());

  it('INSERT, UPDATE and DELETE with DECIMAL, DATETIME(6), TIMESTAMP(3), JSON, ENUM and BIT values exact', async () => {
    await maria.query(`INSERT INTO ${table} (id, sku, price, made_at, seen_at, attrs, status, flags, active) VALUES
      (1, 'SKU-1', 1234567890.05, '2026-01-02 03:04:05.123456', '2026-06-01 12:00:00.001', '{"color": "red", "sizes": [38, 39.5], "big": 12345678901234567890}', 'active', b'101010101010', b'1')`);
    const created = await productAt(1, 1);
    expect(created.data).toEqual({
      productId: '1',
      sku: 'SKU-1',
      price: '1234567890.05',
      madeAt: '2026-01-02T03:04:05.123456Z',
      madeAtUtc: '2026-01-02T03:04:05.123456Z',
      seenAt: '2026-06-01T12:00:00.001Z',
      // MariaDB's JSON is LONGTEXT with a validity check: the connector sees text, so the document arrives as its exact text.
      attrs: '{"color": "red", "sizes": [38, 39.5], "big": 12345678901234567890}',
      status: 'active',
      // BIT(12) arrives as its bytes, least significant first (0xAAA → AA 0A), base64 as Connect's JSON converter writes them.
      flags: Buffer.from([0xaa, 0x0a]).toString('base64'),
      active: true,
    });
    expect(created._meta.position).toMatch(/^mysql:binlog\.\d{6}:\d{20}:\d{10}$/);

    await maria.query(
      `UPDATE ${table} SET price = price + 0.10, status = 'retired', flags = b'000000000011', active = b'0', attrs = JSON_SET(attrs, '$.color', 'blue') WHERE id = 1`,
    );
    const updated = await productAt(1, 2);
    expect(updated.data).toMatchObject({ price: '1234567890.15', status: 'retired', flags: Buffer.from([0x03, 0x00]).toString('base64'), active: false });
    expect(updated.data.attrs).toBe('{"color": "blue", "sizes": [38, 39.5], "big": 12345678901234567890}');
    expect(updated._meta.position > created._meta.position).toBe(true);

    await maria.query(`DELETE FROM ${table} WHERE id = 1`);
    const deleted = await waitFor('product 1 deleted', async () => {
      const doc = await product(1);
      return doc?._meta.deleted ? doc : undefined;
    });
    expect(deleted._meta.version).toBe(3);
  });

  it('a primary-key change (delete + tombstone + create) leaves exactly one live entity', async () => {
    await maria.query(`INSERT INTO ${table} (id, sku, price) VALUES (10, 'SKU-PK', 1.00)`);
    await productAt(10, 1);
    await maria.query(`UPDATE ${table} SET id = 11 WHERE id = 10`);
    const moved = await productAt(11, 1);
    const old = await waitFor('product 10 deleted', async () => {
      const doc = await product(10);
      return doc?._meta.deleted ? doc : undefined;
    });
    expect(moved.data).toMatchObject({ productId: '11', sku: 'SKU-PK', price: '1.00' });
    expect(moved._meta.deleted).toBe(false);
    expect(old.data).toMatchObject({ productId: '10' });
    expect(await db.collection(stateCollectionName('product')).countDocuments({ 'data.sku': 'SKU-PK', '_meta.deleted': false })).toBe(1);
  });

  it('a connector rewound to an earlier binlog position replays changes, and none is applied twice', async () => {
    // The connector's committed offset before the changes to replay: a restart point Debezium wrote
    // itself (a transaction boundary). Offsets are flushed every second; wait until it settles.
    const connect = createConnectClient(testConfig.connectUrl);
    let restartPoint = await connect.offsets(capture.name);
    await waitFor(
      'settled connector offsets',
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const now = await connect.offsets(capture.name);
        const settled = JSON.stringify(now) === JSON.stringify(restartPoint) && now.length === 1;
        restartPoint = now;
        return settled;
      },
      { timeoutMs: 30000 },
    );
    expect(restartPoint[0]!.offset).toMatchObject({ file: expect.stringMatching(/^binlog\.\d{6}$/), pos: expect.any(Number) });

    await maria.query(`INSERT INTO ${table} (id, sku, price) VALUES (20, 'SKU-R', 5.00)`);
    await productAt(20, 1);
    await maria.query(`UPDATE ${table} SET price = 6.00 WHERE id = 20`);
    await maria.query(`UPDATE ${table} SET price = 7.00 WHERE id = 20`);
    const before = await productAt(20, 3);
    const events = () => db.collection(EVENT_LOG_COLLECTION).countDocuments({ subject: 'product', key: '20' });
    expect(await events()).toBe(3);
    const stats = target.app.ingestion!.stats.outcomes as Record<string, number>;
    // A replayed change older than the stored state is `stale`, the one that produced it a `duplicate`.
    const skippedAsReplay = () => stats.duplicate + stats.stale;
    const skippedBefore = skippedAsReplay();
    const appliedBefore = stats.applied;
    const admin = kafka.admin();
    await admin.connect();
    const rawBefore = Number((await admin.fetchTopicOffsets(topic))[0]!.high);
    await admin.disconnect();

    // Stop the connector, move its committed offset back to the restart point, resume: Debezium
    // reads the three changes again and writes them to the topic again. Only the binlog file and
    // position are kept: the stored offset may still carry a row count to skip left over from the
    // previous transaction (the primary-key change's two records), which would skip the insert.
    await connect.stopConnector(capture.name);
    await waitFor('connector stopped', async () => (await connect.status(capture.name))?.connector.state === 'STOPPED');
    expect(await connect.offsets(capture.name)).not.toEqual(restartPoint);
    const { file, pos } = restartPoint[0]!.offset as { file: string; pos: number };
    await connect.alterOffsets(capture.name, [{ partition: restartPoint[0]!.partition, offset: { file, pos } }]);
    await connect.resumeConnector(capture.name);
    await waitForRunning(capture.name);

    const raw = await collectMessages(kafka, topic, (m) => m.length >= rawBefore + 3);
    const replayedIds = raw
      .slice(rawBefore)
      .filter((m) => m.value)
      .map((m) => JSON.parse(m.value!).payload.after?.id ?? JSON.parse(m.value!).payload.before?.id);
    expect(replayedIds.filter((id: number) => id === 20)).toHaveLength(3);
    await waitFor('replayed changes skipped as stale or duplicate', () => skippedAsReplay() >= skippedBefore + 3, { timeoutMs: 60000 });
    expect(skippedAsReplay()).toBe(skippedBefore + 3);
    expect(stats.applied).toBe(appliedBefore);
    const after = await product(20);
    expect(after!._meta.version).toBe(3);
    expect(after!._meta.position).toBe(before._meta.position);
    expect(after!.data.price).toBe('7.00');
    expect(await events()).toBe(3);
    // Live changes go on after the replay.
    await maria.query(`UPDATE ${table} SET price = 8.00 WHERE id = 20`);
    expect((await productAt(20, 4)).data.price).toBe('8.00');
  });

  it('ALTER TABLE ADD COLUMN: the new column flows through and discovery records it as drift', async () => {
    const drift = () =>
      target.ok<{ rawTopic: { currentVersion: number; versions: { version: number; changes: { added: string[] } }[]; drift: { version: number }[] } }>(
        'query($topic: String!) { rawTopic(topic: $topic) { currentVersion versions { version changes { added } } drift(since: "2000-01-01T00:00:00Z") { version } } }',
        { topic },
      );
    const initial = await waitFor('a discovered schema', async () => ((await drift()).rawTopic?.currentVersion ? (await drift()).rawTopic : undefined));
    await maria.query(`ALTER TABLE ${table} ADD COLUMN note VARCHAR(100) NULL`);
    await maria.query(`INSERT INTO ${table} (id, sku, note) VALUES (30, 'SKU-NOTE', 'added after the ALTER')`);
    await productAt(30, 1);
    const drifted = await waitFor(
      'a drift version adding $.note',
      async () => {
        const t = (await drift()).rawTopic;
        return t.versions.some((v) => v.changes.added.includes('$.note')) ? t : undefined;
      },
      { timeoutMs: 30000 },
    );
    expect(drifted.currentVersion).toBeGreaterThan(initial.currentVersion);
    const version = drifted.versions.find((v) => v.changes.added.includes('$.note'))!.version;
    expect(drifted.drift.map((d) => d.version)).toContain(version);
  });
});
