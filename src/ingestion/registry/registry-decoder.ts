import { LRUCache } from 'lru-cache';
import { AppError, ErrorCode, isAppError } from '../../errors';
import type { RegistrySchema, SchemaRegistryClient } from '../../infra/schema-registry-client';
import { readWireFormat, type WireRecord } from '../../infra/wire-format';
import { decodeFailed, utf8Text } from '../debezium/decode-failure';
import { DEFAULT_DECODE_LIMITS, tooDeep, tooLarge, valueDepth, type DecodeLimits } from '../debezium/decode-limits';
import { decodeMessages, decodeRecord, parseValueMessage, type ConnectMessage, type DecodedRecord, type RawRecord } from '../debezium/decode-record';
import { parseJsonLossless } from '../debezium/parse-json-lossless';
import { avroConnectView } from './avro-connect';
import { jsonSchemaConnectView } from './json-schema-connect';
import type { RecordFormat } from './record-format';

/**
 * Decoding of a batch of raw records whatever their topic's record format (record-format.ts):
 * `json` records go to the JSON decoder as they always did; `avro` and `json-schema` records are
 * in the registry wire format, their writer schemas are read from the schema registry by id (all
 * ids of the batch at once, cached, retried: infra/schema-registry-client.ts), and their key and
 * value become the JSON converter's `{payload, schema}` (avro-connect.ts, json-schema-connect.ts)
 * for the very same envelope decoder (decodeMessages).
 *
 * Every failure is the record's own outcome, dead-lettered by the pipeline with its code, never a
 * stalled partition: WIRE_FORMAT_INVALID (no magic byte, too short), SCHEMA_ID_UNKNOWN,
 * SCHEMA_REGISTRY_UNAVAILABLE (after the client's bounded retries), SCHEMA_REGISTRY_TLS_FAILED (an
 * https registry whose certificate the CA trusted for it did not sign), DECODE_FAILED (bytes that
 * do not decode under their writer schema, a writer schema of the wrong type, an Avro string or map
 * key that is not UTF-8, an Avro array or map block claiming more items than the bytes left can
 * hold, named), DECODE_LIMIT_EXCEEDED (the decode limits, and an Avro value holding more items
 * that take no bytes than it has bytes, named), and the decoder's own.
 */
export interface DecodedEntry {
  readonly decoded?: DecodedRecord;
  readonly error?: unknown;
  /** The value's writer schema id (registry-encoded topics), for discovery. */
  readonly writerSchemaId?: number;
}

export interface BatchDecoder {
  decodeBatch(records: readonly RawRecord[]): Promise<DecodedEntry[]>;
}

interface WriterView {
  readonly schemaId: number;
  decode(payload: Buffer, limits: DecodeLimits, part: 'key' | 'value'): ConnectMessage;
}

