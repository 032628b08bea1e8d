import { DEFAULT_FETCH_MAX_BYTES, fetchMaxBytesInAll } from '../../../src/ingestion/ingestion-consumer';

const KAFKAJS_DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

describe('fetchMaxBytesInAll', () => {
  it('holds a full batch of each of the four partitions processed at once', () => {
    // The default batch size: four 4 MiB batches are 16 MiB, beyond kafkajs' own 10 MiB cap.
    expect(fetchMaxBytesInAll(DEFAULT_FETCH_MAX_BYTES)).toBe(4 * DEFAULT_FETCH_MAX_BYTES);
    expect(fetchMaxBytesInAll(8 * 1024 * 1024)).toBe(32 * 1024 * 1024);
  });

  it('never takes less than kafkajs would by default', () => {
    expect(fetchMaxBytesInAll(64 * 1024)).toBe(KAFKAJS_DEFAULT_MAX_BYTES);
    expect(fetchMaxBytesInAll(1024 * 1024)).toBe(KAFKAJS_DEFAULT_MAX_BYTES);
  });
});
