import crypto from 'node:crypto';
import { canonicalEventId } from '../../../src/events/canonical-event';

// An event's id is how a replay finds its logged event and how consumers drop a duplicate, so it
// must not change between releases: a process upgraded mid-stream would re-publish as new events.
describe('canonicalEventId', () => {
  it('stays the id earlier releases computed', () => {
    expect(canonicalEventId('order', 'o-1', 'pg.public.orders', 'lsn:0000000000001234:7')).toBe('d32b43db0b9095b0b19047816310cce3');
  });

  it('is the first 32 hex digits of SHA-256 over the NUL-joined parts, for any text', () => {
    const parts = ['customer', 'ünïcode-κλειδί-🔑', 'mongo.shop.customers', '{"ord":3,"resumeToken":"8264"}'] as const;
    const expected = crypto.createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
    expect(canonicalEventId(...parts)).toBe(expected);
  });

  it('tells apart parts that would join to the same text without the separator', () => {
    expect(canonicalEventId('order', 'ab', 'c', 'p')).not.toBe(canonicalEventId('order', 'a', 'bc', 'p'));
  });
});
