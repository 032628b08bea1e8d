import type { Admin } from 'kafkajs';
import { MongoNetworkError } from 'mongodb';
import { KafkaJSConnectionError } from 'kafkajs';
import { AppError, ErrorCode } from '../../../src/errors';
import type { RecordResult } from '../../../src/ingestion/pipeline';
import type { CanonicalEvent } from '../../../src/events/canonical-event';
import { createLagReader, partitionLags } from '../../../src/observability/consumer-lag';
import { classifyFailure } from '../../../src/observability/failure-kind';
import { ANONYMOUS_OPERATION, OTHER_OPERATION, createOperationLabels } from '../../../src/observability/operation-label';
import { requestIdFrom } from '../../../src/observability/request-id';
import { createServiceMetrics } from '../../../src/observability/service-metrics';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it('keeps a sane caller id and replaces anything else with a fresh UUID', () => {
    expect(requestIdFrom('abc-123_X.y:z')).toBe('abc-123_X.y:z');
    expect(requestIdFrom(['first-id', 'second'])).toBe('first-id');
    for (const bad of [undefined, '', ' leading-space', 'has space', 'quote"', 'x'.repeat(129), 'new\nline', '<script>']) {
      expect(requestIdFrom(bad)).toMatch(UUID);
    }
    expect(requestIdFrom(undefined)).not.toBe(requestIdFrom(undefined));
  });
});

describe('operation labels', () => {
  it('names anonymous operations, refuses odd names and caps the number of distinct names', () => {
    const label = createOperationLabels(2);
    expect(label(undefined)).toBe(ANONYMOUS_OPERATION);
    expect(label(null)).toBe(ANONYMOUS_OPERATION);
    expect(label('Orders')).toBe('Orders');
    expect(label('bad name')).toBe(OTHER_OPERATION);
    expect(label('Customers')).toBe('Customers');
    expect(label('Third')).toBe(OTHER_OPERATION);
    expect(label('Orders')).toBe('Orders');
  });
});

describe('classifyFailure', () => {
  it('tells store and Kafka failures apart, also when wrapped, and ignores the rest', () => {
    expect(classifyFailure(new AppError(ErrorCode.STORE_UNAVAILABLE, 'x'))).toBe('store');
    expect(classifyFailure(new AppError(ErrorCode.STORE_TIMEOUT, 'x'))).toBe('store');
    expect(classifyFailure(new AppError(ErrorCode.KAFKA_UNAVAILABLE, 'x'))).toBe('kafka');
    expect(classifyFailure(new MongoNetworkError('connection reset'))).toBe('store');
    expect(classifyFailure(new KafkaJSConnectionError('refused'))).toBe('kafka');
    expect(classifyFailure(new AppError(ErrorCode.INTERNAL, 'wrapped', { cause: new MongoNetworkError('reset') }))).toBe('store');
    expect(classifyFailure(new TypeError('bug'))).toBeNull();
    expect(classifyFailure(new AppError(ErrorCode.VALIDATION_FAILED, 'bad'))).toBeNull();
    expect(classifyFailure('a string')).toBeNull();
  });
});

describe('partitionLags', () => {
  it('is end minus committed, from the low watermark when nothing is committed, never negative', () => {
    const lags = partitionLags(
      'g',
      [
        {
          topic: 'a',
          partitions: [
            { partition: 0, offset: '40' },
            { partition: 1, offset: '-1' },
            { partition: 2, offset: '90' },
          ],
        },
      ],
      [
        {
          topic: 'a',
          partitions: [
            { partition: 1, high: '30', low: '5' },
            { partition: 0, high: '100', low: '0' },
            { partition: 2, high: '80', low: '0' },
          ],
        },
        { topic: 'b', partitions: [{ partition: 0, high: '7', low: '0' }] },
      ],
    );
    expect(lags).toEqual([
      { group: 'g', topic: 'a', partition: 0, lag: 60 },
      { group: 'g', topic: 'a', partition: 1, lag: 25 },
      { group: 'g', topic: 'a', partition: 2, lag: 0 },
      { group: 'g', topic: 'b', partition: 0, lag: 7 },
    ]);
  });
});

