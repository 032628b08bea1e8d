import type { Admin } from 'kafkajs';

/**
 * Consumer lag of a group over its topics: for each partition, the end offset (high watermark)
 * minus the group's committed offset; a partition the group never committed counts from the low
 * watermark (what it would still read from the beginning).
 *
 * Two admin requests per read (the group's offsets, then each topic's watermarks), and reads are
 * cached for `cacheMs` and shared while in flight, so scrapes from any number of Prometheus
 * servers (or subjectStatus queries) cost the brokers at most that much per interval.
 */
export interface PartitionLag {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

export interface CommittedOffsets {
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly offset: string }[];
}

export interface TopicWatermarks {
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly high: string; readonly low: string }[];
}

/** Pure: lag per partition from committed offsets and watermarks (kafkajs shapes, offsets as strings). */
export function partitionLags(group: string, committed: readonly CommittedOffsets[], watermarks: readonly TopicWatermarks[]): PartitionLag[] {
  const committedOf = new Map<string, bigint>();
  for (const topic of committed) {
    for (const p of topic.partitions) {
      const offset = BigInt(p.offset);
      if (offset >= 0n) committedOf.set(`${topic.topic}\u0000${p.partition}`, offset);
    }
  }
  const lags: PartitionLag[] = [];
  for (const topic of watermarks) {
    for (const p of [...topic.partitions].sort((a, b) => a.partition - b.partition)) {
      const high = BigInt(p.high);
      const from = committedOf.get(`${topic.topic}\u0000${p.partition}`) ?? BigInt(p.low);
      // A committed offset beyond the end (topic recreated, retention) is no negative lag.
      lags.push({ group, topic: topic.topic, partition: p.partition, lag: Number(high > from ? high - from : 0n) });
    }
  }
  return lags;
}

export interface LagReader {
  /** Lag of every partition of the group's current topics (cached, see above). */
  read(): Promise<readonly PartitionLag[]>;
  /** Total lag over some topics (from the same cached read). */
  total(topics: readonly string[]): Promise<number>;
}

export function createLagReader(options: {
  readonly admin: Admin;
  readonly groupId: string;
  readonly topics: () => readonly string[];
  readonly cacheMs: number;
  readonly onError?: (error: unknown) => void;
  readonly now?: () => number;
}): LagReader {
  const now = options.now ?? Date.now;
  let cached: { at: number; topics: string; lags: readonly PartitionLag[] } | null = null;
  let inFlight: Promise<readonly PartitionLag[]> | null = null;

  async function fetchLags(topics: readonly string[]): Promise<readonly PartitionLag[]> {
    if (topics.length === 0) return [];
    const committed = await options.admin.fetchOffsets({ groupId: options.groupId, topics: [...topics] });
    const watermarks: TopicWatermarks[] = [];
    for (const topic of topics) {
      try {
        watermarks.push({ topic, partitions: await options.admin.fetchTopicOffsets(topic) });
      } catch (error) {
        // One missing topic (not created yet) must not hide the others.
        options.onError?.(error);
      }
    }
    return partitionLags(options.groupId, committed, watermarks);
  }

  const read = async (): Promise<readonly PartitionLag[]> => {
    const topics = [...new Set(options.topics())].sort();
    const key = topics.join('\u0000');
    if (cached && cached.topics === key && now() - cached.at < options.cacheMs) return cached.lags;
    if (inFlight) return inFlight;
    inFlight = fetchLags(topics)
      .then(
        (lags) => {
          cached = { at: now(), topics: key, lags };
          return lags;
        },
        (error: unknown) => {
          options.onError?.(error);
          // Stale figures are better than none while Kafka blinks; none at all if never read.
          return cached?.lags ?? [];
        },
      )
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };

  return {
    read,
    async total(topics) {
      const wanted = new Set(topics);
      return (await read()).filter((lag) => wanted.has(lag.topic)).reduce((sum, lag) => sum + lag.lag, 0);
    },
  };
}
