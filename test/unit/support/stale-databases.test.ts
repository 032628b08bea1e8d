import { isStaleTestDatabase, STALE_AFTER_MS } from '../../support/stale-databases';
import { isStaleTestTopic } from '../../support/stale-topics';

const NOW = Date.UTC(2026, 11, 4, 9, 0, 0);
const named = (prefix: string, createdMs: number) => `${prefix}_${createdMs.toString(36)}_a1b2c3`;

describe('isStaleTestDatabase: the databases earlier test runs left', () => {
  it('a uniquely named database older than the bound is stale; a younger one is a run still going', () => {
    expect(isStaleTestDatabase(named('rollup_intents', NOW - STALE_AFTER_MS - 1), NOW)).toBe(true);
    expect(isStaleTestDatabase(named('bench_metrics_on', NOW - 30 * 86_400_000), NOW)).toBe(true);
    expect(isStaleTestDatabase(named('rollup_intents', NOW - STALE_AFTER_MS + 60_000), NOW)).toBe(false);
    expect(isStaleTestDatabase(named('rollup_intents', NOW), NOW)).toBe(false);
  });

  it('any other name is left alone: the service database, a name with no time, a time outside 2020 to now', () => {
    for (const name of [
      'canonql',
      'admin',
      'local',
      'orders',
      'orders_2024',
      'rollup_intents_mx8rdkup',
      'rollup_intents_mx8rdkup_zzzzzz',
      'shop_abcdefgh_a1b2c3',
    ]) {
      expect(isStaleTestDatabase(name, NOW)).toBe(false);
    }
    // Made "tomorrow" by a clock set wrong: left alone until the bound has passed after it.
    expect(isStaleTestDatabase(named('ahead', NOW + 86_400_000), NOW)).toBe(false);
    expect(isStaleTestDatabase(named('ahead', NOW + 86_400_000), NOW + 86_400_000 + STALE_AFTER_MS + 1)).toBe(true);
  });
});

describe('isStaleTestTopic: the topics earlier test runs left', () => {
  it('a unique name, alone or with a dotted suffix, older than the bound is stale; a younger one is a run still going', () => {
    for (const name of [
      named('raw.mongo.orders', NOW - STALE_AFTER_MS - 1),
      `${named('canonical', NOW - STALE_AFTER_MS - 1)}.order`,
      `${named('dbz', NOW - 30 * 86_400_000)}.public.customers`,
      named('deadletter', NOW - 30 * 86_400_000),
    ]) {
      expect(isStaleTestTopic(name, NOW)).toBe(true);
    }
    expect(isStaleTestTopic(`${named('canonical', NOW - STALE_AFTER_MS + 60_000)}.order`, NOW)).toBe(false);
    expect(isStaleTestTopic(named('raw.mongo.orders', NOW), NOW)).toBe(false);
  });

  it("any other topic is left alone: the broker's and Connect's own, the service's, a name with no time", () => {
    for (const name of [
      '__consumer_offsets',
      'canonql.deadletter',
      'canonql.public.customers',
      'canonical.order',
      'connect-offsets',
      'raw.mongo.orders_mx8rdkup',
      `${named('canonical', NOW - STALE_AFTER_MS - 1)}_kept`,
      `x.${named('canonical', NOW - STALE_AFTER_MS - 1)}-`,
    ]) {
      expect(isStaleTestTopic(name, NOW)).toBe(false);
    }
  });
});