describe('createLagReader', () => {
  const stubAdmin = (calls: string[], fail = new Set<string>()) =>
    ({
      async fetchOffsets({ topics }: { topics: string[] }) {
        calls.push('offsets');
        return topics.map((topic) => ({ topic, partitions: [{ partition: 0, offset: '3' }] }));
      },
      async fetchTopicOffsets(topic: string) {
        calls.push(`ends:${topic}`);
        if (fail.has(topic)) throw new KafkaJSConnectionError('no such topic');
        return [{ partition: 0, offset: '10', high: '10', low: '0' }];
      },
    }) as unknown as Admin;

  it('reads at most once per cache interval, shares a read in flight, and sums over topics', async () => {
    const calls: string[] = [];
    let now = 1000;
    const reader = createLagReader({ admin: stubAdmin(calls), groupId: 'g', topics: () => ['b', 'a', 'a'], cacheMs: 5000, now: () => now });
    const [first, second] = await Promise.all([reader.read(), reader.read()]);
    expect(first).toBe(second);
    expect(calls).toEqual(['offsets', 'ends:a', 'ends:b']);
    expect(await reader.total(['a'])).toBe(7);
    expect(await reader.total(['a', 'b', 'c'])).toBe(14);
    expect(calls).toHaveLength(3);
    now += 5000;
    await reader.read();
    expect(calls).toHaveLength(6);
  });

  it('a topic Kafka cannot describe is left out and reported; the others still count', async () => {
    const calls: string[] = [];
    const errors: unknown[] = [];
    const reader = createLagReader({
      admin: stubAdmin(calls, new Set(['b'])),
      groupId: 'g',
      topics: () => ['a', 'b'],
      cacheMs: 0,
      onError: (e) => errors.push(e),
    });
    expect(await reader.read()).toEqual([{ group: 'g', topic: 'a', partition: 0, lag: 7 }]);
    expect(errors).toHaveLength(1);
  });
});

describe('service metrics', () => {
  const event = (subject: string, sourceTsMs: number | null) => ({ subject, sourceTsMs }) as unknown as CanonicalEvent;

  it('counts outcomes and dead letters per batch, and latency of newly applied events only', async () => {
    const metrics = createServiceMetrics({ defaultMetrics: false });
    const results: RecordResult[] = [
      { outcome: 'applied', subject: 'order', publish: event('order', 9000) },
      { outcome: 'applied', subject: 'order', publish: event('order', null) },
      // A replayed event re-published: its age is not this batch's latency.
      { outcome: 'duplicate', subject: 'order', publish: event('order', 1) },
      { outcome: 'skipped', reason: 'tombstone' },
      {
        outcome: 'dead-lettered',
        reason: 'DECODE_FAILED',
        deadLetter: { topic: 'raw', partition: 0, offset: '3', key: null, value: null, code: 'DECODE_FAILED', message: 'bad' },
      },
    ];
    metrics.batchCommitted('raw', results, 10000);
    const text = await metrics.registry.metrics();
    expect(text).toContain('canonql_ingest_events_total{subject="order",topic="raw",outcome="applied"} 2');
    expect(text).toContain('canonql_ingest_events_total{subject="order",topic="raw",outcome="duplicate"} 1');
    expect(text).toContain('canonql_ingest_events_total{subject="",topic="raw",outcome="skipped"} 1');
    expect(text).toContain('canonql_dead_letters_total{topic="raw",code="DECODE_FAILED"} 1');
    expect(text).toContain('canonql_source_to_canonical_seconds_count{subject="order"} 1');
    expect(text).toContain('canonql_source_to_canonical_seconds_bucket{le="1",subject="order"} 1');
    expect(text).toContain('canonql_source_to_canonical_seconds_bucket{le="0.5",subject="order"} 0');
    expect(text).not.toContain('process_cpu_user_seconds_total');
  });

  it('registries of two instances are independent, and gauges read at scrape time', async () => {
    const a = createServiceMetrics();
    const b = createServiceMetrics();
    let subscribers = 3;
    a.gaugeFrom('canonql_test_gauge', 'test', () => subscribers);
    a.websocketOpened();
    a.websocketOpened();
    a.websocketClosed();
    a.recordFailure('graphql', new MongoNetworkError('x'));
    a.lagFrom(async () => [{ group: 'g', topic: 't', partition: 1, lag: 42 }]);
    subscribers = 5;
    const text = await a.registry.metrics();
    expect(text).toContain('canonql_test_gauge 5');
    expect(text).toContain('canonql_websocket_connections 1');
    expect(text).toContain('canonql_store_errors_total{component="graphql"} 1');
    expect(text).toContain('canonql_consumer_lag{group="g",topic="t",partition="1"} 42');
    expect(text).toContain('process_cpu_user_seconds_total');
    const other = await b.registry.metrics();
    expect(other).toContain('canonql_websocket_connections 0');
    expect(other).not.toContain('canonql_test_gauge');
  });
});
