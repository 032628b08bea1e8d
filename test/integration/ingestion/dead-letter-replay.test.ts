import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { mongoChange, produce } from '../../support/debezium-messages';
import { createLeftovers, testKafka, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * A dead letter keeps the record whole, so a replay decodes it exactly as Kafka delivered it:
 * a flattened record whose operation, position and commit time travel in Kafka headers
 * (ExtractNewRecordState `add.headers`) is applied after the fix with the same position and time
 * it would have had; a value that is not UTF-8 (a registry-encoded record, say) is stored and sent
 * to the dead-letter topic byte for byte, with the original headers beside canonql's own. A null
 * value whose headers say `__op: d` (`delete.handling.mode=none`) deletes its entity; a plain
 * tombstone does not.
 */
describe('dead letters keep the whole record', () => {
  const kafka = testKafka();
  const topic = uniqueName('raw.pg.parcels');
  const deadLetterTopic = uniqueName('deadletter');
  const leftovers = createLeftovers();
  let target: AppUnderTest;
  const ok = <T>(query: string, variables: Record<string, unknown> = {}) => target.ok<T>(query, variables);

  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Parcel',
    type: 'object',
    properties: { parcelId: { type: 'string' }, status: { type: 'string' } },
    required: ['parcelId'],
    additionalProperties: false,
  };
  const spec = (version: number, statuses: Record<string, string>) => ({
    mappingId: 'parcel-canonicalization',
    version,
    source: { type: 'kafka', topic },
    target: { subject: 'parcel' },
    key: { source: true },
    fieldMappings: [
      { src: '$.id', dst: '$.parcelId', transform: 'string' },
      { src: '$.status', dst: '$.status', transform: { name: 'enum', args: { map: statuses } } },
    ],
  });
  const binaryValue = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x2a, 0xff, 0xfe, 0x80, 0x01]);

  beforeAll(async () => {
    target = await startAppUnderTest('dead-letter-replay', { CANONQL_DEADLETTER_TOPIC: deadLetterTopic });
    leftovers.add(() => target.stop());
  });
  afterAll(() => leftovers.dispose());

  it('replays a header-carried change with its position and time, and keeps binary values exact', async () => {
    await ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "parcel", schema: $s, expectedVersion: 0) { version } }', { s: schema });
    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version } }', { s: spec(1, { new: 'new' }) });

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: '{"id":1}', value: '{"id":1,"status":"new"}', headers: { __op: 'c', __lsn: '1000', __source_ts_ms: '1700000000000' } },
        // Fails the v1 mapping (no "lost" in the enum): dead-lettered with its headers.
        { key: '{"id":2}', value: '{"id":2,"status":"lost"}', headers: { __op: 'c', __lsn: '1001', __source_ts_ms: '1700000001000' } },
        // Not JSON, not UTF-8: dead-lettered as undecodable.
        { key: '{"id":3}', value: binaryValue, headers: { __op: 'c', 'trace-id': Buffer.from([0xde, 0xad, 0xbe, 0xef]) } },
      ],
    });
    await producer.disconnect();

    type Letter = {
      id: string;
      offset: string;
      code: string;
      value: string | null;
      valueBase64: string | null;
      headers: { name: string; value: string | null; valueBase64: string | null }[];
      timestamp: string | null;
    };
    const letters = await waitFor(
      'two dead letters',
      async () => {
        const data = await ok<{ deadLetters: Letter[] }>(
          'query($t: String!) { deadLetters(filter: { topic: $t }) { id offset code value valueBase64 headers { name value valueBase64 } timestamp } }',
          { t: topic },
        );
        return data.deadLetters.length === 2 ? [...data.deadLetters].sort((a, b) => Number(a.offset) - Number(b.offset)) : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const [mapping, binary] = letters as [Letter, Letter];
    expect(mapping.code).toBe('MAPPING_FAILED');
    expect(mapping.value).toBe('{"id":2,"status":"lost"}');
    expect(mapping.headers).toEqual([
      { name: '__op', value: 'c', valueBase64: Buffer.from('c').toString('base64') },
      { name: '__lsn', value: '1001', valueBase64: Buffer.from('1001').toString('base64') },
      { name: '__source_ts_ms', value: '1700000001000', valueBase64: Buffer.from('1700000001000').toString('base64') },
    ]);
    expect(Number(mapping.timestamp)).toBeGreaterThan(0);
    expect(binary.value).toBeNull();
    expect(binary.valueBase64).toBe(binaryValue.toString('base64'));
    expect(binary.headers).toContainEqual({ name: 'trace-id', value: null, valueBase64: Buffer.from([0xde, 0xad, 0xbe, 0xef]).toString('base64') });

    // The dead-letter topic carries the original bytes and headers, and canonql's reason.
    const consumer = kafka.consumer({ groupId: uniqueName('dead-letter-reader') });
    leftovers.add(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic: deadLetterTopic, fromBeginning: true });
    const onTopic: { value: Buffer | null; headers: Record<string, Buffer> }[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        onTopic.push({ value: message.value, headers: message.headers as Record<string, Buffer> });
      },
    });
    await waitFor('both letters on the dead-letter topic', async () => (onTopic.length >= 2 ? true : undefined), { timeoutMs: 60_000 });
    const binaryOnTopic = onTopic.find((m) => m.headers['canonql-original-offset']?.toString() === binary.offset);
    expect(binaryOnTopic?.value?.equals(binaryValue)).toBe(true);
    expect(binaryOnTopic?.headers['trace-id']?.equals(Buffer.from([0xde, 0xad, 0xbe, 0xef]))).toBe(true);
    expect(binaryOnTopic?.headers['canonql-error-code']?.toString()).toBe(binary.code);

    // After the fix, the replay decodes the headers again: position and commit time are the
    // change's own, not the Kafka offset and the replay's clock.
    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version } }', { s: spec(2, { new: 'new', lost: 'lost' }) });
    const replayed = await ok<{ replayDeadLetters: { outcome: string }[] }>('mutation($ids: [ID!]) { replayDeadLetters(ids: $ids) { outcome } }', {
      ids: [mapping.id],
    });
    expect(replayed.replayDeadLetters).toEqual([{ outcome: 'applied' }]);
    const parcel = await ok<{ parcel: { status: string; _meta: { position: string; sourceTs: string } } }>(
      '{ parcel(id: "2") { status _meta { position sourceTs } } }',
    );
    expect(parcel.parcel.status).toBe('lost');
    expect(parcel.parcel._meta.sourceTs).toBe('2023-11-14T22:13:21.000Z');
    expect(parcel.parcel._meta.position).toMatch(/1001/);

    // delete.handling.mode=none with add.headers: a delete is a null value whose headers say
    // __op: d, and it deletes the entity; a plain tombstone (no such header) changes nothing.
    const deleter = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await deleter.connect();
    await deleter.send({
      topic,
      messages: [
        { key: '{"id":2}', value: null },
        { key: '{"id":1}', value: null, headers: { __op: 'd', __lsn: '1002', __source_ts_ms: '1700000002000' } },
      ],
    });
    await deleter.disconnect();
    await waitFor('parcel 1 deleted', async () => ((await ok<{ parcel: unknown }>('{ parcel(id: "1") { status } }')).parcel === null ? true : undefined), {
      timeoutMs: 60_000,
    });
    // One partition, in order: the tombstone of parcel 2 was read before the delete of parcel 1.
    expect((await ok<{ parcel: { status: string } | null }>('{ parcel(id: "2") { status } }')).parcel).toEqual({ status: 'lost' });
  });

  it('replays letters in the order their records were consumed: offset 9 before offset 10', async () => {
    // Two partial updates (MongoDB updateDescription) of one entity at offsets 9 and 10, each
    // setting a field of its own, both dead-lettered. Replayed offset 10 first (the ids sort as
    // text), offset 9 would be older than the state: stale, and its field lost.
    const crates = uniqueName('raw.mongo.crates');
    await ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "crate", schema: $s, expectedVersion: 0) { version } }', {
      s: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        title: 'Crate',
        type: 'object',
        properties: { crateId: { type: 'string' }, color: { type: 'string' }, size: { type: 'string' } },
        additionalProperties: false,
      },
    });
    const crateSpec = (version: number, colors: Record<string, string>, sizes: Record<string, string>) => ({
      mappingId: 'crate-canonicalization',
      version,
      source: { type: 'kafka', topic: crates },
      target: { subject: 'crate' },
      key: { source: true },
      fieldMappings: [
        { src: '$.crateId', dst: '$.crateId', transform: 'string' },
        { src: '$.color', dst: '$.color', transform: { name: 'enum', args: { map: colors } } },
        { src: '$.size', dst: '$.size', transform: { name: 'enum', args: { map: sizes } } },
      ],
    });
    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version } }', { s: crateSpec(1, { red: 'red' }, { s: 's' }) });
    const tsMs = 1_700_000_000_000;
    await produce(kafka, crates, [
      // Offsets 0-8: crate 0 to crate 8 created.
      ...Array.from({ length: 9 }, (_, n) =>
        mongoChange({ op: 'c', id: `c${n}`, tsMs: tsMs + n, ord: 1, collection: 'crates', after: { crateId: `c${n}`, color: 'red', size: 's' } }),
      ),
      // Offsets 9 and 10: crate 0's color, then its size, neither known to spec version 1.
      mongoChange({ op: 'u', id: 'c0', tsMs: tsMs + 100, ord: 1, collection: 'crates', updatedFields: { color: 'blue' } }),
      mongoChange({ op: 'u', id: 'c0', tsMs: tsMs + 200, ord: 1, collection: 'crates', updatedFields: { size: 'xl' } }),
    ]);
    const letters = await waitFor(
      'the letters of offsets 9 and 10',
      async () => {
        const data = await ok<{ deadLetters: { id: string; offset: string; code: string }[] }>(
          'query($t: String!) { deadLetters(filter: { topic: $t }) { id offset code } }',
          { t: crates },
        );
        return data.deadLetters.length === 2 ? data.deadLetters : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(letters.map((l) => [l.offset, l.code]).sort()).toEqual([
      ['10', 'MAPPING_FAILED'],
      ['9', 'MAPPING_FAILED'],
    ]);

    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version } }', {
      s: crateSpec(2, { red: 'red', blue: 'blue' }, { s: 's', xl: 'xl' }),
    });
    const replayed = await ok<{ replayDeadLetters: { id: string; outcome: string }[] }>(
      'mutation($t: String!) { replayDeadLetters(filter: { topic: $t }) { id outcome } }',
      { t: crates },
    );
    expect(replayed.replayDeadLetters.map((r) => r.outcome)).toEqual(['applied', 'applied']);
    expect(replayed.replayDeadLetters.map((r) => r.id.split(':')[2])).toEqual(['9', '10']);
    const crate = await ok<{ crates: { edges: { node: { crateId: string; color: string; size: string; _meta: { version: number } } }[] } }>(
      '{ crates(first: 20, where: { crateId: { eq: "c0" } }) { edges { node { crateId color size _meta { version } } } } }',
    );
    expect(crate.crates.edges.map((e) => e.node)).toEqual([{ crateId: 'c0', color: 'blue', size: 'xl', _meta: { version: 3 } }]);
  });
});

