import { createConnectClient } from '../../src/infra/connect-client';
import { startPostgresCapture } from '../support/debezium-connector';
import { collectMessages } from '../support/kafka-messages';
import { createLeftovers, testConfig, testKafka, testPostgres, uniqueName } from '../support/test-env';

describe('Debezium PostgreSQL connector on the stack', () => {
  const leftovers = createLeftovers();
  afterAll(() => leftovers.dispose());

  it('offers the PostgreSQL connector plugin', async () => {
    const plugins = await createConnectClient(testConfig.connectUrl).plugins();
    expect(plugins.map((p) => p.class)).toContain('io.debezium.connector.postgresql.PostgresConnector');
  });

  it('turns INSERT, UPDATE and DELETE into change events on Kafka, with a tombstone after the delete', async () => {
    const table = uniqueName('customers');
    const pg = await testPostgres();
    leftovers.add(() => pg.end());
    await pg.query(`CREATE TABLE public.${table} (id serial PRIMARY KEY, email text NOT NULL, balance numeric(12,2))`);
    // FULL replica identity gives Debezium complete `before` images on update and delete.
    await pg.query(`ALTER TABLE public.${table} REPLICA IDENTITY FULL`);
    leftovers.add(() => pg.query(`DROP TABLE IF EXISTS public.${table}`));

    const capture = await startPostgresCapture([`public.${table}`]);
    leftovers.add(() => capture.stop());
    expect(capture.status.connector.state).toBe('RUNNING');

    await pg.query(`INSERT INTO public.${table} (email, balance) VALUES ('ada@example.com', 10.50)`);
    await pg.query(`UPDATE public.${table} SET email = 'ada@example.org' WHERE id = 1`);
    await pg.query(`DELETE FROM public.${table} WHERE id = 1`);

    const messages = await collectMessages(testKafka(), capture.topicFor(`public.${table}`), (m) => m.length >= 4);
    const [insert, update, remove, tombstone] = messages.map((m) => ({ key: JSON.parse(m.key!), value: m.value === null ? null : JSON.parse(m.value) }));

    expect(insert!.value.payload).toMatchObject({ op: 'c', before: null, after: { id: 1, email: 'ada@example.com' } });
    expect(update!.value.payload).toMatchObject({ op: 'u', before: { email: 'ada@example.com' }, after: { email: 'ada@example.org' } });
    expect(remove!.value.payload).toMatchObject({ op: 'd', before: { id: 1, email: 'ada@example.org' }, after: null });
    expect(tombstone!.value).toBeNull();
    expect(tombstone!.key.payload).toEqual({ id: 1 });

    const lsns = [insert, update, remove].map((m) => m!.value.payload.source.lsn as number);
    expect(lsns.every((lsn) => Number.isInteger(lsn) && lsn > 0)).toBe(true);
    expect([...lsns].sort((a, b) => a - b)).toEqual(lsns);
    expect(insert!.value.payload.source).toMatchObject({ connector: 'postgresql', table, schema: 'public', db: 'canonql_source' });
    // numeric(12,2) travels as a Connect Decimal: base64 bytes with the scale in the schema.
    const balanceField = insert!.value.schema.fields
      .find((f: { field: string }) => f.field === 'after')
      .fields.find((f: { field: string }) => f.field === 'balance');
    expect(balanceField).toMatchObject({ name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '2' } });
  });
});
