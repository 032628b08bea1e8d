import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { classifyFailure } from './failure-kind';
import type { PartitionLag } from './consumer-lag';

/** What the ingestion counters read of one record's result (ingestion/pipeline.ts `RecordResult` is one). */
export interface CommittedRecord {
  readonly outcome: string;
  readonly subject?: string;
  readonly deadLetter?: { readonly code: string };
  readonly publish?: { readonly subject: string; readonly sourceTsMs: number | null };
}

/**
 * The Prometheus metrics of one app instance, in a registry of its own (never prom-client's global
 * one): several apps run in one test process, and each must scrape only what it counted.
 *
 * Counters move only once the thing they count is durable (a batch's outcomes after its commit),
 * so a dashboard never shows work a restart would redo. Labels are bounded: subjects, raw topics,
 * error codes and partitions are finite sets the operator controls; GraphQL operation names come
 * from clients, so they are capped (see operation-label.ts).
 */
export interface ServiceMetrics {
  readonly registry: Registry;
  /**
   * What one ingestion batch of `topic` did, once committed (at `committedAtMs`): outcomes, dead
   * letters, and source-to-canonical latency of the events it applied.
   */
  batchCommitted(topic: string, results: readonly CommittedRecord[], committedAtMs: number): void;
  /** A failure seen by `component`; counted when it came from the store or Kafka. */
  recordFailure(component: string, error: unknown): void;
  /** One GraphQL operation finished. */
  operationFinished(operation: string, type: string, outcome: 'ok' | 'error', seconds: number): void;
  websocketOpened(): void;
  websocketClosed(): void;
  subscriptionStarted(): void;
  subscriptionEnded(): void;
  /** A gauge read at scrape time (counts other components keep, e.g. change-feed subscribers). */
  gaugeFrom(name: string, help: string, read: () => number): void;
  /** Where the consumer-lag gauge reads from (a cached admin query, see consumer-lag.ts). */
  lagFrom(read: () => Promise<readonly PartitionLag[]>): void;
}

/** Seconds from a source commit to its canonical event being durable and published. */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];
export const OPERATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createServiceMetrics(options: { defaultMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const events = new Counter({
    name: 'canonql_ingest_events_total',
    help: 'Ingestion outcomes of committed batches, one per (raw record, spec): applied, duplicate, stale, skipped, dead-lettered.',
    labelNames: ['subject', 'topic', 'outcome'] as const,
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: 'canonql_dead_letters_total',
    help: 'Raw records sent to the dead-letter topic and collection, by raw topic and error code.',
    labelNames: ['topic', 'code'] as const,
    registers: [registry],
  });
  const batches = new Counter({
    name: 'canonql_ingest_batches_total',
    help: 'Ingestion batches committed, by raw topic.',
    labelNames: ['topic'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'canonql_source_to_canonical_seconds',
    help: 'Time from the source commit (Debezium source.ts_ms) to the commit of the batch that applied it, per subject.',
    labelNames: ['subject'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const operations = new Histogram({
    name: 'canonql_graphql_operation_duration_seconds',
    help: 'GraphQL operations over HTTP, from request to response, by operation name, type and outcome.',
    labelNames: ['operation', 'type', 'outcome'] as const,
    buckets: OPERATION_BUCKETS,
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: 'canonql_store_errors_total',
    help: 'Failures talking to the state store (MongoDB), by the component that saw them.',
    labelNames: ['component'] as const,
    registers: [registry],
  });
  const kafkaErrors = new Counter({
    name: 'canonql_kafka_errors_total',
    help: 'Failures talking to Kafka, by the component that saw them.',
    labelNames: ['component'] as const,
    registers: [registry],
  });
  const websockets = new Gauge({
    name: 'canonql_websocket_connections',
    help: 'Open graphql-ws websocket connections.',
    registers: [registry],
  });
  const subscriptions = new Gauge({
    name: 'canonql_graphql_subscriptions',
    help: 'Active GraphQL subscription operations over websockets.',
    registers: [registry],
  });
  let readLag: (() => Promise<readonly PartitionLag[]>) | null = null;
  new Gauge({
    name: 'canonql_consumer_lag',
    help: 'Messages of the raw topics the ingestion consumer group has not committed yet, per partition (end offset - committed offset).',
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: [registry],
    async collect() {
      if (!readLag) return;
      this.reset();
      for (const lag of await readLag()) this.set({ group: lag.group, topic: lag.topic, partition: String(lag.partition) }, lag.lag);
    },
  });

  return {
    registry,
    batchCommitted(topic, results, committedAtMs) {
      batches.inc({ topic });
      for (const result of results) {
        events.inc({ subject: result.subject ?? '', topic, outcome: result.outcome });
        if (result.deadLetter) deadLetters.inc({ topic, code: result.deadLetter.code });
        // Only new events: a replayed one re-published after a crash would report its old age.
        const sourceTsMs = result.outcome === 'applied' ? result.publish?.sourceTsMs : null;
        if (typeof sourceTsMs !== 'number') continue;
        // A source clock ahead of ours is not negative latency: it is "now".
        latency.observe({ subject: result.publish!.subject }, Math.max(0, committedAtMs - sourceTsMs) / 1000);
      }
    },
    recordFailure(component, error) {
      const kind = classifyFailure(error);
      if (kind === 'store') storeErrors.inc({ component });
      else if (kind === 'kafka') kafkaErrors.inc({ component });
    },
    operationFinished(operation, type, outcome, seconds) {
      operations.observe({ operation, type, outcome }, seconds);
    },
    websocketOpened: () => websockets.inc(),
    websocketClosed: () => websockets.dec(),
    subscriptionStarted: () => subscriptions.inc(),
    subscriptionEnded: () => subscriptions.dec(),
    gaugeFrom(name, help, read) {
      if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    },
    lagFrom(read) {
      readLag = read;
    },
  };
}
