import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { AppError, ErrorCode } from '../errors';
import type { Logger } from '../logger';
import { createDemoCustomers, quoteTable } from './demo-customers';
import { createDemoOrders, type DemoBuyer } from './demo-orders';
import { intBetween, type Random } from './demo-random';

/**
 * The demo feed of development mode: so that a newcomer running `npm start` sees canonical data
 * change at once, it keeps both demo sources busy, every `intervalMs`:
 *
 * - **orders**: MongoDB-connector change events of a simulated `shop.orders` collection, produced
 *   straight to `ordersTopic` (the seed spec's `raw.mongo.orders`): creates, full updates, partial
 *   updates (`updateDescription` only), deletes followed by tombstones, with strictly increasing
 *   positions (`source.ts_ms`, `source.ord`). New orders are placed by demo customers read from
 *   the table, so the relation `order.customer.account` resolves;
 * - **customers**: real INSERTs, UPDATEs and DELETEs in the demo table of the source PostgreSQL
 *   database (`public.customers`, created when missing), which the Debezium connector registered
 *   by `npm start` turns into change events.
 *
 * Each tick sends a few events. A failure (Kafka or PostgreSQL down, table dropped) is logged once
 * and retried on the next tick; nothing ever throws out of the timer. `stop()` cancels the next
 * tick, waits for the one in flight, and closes the producer and the PostgreSQL pool.
 */

export const DEFAULT_DEMO_CUSTOMERS_TABLE = 'public.customers';

export interface DemoFeedOptions {
  readonly kafka: Kafka;
  /** The source database captured by Debezium (`SOURCE_POSTGRES_URL`). */
  readonly sourcePostgresUrl: string;
  /** Raw topic of the order events (CANONQL_DEMO_ORDERS_TOPIC; `raw.mongo.orders` is the one specs/order.json reads). */
  readonly ordersTopic: string;
  /** Time between the end of one tick and the start of the next; the first tick starts at once. */
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Source of every random choice (default Math.random); pass a seeded one for a fixed stream. */
  readonly random?: Random;
  /** Demo customers table, `schema.table` or `table` (default `public.customers`). */
  readonly customersTable?: string;
}

export interface DemoFeedStats {
  /** Order change events acknowledged by Kafka (tombstones not counted). */
  readonly orderEvents: number;
  /** Rows inserted, updated or deleted in the customers table. */
  readonly customerChanges: number;
}

export interface DemoFeed {
  /** Stops the feed: no tick starts after this is called; resolves once the last one ended. */
  stop(): Promise<void>;
  stats(): DemoFeedStats;
}

/**
 * Starts the feed. Rejects only on invalid options (CONFIG_INVALID); the servers are reached on
 * the first tick, and again after any failure.
 */
