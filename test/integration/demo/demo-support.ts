import path from 'node:path';
import { Writable } from 'node:stream';
import fs from 'node:fs';
import pino from 'pino';
import { loadCanonicalSchemas } from '../../../src/catalog/canonical-schemas';
import { decodeRecord, type DecodedRecord } from '../../../src/ingestion/debezium/decode-record';
import { toIntent } from '../../../src/ingestion/pipeline';
import { nextData } from '../../../src/ingestion/plan-change';
import { compileSpec, type CompiledSpec } from '../../../src/mapping/compile-spec';
import type { MappingSpec } from '../../../src/mapping/mapping-spec';
import type { Logger } from '../../../src/logger';

/**
 * What the demo-feed tests share: a seeded random source, a logger whose lines the test can read,
 * and a replay of raw records through canonql's own decoder, mapping spec and canonical schema
 * (the steps ingestion runs before the store), keeping each entity's canonical state in memory.
 */

const ROOT = path.resolve(__dirname, '../../..');

export { seededRandom } from '../../support/seeded-random';

export interface CapturedLog {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export function captureLogger(level = 'debug'): { logger: Logger; lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as CapturedLog);
      done();
    },
  });
  const logger = pino({ level, formatters: { level: (label) => ({ level: label }) } }, stream);
  return { logger, lines };
}

export function specFromRepo(file: string, topic: string): CompiledSpec {
  const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'specs', file), 'utf8')) as MappingSpec;
  return compileSpec({ ...spec, source: { ...spec.source, topic } } as MappingSpec);
}

export interface ReplayRecord {
  readonly key: string | Buffer | null;
  readonly value: string | Buffer | null;
  readonly offset?: string;
}

export interface Replay {
  /** Canonical state per entity key; deleted entities are removed. */
  readonly state: Map<string, Record<string, unknown>>;
  /** Every decoded record, in order. */
  readonly decoded: DecodedRecord[];
  /** Mapping or validation failures: `<offset>: <message>`. */
  readonly failures: string[];
  /** Count per kind: c, u (full image), u-patch, d, tombstone, skip. */
  readonly kinds: Record<string, number>;
  /** Positions of the change events, in order. */
  readonly positions: string[];
}

/**
 * Decodes, maps and validates records as ingestion does (`decodeRecord` → `toIntent` with the
 * compiled spec → `nextData` → canonical schema), in order. Decode errors throw; mapping and
 * validation failures are collected.
 */
export function replay(topic: string, spec: CompiledSpec, records: readonly ReplayRecord[]): Replay {
  const schema = loadCanonicalSchemas(path.join(ROOT, 'schema', 'canonical')).get(spec.subject);
  if (!schema) throw new Error(`no canonical schema for ${spec.subject}`);
  const result: Replay = { state: new Map(), decoded: [], failures: [], kinds: {}, positions: [] };
  const count = (kind: string) => {
    result.kinds[kind] = (result.kinds[kind] ?? 0) + 1;
  };
  records.forEach((record, index) => {
    const offset = record.offset ?? String(index);
    const raw = { topic, partition: 0, offset, key: toBuffer(record.key), value: toBuffer(record.value) };
    const decoded = decodeRecord(raw);
    result.decoded.push(decoded);
    if (decoded.kind !== 'change') {
      count(decoded.kind);
      return;
    }
    count(decoded.op === 'u' && decoded.after === null ? 'u-patch' : decoded.op);
    result.positions.push(decoded.position);
    try {
      const intent = toIntent(decoded, spec, raw);
      const before = result.state.get(intent.key) ?? null;
      const after = nextData(intent, before);
      if (after === null) {
        result.state.delete(intent.key);
        return;
      }
      const problems = schema.validate(after);
      if (problems.length > 0) throw new Error(`invalid canonical ${spec.subject} ${intent.key}: ${problems.join('; ')}`);
      result.state.set(intent.key, after);
    } catch (error) {
      result.failures.push(`${offset}: ${(error as Error).message}`);
    }
  });
  return result;
}

function toBuffer(value: string | Buffer | null): Buffer | null {
  return value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
}
