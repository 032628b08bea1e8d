/**
 * The fixes patches/kafkajs+2.2.4.patch makes to kafkajs' producer (applied by `npm ci`'s
 * postinstall, patch-package): its messages grouped per partition in one pass, its encoder's
 * buffers allocated without zero-filling and its varints written in place, murmur2 in 32-bit
 * integer steps, CRC-32C by crc-32, an uncompressed record batch written into one buffer sized up
 * front (its records too) instead of layers copied into each other. Each must leave what is
 * produced exactly as before: the same bytes, the same checksum, the same partition as Java's client.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const kafkajsRequire = createRequire(require.resolve('kafkajs'));
type Grouped = Record<string, { key: string }[]>;
const groupMessagesPerPartition = kafkajsRequire('./src/producer/groupMessagesPerPartition') as (options: {
  topic: string;
  partitionMetadata: readonly { partitionId: number }[];
  messages: readonly { key: string; partition: number }[];
  partitioner: (options: { message: { partition: number } }) => number;
}) => Grouped;
interface KafkaEncoder {
  writeInt8(value: number): KafkaEncoder;
  writeInt16(value: number): KafkaEncoder;
  writeInt32(value: number): KafkaEncoder;
  writeString(value: string): KafkaEncoder;
  writeBytes(value: Buffer): KafkaEncoder;
  writeVarIntString(value: string): KafkaEncoder;
  writeVarInt(value: number): KafkaEncoder;
  writeUVarInt(value: number): KafkaEncoder;
  writeVarLong(value: number): KafkaEncoder;
  writeEncoder(value: KafkaEncoder): KafkaEncoder;
  readonly buffer: Buffer;
}
const Encoder = kafkajsRequire('./src/protocol/encoder') as new (initialSize?: number) => KafkaEncoder;
const murmur2 = kafkajsRequire('./src/producer/partitioners/default/murmur2') as (key: string | Buffer) => number;
const crc32C = kafkajsRequire('./src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number;

type Long = { readonly low: number };
const Long = kafkajsRequire('./src/utils/long') as { fromValue(value: number | string): Long };
type RecordEncoder = { readonly buffer: Buffer; size(): number };
const Record = kafkajsRequire('./src/protocol/recordBatch/record/v0') as (options: {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | string | null;
  value: Buffer | null;
  headers?: Record<string, string>;
}) => RecordEncoder;
const { RecordBatch } = kafkajsRequire('./src/protocol/recordBatch/v0') as {
  RecordBatch: (options: {
    records: RecordEncoder[];
    firstTimestamp: number;
    maxTimestamp: number;
    producerId: Long;
    producerEpoch: number;
    firstSequence: number;
    lastOffsetDelta: number;
  }) => Promise<RecordEncoder>;
};

type ProduceHeaders = Record<string, string | Buffer | (string | Buffer)[] | null>;
type ProduceMessage = {
  key?: Buffer | string | number | null;
  value: Buffer | string | null;
  headers?: ProduceHeaders | null;
  timestamp?: string;
};
const produceRequest = kafkajsRequire('./src/protocol/requests/produce/v3/request') as (options: {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId: Long;
  producerEpoch: number;
  topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: ProduceMessage[] }[] }[];
}) => { encode(): Promise<{ readonly buffer: Buffer }> };

const partitionMetadata = [0, 1, 2, 3].map((partitionId) => ({ partitionId }));
const byItsPartition = ({ message }: { message: { partition: number } }) => message.partition;

describe('kafkajs producer, as patched', () => {
  it('groups messages per partition, each partition in the order the messages came', () => {
    const messages = Array.from({ length: 30_000 }, (_, i) => ({ key: `k${i}`, partition: (i * 7) % 4 }));
    const grouped = groupMessagesPerPartition({ topic: 't', partitionMetadata, messages, partitioner: byItsPartition });
    expect(Object.keys(grouped).sort()).toEqual(['0', '1', '2', '3']);
    for (const partition of [0, 1, 2, 3]) {
      expect(grouped[partition]!.map((m) => m.key)).toEqual(messages.filter((m) => m.partition === partition).map((m) => m.key));
    }
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner: byItsPartition })).toEqual({});
  });

  it('is installed patched (npm ci runs patch-package)', () => {
    const source = (file: string) => readFileSync(kafkajsRequire.resolve(file), 'utf8');
    // The quadratic copy of a partition's list per message, and the zero-filling allocations.
    expect(source('./src/producer/groupMessagesPerPartition')).not.toContain('[...current, message]');
    expect(source('./src/protocol/encoder')).not.toContain('Buffer.alloc(');
    expect(source('./src/protocol/encoder').match(/Buffer\.allocUnsafe\(/g)).toHaveLength(2);
    expect(source('./src/protocol/encoder')).not.toContain('Buffer.from(byteArray)');
    expect(source('./src/producer/partitioners/default/murmur2')).toContain('Math.imul');
    expect(source('./src/protocol/recordBatch/crc32C')).toContain("require('crc-32/crc32c')");
    expect(source('./src/protocol/recordBatch/v0')).toContain('sized up front');
    expect(source('./src/protocol/requests/produce/v3/request')).toContain('encodeUncompressedPartition');
  });

  it("hashes keys as Java's client does (Kafka's own murmur2 test vectors)", () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    const cases: [string | Buffer, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      [Buffer.from([0x61, 0x62, 0x63]), 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(key)).toBe(hash);
  });

  it('checksums record batches with CRC-32C', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32C(Buffer.alloc(0))).toBe(0);
    for (const length of [1, 3, 7, 8, 9, 100, 1_000, 70_000]) {
      const data = randomBytes(length);
      expect(crc32C(data)).toBe(bitwiseCrc32C(data));
    }
  });

  it('writes varints as the protocol defines them (zig-zag, then 7 bits a byte)', () => {
    for (const value of [0, 1, -1, 63, -64, 64, 300, -300, 2 ** 31 - 1, -(2 ** 31)]) {
      expect(new Encoder(1).writeVarInt(value).buffer).toEqual(leb128(BigInt(value) >= 0n ? BigInt(value) * 2n : -BigInt(value) * 2n - 1n));
      expect(new Encoder(1).writeVarLong(value).buffer).toEqual(leb128(BigInt(value) >= 0n ? BigInt(value) * 2n : -BigInt(value) * 2n - 1n));
    }
    for (const value of [0, 127, 128, 16_383, 16_384, 2 ** 32 - 1]) expect(new Encoder(1).writeUVarInt(value).buffer).toEqual(leb128(BigInt(value)));
    // Many in a row: each lands after the previous one, across the buffer's growth.
    const many = new Encoder(1);
    for (let i = 0; i < 1_000; i += 1) many.writeVarInt(i * 37 - 5_000);
    expect(many.buffer).toEqual(Buffer.concat(Array.from({ length: 1_000 }, (_, i) => new Encoder().writeVarInt(i * 37 - 5_000).buffer)));
  });

  it('encodes exactly the bytes written, whatever the memory its buffers reuse held before', () => {
    const value = Buffer.from('é'.repeat(3_000));
    const encode = (garbage: number) => {
      // Leave the pool Buffer.allocUnsafe draws from full of a pattern of this run's own.
      for (let i = 0; i < 64; i += 1) Buffer.allocUnsafe(1024).fill(garbage);
      const record = new Encoder().writeInt8(1).writeVarIntString('key-1').writeBytes(value);
      return new Encoder(8).writeInt32(-2).writeString('topic').writeEncoder(record).writeInt32(7).buffer;
    };
    const expected = Buffer.concat([
      int32(-2),
      int16(5),
      Buffer.from('topic'),
      Buffer.from([1]),
      Buffer.from([10]), // zig-zag varint of the key's length, 5
      Buffer.from('key-1'),
      int32(value.length),
      value,
      int32(7),
    ]);
    expect(encode(0xaa).equals(expected)).toBe(true);
    expect(encode(0x55).equals(expected)).toBe(true);
  });

  it('writes an uncompressed record batch byte for byte as the protocol defines it, its CRC-32C over attributes to the end', async () => {
    for (const count of [0, 1, 3, 400]) {
      const messages = Array.from({ length: count }, (_, i) => ({
        key: i % 5 === 0 ? null : `key-${i}`,
        value: i % 7 === 3 ? null : randomBytes(i % 3 === 0 ? 1_300 : i % 200),
        headers: { 'canonql-event-id': `event-${i}`, 'canonql-op': 'u' },
        timestampDelta: i * 3,
      }));
      const records = messages.map((m, offsetDelta) => Record({ ...m, offsetDelta }));
      const batch = await RecordBatch({
        records,
        firstTimestamp: 1_700_000_000_000,
        maxTimestamp: 1_700_000_001_197,
        producerId: Long.fromValue(4242),
        producerEpoch: 3,
        firstSequence: 17,
        lastOffsetDelta: Math.max(0, count - 1),
      });
      const expectedRecords = messages.map((m, offsetDelta) => {
        const bytes = (b: Buffer | null) => (b === null ? zigzag(-1) : Buffer.concat([zigzag(b.length), b]));
        const text = (t: string) => bytes(Buffer.from(t));
        const body = Buffer.concat([
          Buffer.from([0]),
          zigzag(m.timestampDelta),
          zigzag(offsetDelta),
          m.key === null ? zigzag(-1) : text(m.key),
          bytes(m.value),
          zigzag(2),
          text('canonql-event-id'),
          text(`event-${offsetDelta}`),
          text('canonql-op'),
          text('u'),
        ]);
        return Buffer.concat([zigzag(body.length), body]);
      });
      records.forEach((record, i) => expect(record.buffer.equals(expectedRecords[i]!)).toBe(true));
      const body = Buffer.concat([
        int16(0),
        int32(Math.max(0, count - 1)),
        int64(1_700_000_000_000n),
        int64(1_700_000_001_197n),
        int64(4242n),
        int16(3),
        int32(17),
        int32(count),
        ...expectedRecords,
      ]);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(bitwiseCrc32C(body));
      const expected = Buffer.concat([int64(0n), int32(4 + 1 + 4 + body.length), int32(0), Buffer.from([2]), crc, body]);
      expect(batch.size()).toBe(expected.length);
      expect(batch.buffer.equals(expected)).toBe(true);
    }
  });
});

describe('kafkajs produce request, as patched', () => {
  const NOW = 1_700_000_000_000;
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
  afterEach(() => jest.restoreAllMocks());

  /** The request as kafkajs builds it without the patch's direct path: a Record per message, then a RecordBatch, in layers. */
  async function layered(
    transactionalId: string | null,
    partitions: { partition: number; firstSequence: number; messages: ProduceMessage[] }[],
  ): Promise<Buffer> {
    const encoded = [];
    for (const { partition, firstSequence, messages } of partitions) {
      const records = messages.map((m, offsetDelta) => Record({ ...(m as Parameters<typeof Record>[0]), offsetDelta, timestampDelta: 0 }));
      const batch = await RecordBatch({
        records,
        firstTimestamp: NOW,
        maxTimestamp: NOW,
        producerId: Long.fromValue(42),
        producerEpoch: 3,
        firstSequence,
        lastOffsetDelta: records.length - 1,
        ...(transactionalId === null ? {} : { transactional: true }),
      } as Parameters<typeof RecordBatch>[0]);
      encoded.push(
        new Encoder()
          .writeInt32(partition)
          .writeInt32(batch.size())
          .writeEncoder(batch as unknown as KafkaEncoder),
      );
    }
    const request = new Encoder()
      .writeString(transactionalId as string)
      .writeInt16(-1)
      .writeInt32(30_000)
      .writeInt32(1)
      .writeString('canonical.order')
      .writeInt32(encoded.length);
    for (const partition of encoded) request.writeEncoder(partition);
    return request.buffer;
  }

  const direct = async (transactionalId: string | null, partitions: { partition: number; firstSequence: number; messages: ProduceMessage[] }[]) =>
    (
      await produceRequest({
        acks: -1,
        timeout: 30_000,
        transactionalId,
        producerId: Long.fromValue(42),
        producerEpoch: 3,
        topicData: [{ topic: 'canonical.order', partitions }],
      }).encode()
    ).buffer;

  it('writes records without timestamps straight into the batch, byte for byte what the layers write', async () => {
    const messages = (count: number, salt: number): ProduceMessage[] =>
      Array.from({ length: count }, (_, i) => ({
        key: i % 11 === 0 ? null : i % 5 === 0 ? Buffer.from(`bytes-key-${i}`) : `clé-${salt}-${i}-😀`,
        value: i % 13 === 4 ? null : i % 2 === 0 ? randomBytes((i * 37) % 1_500) : `valeur ✓ ${'x'.repeat(i % 300)}`,
        ...(i % 4 === 1
          ? {}
          : {
              headers:
                i % 4 === 2 ? ({} as ProduceHeaders) : { 'canonql-event-id': `event-${i}`, 'canonql-op': 'u', list: [`a-${i}`, Buffer.from('b')], 'ü-ß': '' },
            }),
      }));
    // Offsets past 63 and 8,191 take two and three bytes as varints; 70,000-byte values three length bytes.
    const partitions = [
      { partition: 0, firstSequence: 17, messages: messages(9_000, 0) },
      { partition: 3, firstSequence: 0, messages: messages(1, 1) },
      { partition: 1, firstSequence: 5, messages: [{ key: 'big', value: randomBytes(70_000) }] },
    ];
    for (const transactionalId of [null, 'tx-1']) {
      const bytes = await direct(transactionalId, partitions);
      expect(bytes.equals(await layered(transactionalId, partitions))).toBe(true);
    }
  });

  it('leaves messages it does not write directly to the layers: timestamps set, and the values those refuse', async () => {
    const stamped = [
      { key: 'k', value: 'v', timestamp: String(NOW - 1_000) },
      { key: 'k', value: 'v', timestamp: String(NOW + 1_000) },
    ];
    const bytes = await direct(null, [{ partition: 0, firstSequence: 0, messages: stamped }]);
    // The batch's first and last timestamps are the messages' (the direct path would write now twice).
    expect(bytes.includes(Buffer.concat([int64(BigInt(NOW - 1_000)), int64(BigInt(NOW + 1_000))]))).toBe(true);
    for (const refused of [
      { key: 5, value: 'v' },
      { key: 'k', value: 'v', headers: null },
      { key: 'k', value: 'v', headers: { a: null } },
    ] as ProduceMessage[]) {
      await expect(direct(null, [{ partition: 0, firstSequence: 0, messages: [{ key: 'fine', value: 'v' }, refused] }])).rejects.toMatchObject({
        name: 'TypeError',
      });
    }
  });
});

/** CRC-32C by its definition: reflected polynomial 0x82F63B78, one bit at a time. */
function bitwiseCrc32C(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Unsigned LEB128: 7 bits a byte, low bits first, the high bit set on every byte but the last. */
function leb128(value: bigint): Buffer {
  const bytes: number[] = [];
  let rest = value;
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    bytes.push(rest > 0n ? low | 0x80 : low);
  } while (rest > 0n);
  return Buffer.from(bytes);
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

function int64(value: bigint): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(value);
  return buffer;
}

/** A signed varint as the record format writes it: zig-zag, then unsigned LEB128. */
function zigzag(value: number): Buffer {
  return leb128(value >= 0 ? BigInt(value) * 2n : -BigInt(value) * 2n - 1n);
}

function int16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value);
  return buffer;
}