export async function startDemoFeed(options: DemoFeedOptions): Promise<DemoFeed> {
  const problems: string[] = [];
  if (!Number.isFinite(options.intervalMs) || options.intervalMs <= 0) problems.push(`intervalMs must be a positive number (got ${options.intervalMs})`);
  if (typeof options.ordersTopic !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(options.ordersTopic))
    problems.push(`ordersTopic "${options.ordersTopic}" is not a valid Kafka topic name`);
  const customersTable = options.customersTable ?? DEFAULT_DEMO_CUSTOMERS_TABLE;
  try {
    quoteTable(customersTable);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length > 0) throw new AppError(ErrorCode.CONFIG_INVALID, `demo feed: ${problems.join('; ')}`, { details: problems });

  const random = options.random ?? Math.random;
  const log = options.logger.child({ component: 'demo-feed' });
  const topic = options.ordersTopic;
  const counters = { orderEvents: 0, customerChanges: 0 };

  const pool = new Pool({ connectionString: options.sourcePostgresUrl, max: 1, connectionTimeoutMillis: 5000, query_timeout: 10000, idleTimeoutMillis: 30000 });
  // An idle client that loses its connection emits 'error' on the pool; unhandled, it would end the process.
  pool.on('error', (error) => log.debug({ err: error }, 'demo feed: idle PostgreSQL connection lost'));
  // Not idempotent: kafkajs' idempotent producer retries forever, which would hold a tick (and
  // stop()) while Kafka is down. A retried duplicate is harmless: canonql sees the same position
  // again and counts it as a duplicate.
  const producer: Producer = options.kafka.producer({
    allowAutoTopicCreation: true,
    maxInFlightRequests: 1,
    retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 3 },
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const orders = createDemoOrders({ random });
  const customers = createDemoCustomers({ pool, table: customersTable, random });

  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  let stopping: Promise<void> | null = null;
  let producerReady = false;
  let tableReady = false;
  const ordersHealth = failureReporter(log, `orders -> ${topic}`);
  const customersHealth = failureReporter(log, `customers -> ${customersTable}`);

  /** Demo customers to place new orders; none while the table is unreachable (made-up people then). */
  const buyers = async (): Promise<DemoBuyer[]> => {
    if (!tableReady) return [];
    try {
      return await customers.buyers(5);
    } catch (error) {
      log.debug({ err: error }, 'demo feed: no buyers this tick');
      return [];
    }
  };

  const feedOrders = async (): Promise<void> => {
    try {
      if (!producerReady) {
        await ensureTopic(options.kafka, topic);
        await producer.connect();
        producerReady = true;
      }
      const batch = orders.next(intBetween(random, 1, 3), await buyers());
      try {
        await producer.send({ topic, acks: -1, messages: batch.messages });
      } catch (error) {
        // Whether these reached Kafka is unknown: never update those orders again.
        orders.forget(batch.touched);
        producerReady = false;
        await producer.disconnect().catch(() => undefined);
        throw error;
      }
      counters.orderEvents += batch.changes;
      log.debug({ topic, actions: batch.actions }, 'demo feed: order events sent');
      ordersHealth.ok();
    } catch (error) {
      ordersHealth.fail(error);
    }
  };

  const feedCustomers = async (): Promise<void> => {
    try {
      if (!tableReady) {
        await customers.ensureTable();
        tableReady = true;
      }
      const changes = intBetween(random, 1, 2);
      for (let i = 0; i < changes && !stopped; i += 1) {
        const done = await customers.next(1);
        counters.customerChanges += done.length;
        if (done.length > 0) log.debug({ table: customersTable, actions: done }, 'demo feed: customers changed');
      }
      customersHealth.ok();
    } catch (error) {
      // The table may have been dropped: make sure it exists again next time.
      tableReady = false;
      customersHealth.fail(error);
    }
  };

  const tick = async (): Promise<void> => {
    try {
      // Customers first: the orders of a tick can be placed by a customer it created.
      await feedCustomers();
      await feedOrders();
    } catch (error) {
      log.error({ err: error }, 'demo feed: tick failed');
    }
  };
  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = null;
      inFlight = tick().finally(() => {
        inFlight = null;
        schedule(options.intervalMs);
      });
    }, delayMs);
  };

  log.info({ ordersTopic: topic, customersTable, intervalMs: options.intervalMs }, 'demo feed started: order events to Kafka, customer changes in PostgreSQL');
  schedule(0);

  return {
    stats: () => ({ ...counters }),
    stop() {
      stopping ??= (async () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        timer = null;
        await inFlight;
        await producer.disconnect().catch(() => undefined);
        await pool.end().catch(() => undefined);
        log.info({ ...counters }, 'demo feed stopped');
      })();
      return stopping;
    },
  };
}

/** Creates the raw topic with one partition, like ingestion does for a raw topic it reads. */
async function ensureTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Logs the first failure of a part as a warning and the recovery as info; repeats only at debug. */
function failureReporter(log: Logger, what: string) {
  let failing = false;
  return {
    ok() {
      if (!failing) return;
      failing = false;
      log.info(`demo feed: ${what} works again`);
    },
    fail(error: unknown) {
      if (failing) {
        log.debug({ err: error }, `demo feed: ${what} still failing`);
        return;
      }
      failing = true;
      log.warn({ err: error }, `demo feed: ${what} failed; retrying every tick`);
    },
  };
}
