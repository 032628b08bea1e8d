import { AppError, ErrorCode } from '../errors';

/**
 * The registry wire format of a Kafka key or value written by a registry-aware serializer (the
 * Avro and JSON Schema converters of Kafka Connect, registry client libraries): byte 0 is the
 * magic byte 0, bytes 1–4 the writer schema's id (big-endian), the rest the encoded value.
 */
export const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

export interface WireRecord {
  readonly schemaId: number;
  readonly payload: Buffer;
}

/** Splits a wire-format message; WIRE_FORMAT_INVALID (final) when it is not one. */
export function readWireFormat(bytes: Buffer, part: 'key' | 'value'): WireRecord {
  if (bytes.length < HEADER_BYTES) {
    throw new AppError(ErrorCode.WIRE_FORMAT_INVALID, `${part} is ${bytes.length} bytes, shorter than the wire format's 5-byte header (magic byte, schema id)`);
  }
  if (bytes[0] !== MAGIC_BYTE) {
    throw new AppError(
      ErrorCode.WIRE_FORMAT_INVALID,
      `${part} starts with byte 0x${bytes[0]!.toString(16).padStart(2, '0')}, not the wire format's magic byte 0x00 (is the topic's record format set right?)`,
      { details: { magicByte: bytes[0] } },
    );
  }
  return { schemaId: bytes.readInt32BE(1), payload: bytes.subarray(HEADER_BYTES) };
}

/** A wire-format message: the magic byte, the id, the encoded value. */
export function writeWireFormat(schemaId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(MAGIC_BYTE, 0);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, payload]);
}