export function createBatchDecoder(options: {
  formatOf(topic: string): RecordFormat;
  /**
   * The registry holding a topic's writer schemas (source-registries.ts); null when none is
   * configured for it. Ids are a registry's own: the same id in two registries is two schemas.
   */
  registryOf(topic: string): SchemaRegistryClient | null;
  limits?: DecodeLimits;
  /** Compiled writer schemas kept. */
  cacheSize?: number;
}): BatchDecoder {
  const limits = options.limits ?? DEFAULT_DECODE_LIMITS;
  const views = new LRUCache<string, WriterView>({ max: options.cacheSize ?? 1000 });
  // A number per registry client, so compiled views of equal ids from two registries stay apart.
  const registryNumbers = new Map<SchemaRegistryClient, number>();
  const numberOf = (registry: SchemaRegistryClient) => {
    let n = registryNumbers.get(registry);
    if (n === undefined) {
      n = registryNumbers.size;
      registryNumbers.set(registry, n);
    }
    return n;
  };

  function viewOf(registry: SchemaRegistryClient, schema: RegistrySchema, format: RecordFormat): WriterView {
    const cacheKey = `${numberOf(registry)}:${format}:${schema.id}`;
    const cached = views.get(cacheKey);
    if (cached) return cached;
    const expected = format === 'avro' ? 'AVRO' : 'JSON';
    if (schema.schemaType !== expected) {
      throw decodeFailed(`writer schema ${schema.id} is ${schema.schemaType}, but the topic's record format is ${format}`);
    }
    let view: WriterView;
    try {
      const parsed: unknown = JSON.parse(schema.schema);
      if (format === 'avro') {
        const avro = avroConnectView(parsed);
        view = {
          schemaId: schema.id,
          decode(payload, decodeLimits, part) {
            try {
              return { payload: avro.decode(payload, part, decodeLimits), schema: avro.schema };
            } catch (error) {
              if (isAppError(error)) throw error;
              throw decodeFailed(`${part} does not decode as Avro under writer schema ${schema.id}: ${(error as Error).message}`, error);
            }
          },
        };
      } else {
        const connect = jsonSchemaConnectView(parsed);
        view = {
          schemaId: schema.id,
          decode(payload, decodeLimits, part) {
            const text = utf8Text(payload, part);
            try {
              const toMessage = (value: unknown): ConnectMessage => ({ payload: value, schema: connect });
              return part === 'value' ? parseValueMessage(text, decodeLimits, toMessage) : toMessage(parseJsonLossless(text, decodeLimits, part).value);
            } catch (error) {
              if (isAppError(error)) throw error;
              throw decodeFailed(`${part} under writer schema ${schema.id} is not valid JSON (${(error as Error).message})`, error);
            }
          },
        };
      }
    } catch (error) {
      if (isAppError(error)) throw error;
      throw decodeFailed(`writer schema ${schema.id} cannot be read as ${format}: ${(error as Error).message}`, error);
    }
    views.set(cacheKey, view);
    return view;
  }

  return {
    async decodeBatch(records) {
      const wire = records.map((raw) => {
        const format = options.formatOf(raw.topic);
        if (format === 'json') return null;
        const registry = options.registryOf(raw.topic);
        // Configuration names a registry for every registry-encoded topic; should one be missing
        // all the same, the record is dead-lettered with the reason, never a stalled partition.
        const unread = (part: WireRecord | Error | null) =>
          part === null || part instanceof Error || registry
            ? part
            : new AppError(ErrorCode.CONFIG_INVALID, `topic ${raw.topic} is ${format}, but no schema registry is configured for it`);
        return { format, registry, key: unread(readPart(raw.key, 'key')), value: unread(readPart(raw.value, 'value')) };
      });
      // The ids each registry is asked for: all of the batch's at once.
      const wanted = new Map<SchemaRegistryClient, Set<number>>();
      for (const parts of wire) {
        for (const part of [parts?.key, parts?.value]) {
          if (!parts?.registry || !part || part instanceof Error) continue;
          const ids = wanted.get(parts.registry) ?? new Set<number>();
          ids.add(part.schemaId);
          wanted.set(parts.registry, ids);
        }
      }
      const schemas = new Map<SchemaRegistryClient, Map<number, RegistrySchema | unknown>>();
      await Promise.all(
        [...wanted].map(async ([registry, ids]) => {
          const settled = await Promise.allSettled([...ids].map((id) => registry.schemaById(id)));
          schemas.set(registry, new Map([...ids].map((id, i) => [id, settled[i]!.status === 'fulfilled' ? settled[i]!.value : settled[i]!.reason])));
        }),
      );
      const viewFor = (part: WireRecord | Error | null, format: RecordFormat, registry: SchemaRegistryClient | null): WriterView | null => {
        if (part === null) return null;
        if (part instanceof Error) throw part;
        const schema = registry ? schemas.get(registry)?.get(part.schemaId) : undefined;
        if (schema === undefined || !isRegistrySchema(schema)) throw schema ?? new Error(`schema ${part.schemaId} was not fetched`);
        return viewOf(registry!, schema, format);
      };
      return records.map((raw, index): DecodedEntry => {
        const parts = wire[index];
        if (!parts) {
          try {
            return { decoded: decodeRecord(raw, { limits }) };
          } catch (error) {
            return { error };
          }
        }
        const writerSchemaId = parts.value && !(parts.value instanceof Error) ? parts.value.schemaId : undefined;
        try {
          const decoded = decodeMessages(
            raw,
            {
              key: () => {
                const view = viewFor(parts.key, parts.format, parts.registry);
                return view && parts.key && !(parts.key instanceof Error) ? checked(view.decode(parts.key.payload, limits, 'key'), limits, 'key') : null;
              },
              value: () => {
                if (raw.value !== null && raw.value.length > limits.maxBytes) throw tooLarge('value', raw.value.length, limits.maxBytes);
                const view = viewFor(parts.value, parts.format, parts.registry);
                return view && parts.value && !(parts.value instanceof Error)
                  ? checked(view.decode(parts.value.payload, limits, 'value'), limits, 'value')
                  : null;
              },
            },
            { limits },
          );
          return { decoded, ...(writerSchemaId !== undefined ? { writerSchemaId } : {}) };
        } catch (error) {
          return { error, ...(writerSchemaId !== undefined ? { writerSchemaId } : {}) };
        }
      });
    },
  };
}

/** A key or value in the wire format; an empty one (no bytes) reads as absent; one that is not in the format, as its error. */
function readPart(bytes: Buffer | null, part: 'key' | 'value'): WireRecord | Error | null {
  if (bytes === null || bytes.length === 0) return null;
  try {
    return readWireFormat(bytes, part);
  } catch (error) {
    return error as Error;
  }
}

/** What the JSON path checks on the text, checked on the decoded value (Avro has no text to check). */
function checked(message: ConnectMessage, limits: DecodeLimits, part: 'key' | 'value'): ConnectMessage {
  if (valueDepth(message.payload, limits.maxDepth) > limits.maxDepth) throw tooDeep(part, limits.maxDepth);
  return message;
}

function isRegistrySchema(value: unknown): value is RegistrySchema {
  return value !== null && typeof value === 'object' && typeof (value as RegistrySchema).schema === 'string' && !(value instanceof Error);
}
