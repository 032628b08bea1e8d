import type { Kafka } from 'kafkajs';
import type { Db } from 'mongodb';
import { EVENT_LOG_COLLECTION } from '../../src/events/event-log';
import { DEAD_LETTER_COLLECTION } from '../../src/ingestion/dead-letter';
import { stateCollectionName } from '../../src/state/entity-store';
import { collectMessages } from './kafka-messages';

/**
 * The one verdict every reliability case ends with. It compares what canonql made of a stream
 * with the test's own model of that stream (what it produced), and checks the five properties an
 * SRE relies on:
 *
 * 1. state equals the source: every key's stored document is the model's last version of it, and
 *    there is no other key;
 * 2. no canonical event lost: every source change the model expects applied has a canonical event
 *    (same key, same version) on the canonical topic;
 * 3. per-key order kept: per key, in topic order, once events already seen (same id) are dropped,
 *    versions strictly increase — what a consumer that dedupes by id sees;
 * 4. no undeduplicable duplicate: one (key, version) never has two different event ids, and one
 *    event id never two different contents: every duplicate is an exact re-send a consumer drops;
 * 5. offsets never ahead of durable state: at every sampled moment (see {@link OffsetSampler}),
 *    every raw message below the ingestion group's committed offset was already in the store (the
 *    stored version of its key at least its version);
 * 6. each change once in the event log: per key, the logged events' versions are exactly 1..n;
 * 7. nothing oversized stalls: a change the model expects dead-lettered (its event too large for
 *    Kafka) is in the dead letters with its code, and is the only change without a canonical event.
 *
 * It returns a list of violations (empty = pass) so a failing case prints all of them.
 */
export interface SourceModel {
  readonly subject: string;
  /**
   * Each key's expected final `data` and version (number of its changes, deletes included); `data`
   * null: hard-deleted last (no live entity: no document, or only a deleted marker at that version).
   */
  readonly expected: ReadonlyMap<string, { readonly version: number; readonly data: Record<string, unknown> | null }>;
  /** `key@version` → error code, for changes whose canonical event must be dead-lettered instead of published. */
  readonly deadLettered?: ReadonlyMap<string, string>;
}

export interface CheckInput {
  readonly kafka: Kafka;
  readonly db: Db;
  readonly canonicalTopic: string;
  readonly model: SourceModel;
  /** Offset samples taken during the run; at least one is required. */
  readonly offsets: OffsetSampler;
  readonly timeoutMs?: number;
}

export interface CheckReport {
  readonly violations: string[];
  readonly facts: { keys: number; changes: number; canonicalMessages: number; duplicates: number; offsetSamples: number; deadLettered: number };
}

interface CanonicalMessage {
  readonly partition: number;
  readonly offset: number;
  readonly id: string;
  readonly key: string;
  readonly version: number;
  readonly raw: string;
}

