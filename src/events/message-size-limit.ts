import type { Admin, Kafka } from 'kafkajs';
import { ConfigResourceTypes } from 'kafkajs';

/**
 * The largest record batch Kafka accepts on a topic: the topic's `max.message.bytes`, which is the
 * broker's `message.max.bytes` unless the topic overrides it (describeConfigs reports the
 * effective value either way). Read from the cluster and cached per topic for `cacheMs`, so a limit
 * an operator raises is picked up without a restart; `CANONQL_PUBLISH_MAX_BYTES` can only lower it.
 *
 * The lookups share one admin client, connected at the first and kept until `close`: connecting
 * one asks the cluster for the metadata of every topic, which on a broker with many topics cost
 * more than the lookup itself, once per topic and minute (once per second in backfills).
 */
export interface MessageSizeLimit {
  /** The limit of `topic` in bytes. */
  limitFor(topic: string): Promise<number>;
  /** Forgets a cached limit (after the broker refused a request as too large). */
  forget(topic: string): void;
  /** Disconnects the admin client (a later lookup connects another). */
  close(): Promise<void>;
}

/** Kafka's own default for `message.max.bytes` (1 MiB + the record batch overhead). */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

export function createMessageSizeLimit(options: { readonly kafka: Kafka; readonly cap?: number | null; readonly cacheMs?: number }): MessageSizeLimit {
  const cacheMs = options.cacheMs ?? 60_000;
  const cached = new Map<string, { limit: Promise<number>; at: number }>();
  let client: Promise<Admin> | null = null;

  /** The shared admin client; one whose connect failed is dropped, so the next lookup tries again. */
  function connected(): Promise<Admin> {
    if (client) return client;
    const admin = options.kafka.admin();
    const connecting = admin.connect().then(() => admin);
    client = connecting;
    connecting.catch(() => {
      if (client === connecting) client = null;
    });
    return connecting;
  }

  async function read(topic: string): Promise<number> {
    const admin = await connected();
    let limit = await sizeConfig(admin, ConfigResourceTypes.TOPIC, topic, 'max.message.bytes');
    if (limit === null) {
      // The topic is not there yet (it is created on first publish): the broker's default applies.
      const cluster = await admin.describeCluster();
      const broker = String(cluster.controller ?? cluster.brokers[0]?.nodeId ?? 0);
      limit = (await sizeConfig(admin, ConfigResourceTypes.BROKER, broker, 'message.max.bytes')) ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
    }
    return options.cap ? Math.min(limit, options.cap) : limit;
  }

  return {
    limitFor(topic) {
      const hit = cached.get(topic);
      if (hit && Date.now() - hit.at < cacheMs) return hit.limit;
      const limit = read(topic);
      cached.set(topic, { limit, at: Date.now() });
      limit.catch(() => cached.delete(topic));
      return limit;
    },
    forget: (topic) => void cached.delete(topic),
    async close() {
      const closing = client;
      client = null;
      if (closing) await (await closing.catch(() => null))?.disconnect().catch(() => undefined);
    },
  };
}

/** True when the broker refused a produce request because a record batch was over its limit. */
export function isMessageTooLarge(error: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (e: unknown): boolean => {
    if (e === null || typeof e !== 'object' || seen.has(e)) return false;
    seen.add(e);
    const x = e as { type?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
    if (x.type === 'MESSAGE_TOO_LARGE' || x.type === 'RECORD_LIST_TOO_LARGE') return true;
    return visit(x.cause) || visit(x.originalError) || (Array.isArray(x.errors) && x.errors.some(visit));
  };
  return visit(error);
}

/** A positive integer setting of a topic or broker; null when it cannot be read or is not one. */
async function sizeConfig(admin: Admin, type: ConfigResourceTypes, name: string, configName: string): Promise<number | null> {
  const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type, name, configNames: [configName] }] }).catch(() => null);
  const entry = described?.resources[0]?.configEntries.find((e) => e.configName === configName);
  const value = entry ? Number(entry.configValue) : Number.NaN;
  return Number.isInteger(value) && value > 0 ? value : null;
}