/**
 * A canonical event too large for its topic, met again by a replay or a backfill: the state is
 * written, the event is dead-lettered EVENT_TOO_LARGE and left unpublished (never marked published
 * or silently dropped); once the topic's limit is raised, a replay publishes the logged event while
 * it is still the entity's latest, and resolves an older one `stale` (SUPERSEDED) without
 * publishing it after the newer change.
 */
describe('oversized canonical events in replays and backfills', () => {
  const kafka = testKafka();
  const topic = uniqueName('raw.pg.blobs');
  const prefix = `${uniqueName('canonical')}.`;
  const canonicalTopic = `${prefix}blob`;
  const leftovers = createLeftovers();
  let target: AppUnderTest;
  const ok = <T>(query: string, variables: Record<string, unknown> = {}) => target.ok<T>(query, variables);
  const body = 'b'.repeat(1536 * 1024);
  const spec = (version: number, bodyTransform: string) => ({
    mappingId: 'blob-canonicalization',
    version,
    source: { type: 'kafka', topic },
    target: { subject: 'blob' },
    key: { source: true },
    fieldMappings: [
      { src: '$.id', dst: '$.blobId', transform: 'string' },
      { src: '$.body', dst: '$.body', transform: bodyTransform },
    ],
  });

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    // The raw record is 1.5 MB: its own topic accepts it; the canonical topic keeps the 1 MiB default.
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }] }] });
    await admin.disconnect();
    target = await startAppUnderTest('oversized-replay', { CANONQL_CANONICAL_TOPIC_PREFIX: prefix });
    leftovers.add(() => target.stop());
  });
  afterAll(() => leftovers.dispose());

  it('dead-letters the event of a replay and of a backfill, and publishes it by replay once the limit is raised', async () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'Blob',
      type: 'object',
      properties: { blobId: { type: 'string' }, body: { type: 'string' } },
      required: ['blobId'],
      additionalProperties: false,
    };
    await ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "blob", schema: $s, expectedVersion: 0) { version } }', { s: schema });
    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version } }', { s: spec(1, 'string') });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, messages: [{ key: '{"id":1}', value: JSON.stringify({ id: 1, body }), headers: { __op: 'c', __lsn: '7' } }] });
    await producer.disconnect();

    const letter = await waitFor(
      'the EVENT_TOO_LARGE letter of ingestion',
      async () => {
        const data = await ok<{ deadLetters: { id: string; code: string }[] }>('query($t: String!) { deadLetters(filter: { topic: $t }) { id code } }', {
          t: topic,
        });
        return data.deadLetters[0];
      },
      { timeoutMs: 60_000 },
    );
    expect(letter.code).toBe('EVENT_TOO_LARGE');
    const stored = await ok<{ blob: { body: string } }>('{ blob(id: "1") { body } }');
    expect(stored.blob.body).toHaveLength(body.length);

    // A replay meets the same limit: the letter stays open with its reason (not resolved as a duplicate).
    const replay = 'mutation($ids: [ID!]) { replayDeadLetters(ids: $ids) { outcome code } }';
    expect((await ok<{ replayDeadLetters: unknown[] }>(replay, { ids: [letter.id] })).replayDeadLetters).toEqual([
      { outcome: 'dead-lettered', code: 'EVENT_TOO_LARGE' },
    ]);

    // A backfill of a spec that rewrites the entity: written, its event counted unpublished.
    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version } }', { s: spec(2, 'uppercase') });
    const job = await ok<{ backfillMappingSpec: { id: string } }>('mutation { backfillMappingSpec(id: "blob-canonicalization") { id } }');
    const done = await waitFor(
      'the backfill job',
      async () => {
        const data = await ok<{ backfillJob: { status: string; rewritten: number; unpublished: number; error: string | null } }>(
          'query($id: ID!) { backfillJob(id: $id) { status rewritten unpublished error } }',
          { id: job.backfillMappingSpec.id },
        );
        return data.backfillJob.status === 'running' ? undefined : data.backfillJob;
      },
      { timeoutMs: 60_000 },
    );
    expect(done).toEqual({ status: 'completed', rewritten: 1, unpublished: 1, error: null });
    expect((await ok<{ blob: { body: string } }>('{ blob(id: "1") { body } }')).blob.body).toBe(body.toUpperCase());
    const letters = await ok<{ deadLetters: { id: string; code: string }[] }>('query($t: String!) { deadLetters(filter: { topic: $t }) { id code } }', {
      t: topic,
    });
    expect(letters.deadLetters.map((l) => l.code)).toEqual(['EVENT_TOO_LARGE', 'EVENT_TOO_LARGE']);

    // The topic's limit raised: a replay finds the change applied and publishes its logged event.
    const admin = kafka.admin();
    await admin.connect();
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: canonicalTopic, configEntries: [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }] }],
    });
    await admin.disconnect();
    // Both letters replayed. The backfill's event (version 2) is the entity's latest: published.
    // The change's event (version 1) is older than the state: published now it would follow
    // version 2 on the topic and a subscriber would end on version 1, so it is resolved stale.
    const ids = letters.deadLetters.map((l) => l.id);
    const resolved = await waitFor(
      'replays past the raised limit',
      async () => {
        const results = (
          await ok<{ replayDeadLetters: { id: string; outcome: string; code: string | null }[] }>(
            'mutation($ids: [ID!]) { replayDeadLetters(ids: $ids) { id outcome code } }',
            { ids },
          )
        ).replayDeadLetters;
        return results.some((r) => r.outcome === 'dead-lettered') ? undefined : results;
      },
      { timeoutMs: 30_000, intervalMs: 1500 },
    );
    expect(Object.fromEntries(resolved.map(({ id, ...r }) => [id === letter.id ? 'change' : 'backfill', r]))).toEqual({
      change: { outcome: 'stale', code: 'SUPERSEDED' },
      backfill: { outcome: 'duplicate', code: null },
    });
    const consumer = kafka.consumer({ groupId: uniqueName('oversized-reader'), maxBytes: 16 * 1024 * 1024, maxBytesPerPartition: 16 * 1024 * 1024 });
    leftovers.add(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic: canonicalTopic, fromBeginning: true });
    type OnTopic = { version: number; bodyOmitted: boolean; body: string | undefined };
    const events: OnTopic[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        const event = JSON.parse(message.value?.toString() ?? 'null') as { version: number; bodyOmitted?: boolean; after: { body?: string } | null };
        events.push({ version: event.version, bodyOmitted: event.bodyOmitted === true, body: event.after?.body });
      },
    });
    // One entity, one partition: once the whole version 2 is read, everything before it is too.
    await waitFor('the whole version 2', async () => (events.some((e) => e.version === 2 && !e.bodyOmitted) ? true : undefined), { timeoutMs: 60_000 });
    // References (re-sent by each replay that met the limit) and the whole version 2 last; the
    // whole version 1 is never sent.
    expect(events.filter((e) => !e.bodyOmitted).map((e) => e.version)).toEqual([2]);
    expect(events.at(-1)).toMatchObject({ version: 2, bodyOmitted: false });
    expect(events.at(-1)?.body).toBe(body.toUpperCase());
    const [stale] = (
      await ok<{ deadLetters: { id: string; resolution: string | null }[] }>(
        'query($t: String!) { deadLetters(filter: { topic: $t, includeResolved: true }) { id resolution } }',
        { t: topic },
      )
    ).deadLetters.filter((l) => l.id === letter.id);
    expect(stale?.resolution).toBe('stale');
  });
});