export async function checkReliability(input: CheckInput): Promise<CheckReport> {
  const violations: string[] = [];
  const { model } = input;
  const changes = [...model.expected.values()].reduce((n, e) => n + e.version, 0);

  // 1. state equals the source.
  const docs = await input.db
    .collection<{ _id: string; data: Record<string, unknown>; _meta: { version: number; deleted?: boolean } }>(stateCollectionName(model.subject))
    .find({})
    .toArray();
  const stored = new Map(docs.map((d) => [String(d._id), d]));
  for (const [key, want] of model.expected) {
    const doc = stored.get(key);
    if (want.data === null) {
      if (doc && !doc._meta.deleted) violations.push(`state: key ${key} is live (version ${doc._meta.version}), the source deleted it`);
      else if (doc && doc._meta.version !== want.version)
        violations.push(`state: deleted key ${key} kept at version ${doc._meta.version}, source has ${want.version}`);
    } else if (!doc) violations.push(`state: key ${key} missing`);
    else if (doc._meta.deleted) violations.push(`state: key ${key} is deleted, the source has it at version ${want.version}`);
    else if (doc._meta.version !== want.version) violations.push(`state: key ${key} at version ${doc._meta.version}, source has ${want.version}`);
    else if (JSON.stringify(sortKeys(doc.data)) !== JSON.stringify(sortKeys(want.data)))
      violations.push(`state: key ${key} is ${JSON.stringify(doc.data)}, source has ${JSON.stringify(want.data)}`);
  }
  for (const key of stored.keys()) if (!model.expected.has(key)) violations.push(`state: key ${key} not in the source`);

  // 2. every applied change's event on the canonical topic (read until all are there, or timeout).
  const wanted = new Set<string>();
  const deadLettered = model.deadLettered ?? new Map<string, string>();
  for (const [key, want] of model.expected) for (let v = 1; v <= want.version; v += 1) if (!deadLettered.has(`${key}@${v}`)) wanted.add(`${key}@${v}`);
  const collected: CanonicalMessage[] = [];
  const seen = new Set<string>();
  try {
    await collectMessages(
      input.kafka,
      input.canonicalTopic,
      (messages) => {
        for (let i = collected.length; i < messages.length; i += 1) {
          const m = messages[i]!;
          const event = JSON.parse(m.value!) as { id: string; key: string; version: number };
          collected.push({ partition: m.partition, offset: Number(m.offset), id: event.id, key: event.key, version: event.version, raw: m.value! });
          seen.add(`${event.key}@${event.version}`);
        }
        // Dead-lettered oversized events stand on the topic as references (check 7): wait for those too.
        return [...wanted, ...deadLettered.keys()].every((w) => seen.has(w));
      },
      input.timeoutMs ?? 60000,
    );
  } catch (error) {
    violations.push(`events: ${(error as Error).message}`);
  }
  const present = new Set(collected.map((m) => `${m.key}@${m.version}`));
  const lost = [...wanted].filter((w) => !present.has(w));
  if (lost.length > 0) violations.push(`events: ${lost.length} applied changes have no canonical event, e.g. ${lost.slice(0, 5).join(', ')}`);

  // 3 and 4. order per key (after dropping re-sends) and duplicates only as exact re-sends.
  const byPartition = new Map<number, CanonicalMessage[]>();
  for (const m of collected) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m]);
  const contentById = new Map<string, string>();
  const idByKeyVersion = new Map<string, string>();
  const lastVersion = new Map<string, number>();
  let duplicates = 0;
  for (const list of byPartition.values()) {
    list.sort((a, b) => a.offset - b.offset);
    for (const m of list) {
      const content = contentById.get(m.id);
      if (content !== undefined) {
        duplicates += 1;
        if (content !== m.raw && JSON.stringify(sortKeys(JSON.parse(content))) !== JSON.stringify(sortKeys(JSON.parse(m.raw)))) {
          violations.push(`duplicates: event ${m.id} published twice with different contents`);
        }
        continue;
      }
      contentById.set(m.id, m.raw);
      const kv = `${m.key}@${m.version}`;
      const other = idByKeyVersion.get(kv);
      if (other !== undefined && other !== m.id) violations.push(`duplicates: ${kv} published as two events ${other} and ${m.id} (not deduplicable by id)`);
      idByKeyVersion.set(kv, m.id);
      const last = lastVersion.get(m.key) ?? 0;
      if (m.version <= last) violations.push(`order: key ${m.key} version ${m.version} after version ${last} (partition ${m.partition} offset ${m.offset})`);
      lastVersion.set(m.key, Math.max(last, m.version));
    }
  }

  // 6. each change once in the event log.
  const logged = await input.db
    .collection<{ key: string; version: number }>(EVENT_LOG_COLLECTION)
    .find({ subject: model.subject }, { projection: { key: 1, version: 1 } })
    .toArray();
  const loggedVersions = new Map<string, number[]>();
  for (const e of logged) loggedVersions.set(e.key, [...(loggedVersions.get(e.key) ?? []), e.version]);
  for (const [key, want] of model.expected) {
    const versions = (loggedVersions.get(key) ?? []).sort((a, b) => a - b);
    const expectedVersions = Array.from({ length: want.version }, (_, i) => i + 1);
    if (JSON.stringify(versions) !== JSON.stringify(expectedVersions)) {
      violations.push(
        `event log: key ${key} has versions [${versions.slice(0, 12).join(',')}${versions.length > 12 ? ',…' : ''}], expected 1..${want.version} once each`,
      );
    }
  }
  for (const key of loggedVersions.keys()) if (!model.expected.has(key)) violations.push(`event log: key ${key} not in the source`);

  // 7. dead-lettered oversized events: in the dead letters with their code; on the topic only as
  // their reference (no before/after, bodyOmitted), which canonql's consumers resolve from the log.
  if (deadLettered.size > 0) {
    const letters = await input.db.collection<{ code: string; details: { key?: string; version?: number } | null }>(DEAD_LETTER_COLLECTION).find({}).toArray();
    for (const [kv, code] of deadLettered) {
      if (!letters.some((l) => l.code === code && `${l.details?.key}@${l.details?.version}` === kv))
        violations.push(`dead letters: ${kv} is not dead-lettered with ${code}`);
      const onTopic = collected
        .filter((m) => `${m.key}@${m.version}` === kv)
        .map((m) => JSON.parse(m.raw) as { bodyOmitted?: boolean; before: unknown; after: unknown });
      if (onTopic.length === 0) violations.push(`dead letters: ${kv} has no reference on the canonical topic`);
      if (onTopic.some((e) => e.bodyOmitted !== true || e.before !== null || e.after !== null))
        violations.push(`dead letters: ${kv} is dead-lettered but its whole event is on the canonical topic`);
    }
  }

  // 5. offsets never ahead of durable state.
  violations.push(...input.offsets.violations());
  if (input.offsets.samples() === 0) violations.push('offsets: no committed-offset sample was taken');

  return {
    violations,
    facts: {
      keys: model.expected.size,
      changes,
      canonicalMessages: collected.length,
      duplicates,
      offsetSamples: input.offsets.samples(),
      deadLettered: deadLettered.size,
    },
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * What the test produced to the raw topic, by partition and offset (`log.get(p)[offset]`), filled
 * from the producer's acknowledgements (explicit partitions, so offsets are known exactly).
 */
export type RawLog = ReadonlyMap<number, readonly ({ key: string; version: number } | undefined)[]>;

/**
 * Samples "committed offset <= durably applied" while a case runs: reads the ingestion group's
 * committed offsets first, then the store; every raw message below a committed offset must be
 * reflected in the store already (its key at its version or later). Reading the offsets first
 * makes the later state read only stronger: state never goes back. Samples that cannot be taken
 * (broker or store down) are skipped, not counted.
 */
export interface OffsetSampler {
  /** Takes one sample now (also taken on a timer while started). */
  sample(): Promise<boolean>;
  start(intervalMs: number): void;
  stop(): Promise<void>;
  samples(): number;
  violations(): string[];
}

export function createOffsetSampler(options: {
  readonly kafka: Kafka;
  readonly db: Db;
  readonly subject: string;
  readonly groupId: string;
  readonly rawTopic: string;
  readonly rawLog: RawLog;
  /**
   * Sends to the raw topic started and finished so far (default: none in flight). A message is in
   * the raw log only once its send is acknowledged to the test, and the ingestion may commit it
   * before that (a slow or retried acknowledgement): "committed past what was produced" is only
   * judged by a sample during which no send was in flight.
   */
  readonly sends?: () => { readonly started: number; readonly finished: number };
}): OffsetSampler {
  const found: string[] = [];
  let taken = 0;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();

  async function sample(): Promise<boolean> {
    const admin = options.kafka.admin();
    const sendsBefore = options.sends?.();
    try {
      await admin.connect();
      const [committed] = await admin.fetchOffsets({ groupId: options.groupId, topics: [options.rawTopic] });
      const docs = await options.db
        .collection<{ _id: string; _meta: { version: number } }>(stateCollectionName(options.subject))
        .find({}, { projection: { _meta: 1 } })
        .toArray();
      const versions = new Map(docs.map((d) => [String(d._id), d._meta.version]));
      const sendsAfter = options.sends?.();
      const noSendInFlight = sendsBefore === undefined || (sendsBefore.started === sendsBefore.finished && sendsAfter?.started === sendsBefore.started);
      for (const { partition, offset } of committed?.partitions ?? []) {
        const upTo = Number(offset);
        const produced = options.rawLog.get(partition) ?? [];
        if (upTo > produced.length && noSendInFlight)
          found.push(`offsets: committed offset ${upTo} of partition ${partition} is past the ${produced.length} messages produced`);
        for (let o = 0; o < Math.min(upTo, produced.length); o += 1) {
          const m = produced[o];
          if (!m) continue;
          const have = versions.get(m.key) ?? 0;
          if (have < m.version)
            found.push(
              `offsets: committed offset ${upTo} of partition ${partition} is past offset ${o} (key ${m.key} v${m.version}), but the store has v${have}`,
            );
        }
      }
      taken += 1;
      return true;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  return {
    sample: () => {
      const next = running.then(sample);
      running = next.catch(() => false);
      return next;
    },
    start(intervalMs) {
      timer = setInterval(() => {
        running = running.then(sample).catch(() => false);
      }, intervalMs);
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
    samples: () => taken,
    violations: () => [...new Set(found)],
  };
}
