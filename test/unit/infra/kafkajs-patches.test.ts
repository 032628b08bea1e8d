/**
 * The fixes patches/kafkajs+2.2.4.patch makes to kafkajs' producer (applied by `npm ci`'s
 * postinstall, patch-package): its messages grouped per partition in one pass, and its encoder's
 * buffers allocated without zero-filling. Both must leave what is produced exactly as before.
 */
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
  writeInt32(value: number): KafkaEncoder;
  writeString(value: string): KafkaEncoder;
  writeBytes(value: Buffer): KafkaEncoder;
  writeVarIntString(value: string): KafkaEncoder;
  writeEncoder(value: KafkaEncoder): KafkaEncoder;
  readonly buffer: Buffer;
}
const Encoder = kafkajsRequire('./src/protocol/encoder') as new (initialSize?: number) => KafkaEncoder;

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

  it('is installed patched (npm ci runs patch-package): one pass per call, buffers not zero-filled', () => {
    const source = (file: string) => readFileSync(kafkajsRequire.resolve(file), 'utf8');
    // The quadratic copy of a partition's list per message, and the zero-filling allocations.
    expect(source('./src/producer/groupMessagesPerPartition')).not.toContain('[...current, message]');
    expect(source('./src/protocol/encoder')).not.toContain('Buffer.alloc(');
    expect(source('./src/protocol/encoder').match(/Buffer\.allocUnsafe\(/g)).toHaveLength(2);
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
});

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

function int16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value);
  return buffer;
}
