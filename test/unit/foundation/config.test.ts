import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, SETTINGS } from '../../../src/config';
import { AppError } from '../../../src/errors';
import { LOCAL_KAFKA_BROKERS, LOCAL_MONGODB_URI } from '../../../src/local-stack';

describe('loadConfig', () => {
  it('defaults to the embedded local stack when no servers are named', () => {
    const config = loadConfig({});
    expect(config.usesLocalStack).toBe(true);
    expect(config.mongo.uri).toBe(LOCAL_MONGODB_URI);
    expect(config.kafka.brokers).toEqual([LOCAL_KAFKA_BROKERS]);
    expect(config.roles).toEqual(['ingest', 'api']);
    expect(config.http.port).toBe(4000);
  });

  it('uses the servers named by MONGODB_URI and KAFKA_BROKERS instead', () => {
    const config = loadConfig({ MONGODB_URI: 'mongodb://db:27017/?replicaSet=rs0', KAFKA_BROKERS: 'k1:9092, k2:9092' });
    expect(config.usesLocalStack).toBe(false);
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.kafka.brokers)).toBe(true);
  });

  it('reports every invalid setting at once, with a code', () => {
    let caught: unknown;
    try {
      loadConfig({ CANONQL_HTTP_PORT: 'eighty', KAFKA_BROKERS: 'nohostport', CANONQL_ROLES: 'ingest,cook', LOG_LEVEL: 'loud' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('CONFIG_INVALID');
    expect((caught as AppError).details).toHaveLength(4);
  });

  it('reads record formats per topic and requires a registry once a topic is registry-encoded', () => {
    const config = loadConfig({
      CANONQL_RECORD_FORMATS: 'dbserver1.*=avro, legacy.orders=json',
      CANONQL_SOURCE_REGISTRY_URL: 'https://registry:8081',
      CANONQL_SOURCE_REGISTRY_USER_INFO: 'svc:secret',
    });
    expect(config.ingest.recordFormat).toBe('json');
    expect(config.ingest.topicFormats).toEqual([
      { topic: 'dbserver1.*', format: 'avro' },
      { topic: 'legacy.orders', format: 'json' },
    ]);
    expect(config.ingest.registry).toMatchObject({ url: 'https://registry:8081', userInfo: 'svc:secret', bearerToken: null, attempts: 8, cacheSize: 1000 });
    let caught: AppError | undefined;
    try {
      loadConfig({
        CANONQL_RECORD_FORMAT: 'avro',
        CANONQL_RECORD_FORMATS: 'a=protobuf,b*c=json',
        CANONQL_SOURCE_REGISTRY_BEARER_TOKEN: 't',
        CANONQL_SOURCE_REGISTRY_USER_INFO: 'nocolon',
      });
    } catch (error) {
      caught = error as AppError;
    }
    expect(caught?.details).toEqual([
      'CANONQL_RECORD_FORMATS entry 1 must be <topic>=<format> or <prefix>*=<format>, format one of json, avro, json-schema',
      'CANONQL_RECORD_FORMATS entry 2 must be <topic>=<format> or <prefix>*=<format>, format one of json, avro, json-schema',
      'CANONQL_SOURCE_REGISTRY_USER_INFO must be user:password',
      'CANONQL_SOURCE_REGISTRY_USER_INFO and CANONQL_SOURCE_REGISTRY_BEARER_TOKEN cannot both be set',
      'CANONQL_SOURCE_REGISTRY_URL is required when a topic is avro or json-schema (CANONQL_RECORD_FORMAT, CANONQL_RECORD_FORMATS) and CANONQL_SOURCE_REGISTRIES names no registry for it: *',
    ]);
  });

  it('reads a registry per topic over the default one, each with its own credentials and CA, tuned alike', () => {
    const ca = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-ca-')), 'eu-ca.pem');
    fs.writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
    const config = loadConfig({
      CANONQL_RECORD_FORMATS: 'eu.*=avro,us.orders=json-schema,legacy.*=json',
      CANONQL_SOURCE_REGISTRIES: JSON.stringify([
        { topics: ['eu.*'], url: 'https://eu-registry:8081', userInfo: 'svc:eu-secret', caFile: ca },
        { topics: ['us.orders', 'us.returns'], url: 'http://us-registry:8081/apis/ccompat/v7', bearerToken: 'us-token' },
      ]),
      CANONQL_SOURCE_REGISTRY_ATTEMPTS: '3',
    });
    // No default registry is needed: every registry-encoded topic has one of its own.
    expect(config.ingest.registry).toBeNull();
    expect(config.ingest.topicRegistries).toEqual([
      {
        topics: ['eu.*'],
        registry: { url: 'https://eu-registry:8081', userInfo: 'svc:eu-secret', bearerToken: null, caFile: ca, cacheSize: 1000, timeoutMs: 5000, attempts: 3 },
      },
      {
        topics: ['us.orders', 'us.returns'],
        registry: {
          url: 'http://us-registry:8081/apis/ccompat/v7',
          userInfo: null,
          bearerToken: 'us-token',
          caFile: null,
          cacheSize: 1000,
          timeoutMs: 5000,
          attempts: 3,
        },
      },
    ]);
  });

  it('refuses a registry entry that is not well formed, and a registry-encoded topic no registry serves, naming each', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as AppError).details;
      }
      return [];
    };
    expect(problems({ CANONQL_SOURCE_REGISTRIES: '{"topics": ["a"]}' })).toEqual([
      'CANONQL_SOURCE_REGISTRIES must be a JSON array of {"topics": ["<topic>" or "<prefix>*", ...], "url": "http(s)://...", "userInfo"?: "user:password", "bearerToken"?: "...", "caFile"?: "<PEM file>"}',
    ]);
    expect(
      problems({
        CANONQL_RECORD_FORMATS: 'eu.*=avro,us.orders=avro,ap.*=json-schema',
        CANONQL_SOURCE_REGISTRIES: JSON.stringify([
          { topics: ['eu.sales.*'], url: 'https://eu:8081' },
          { topics: ['us.*'], url: 'ftp://us', userInfo: 'nocolon', bearerToken: 't', region: 'us' },
          { topics: [], caFile: '/no/such/ca.pem' },
          { topics: ['eu.sales.*'], url: 'https://dup:8081' },
          { topics: ['x*y'], url: 'https://x:8081' },
          'ap',
        ]),
      }),
    ).toEqual([
      'CANONQL_SOURCE_REGISTRIES entry 2: unknown key "region" (known: topics, url, userInfo, bearerToken, caFile)',
      'CANONQL_SOURCE_REGISTRIES entry 2: url must be an http(s) URL',
      'CANONQL_SOURCE_REGISTRIES entry 2: userInfo must be user:password',
      'CANONQL_SOURCE_REGISTRIES entry 2: userInfo and CANONQL_SOURCE_REGISTRIES entry 2: bearerToken cannot both be set',
      'CANONQL_SOURCE_REGISTRIES entry 3: topics must be a non-empty array of topics or prefixes ending in *',
      'CANONQL_SOURCE_REGISTRIES entry 3: url is required',
      'CANONQL_SOURCE_REGISTRIES entry 3: caFile "/no/such/ca.pem" is not a readable file',
      'CANONQL_SOURCE_REGISTRIES entry 4: topic "eu.sales.*" is already named by entry 1',
      'CANONQL_SOURCE_REGISTRIES entry 5: topics must be a non-empty array of topics or prefixes ending in *',
      'CANONQL_SOURCE_REGISTRIES entry 6 must be an object (CANONQL_SOURCE_REGISTRIES must be a JSON array of {"topics": ["<topic>" or "<prefix>*", ...], "url": "http(s)://...", "userInfo"?: "user:password", "bearerToken"?: "...", "caFile"?: "<PEM file>"})',
      // eu.sales.* serves only part of eu.*; entry 2 (us.*) is refused, so us.orders has none either.
      'CANONQL_SOURCE_REGISTRY_URL is required when a topic is avro or json-schema (CANONQL_RECORD_FORMAT, CANONQL_RECORD_FORMATS) and CANONQL_SOURCE_REGISTRIES names no registry for it: eu.*, us.orders, ap.*',
    ]);
  });

  it('checks every integer, true/false and topic setting by the rule SETTINGS gives it, naming the setting and the rule', () => {
    const checked = SETTINGS.filter((setting) => setting.check !== undefined);
    expect(checked.length).toBeGreaterThan(15);
    const broken = { integer: '1.5', boolean: 'yes', topic: 'dead letters!' } as const;
    for (const setting of checked) {
      let caught: unknown;
      try {
        loadConfig({ [setting.name]: broken[setting.check!.kind] });
      } catch (error) {
        caught = error;
      }
      expect((caught as AppError).details).toEqual([
        expect.stringMatching(
          new RegExp(`^${setting.name} (must be (an integer|a positive integer|a non-negative integer|true or false)|is not a Kafka topic (name|prefix))`),
        ),
      ]);
    }
    // The bounds hold on both sides: below the minimum and above the maximum are refused, the bounds themselves accepted.
    expect(() => loadConfig({ CANONQL_DECODE_MAX_DEPTH: '1' })).toThrow('CANONQL_DECODE_MAX_DEPTH must be an integer from 2 to 1000');
    expect(() => loadConfig({ CANONQL_DECODE_MAX_DEPTH: '1001' })).toThrow('CANONQL_DECODE_MAX_DEPTH must be an integer from 2 to 1000');
    expect(loadConfig({ CANONQL_DECODE_MAX_DEPTH: '1000', CANONQL_LAG_CACHE_MS: '0' })).toMatchObject({ observability: { lagCacheMs: 0 } });
    expect(() => loadConfig({ CANONQL_INGEST_SESSION_TIMEOUT_MS: '5999' })).toThrow(
      'CANONQL_INGEST_SESSION_TIMEOUT_MS must be an integer of at least 6000 (the broker minimum)',
    );
    expect(loadConfig({ CANONQL_METRICS: 'false', CANONQL_PROMETHEUS: 'true' })).toMatchObject({
      metrics: { enabled: false },
      observability: { prometheus: true },
    });
  });

  it('refuses a topic setting Kafka would refuse, at start and naming it, rather than at the first topic creation', () => {
    const problemsOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        expect((error as AppError).code).toBe('CONFIG_INVALID');
        return (error as AppError).details as string[];
      }
    };
    expect(problemsOf({ CANONQL_DEADLETTER_TOPIC: 'dead letters!' })).toEqual([
      'CANONQL_DEADLETTER_TOPIC is not a Kafka topic name: only letters, digits, ".", "_" and "-" may appear (got "dead letters!")',
    ]);
    expect(problemsOf({ CANONQL_DEMO_ORDERS_TOPIC: '..' })).toEqual([
      'CANONQL_DEMO_ORDERS_TOPIC is not a Kafka topic name: "." and ".." are refused (got "..")',
    ]);
    expect(problemsOf({ CANONQL_DEADLETTER_TOPIC: 'x'.repeat(250) })[0]).toMatch(/^CANONQL_DEADLETTER_TOPIC is not a Kafka topic name: 1 to 249 characters/);
    expect(problemsOf({ CANONQL_CANONICAL_TOPIC_PREFIX: 'canonical/' })).toEqual([
      'CANONQL_CANONICAL_TOPIC_PREFIX is not a Kafka topic prefix: only letters, digits, ".", "_" and "-" may appear (got "canonical/")',
    ]);
    expect(problemsOf({ CANONQL_CANONICAL_TOPIC_PREFIX: 'p'.repeat(249) })[0]).toMatch(/is not a Kafka topic prefix: at most 248 characters/);
    // The longest name, the characters Kafka allows, and a prefix of 248 are accepted; so is "..." and a blank prefix (the default).
    expect(
      problemsOf({ CANONQL_DEADLETTER_TOPIC: 'x'.repeat(249), CANONQL_DEMO_ORDERS_TOPIC: 'Raw_orders-2.v1', CANONQL_CANONICAL_TOPIC_PREFIX: 'p'.repeat(248) }),
    ).toEqual([]);
    expect(loadConfig({ CANONQL_DEADLETTER_TOPIC: '...', CANONQL_CANONICAL_TOPIC_PREFIX: '' })).toMatchObject({
      ingest: { deadLetterTopic: '...', canonicalTopicPrefix: 'canonical.' },
    });
  });

  it('declares every setting with a description', () => {
    for (const setting of SETTINGS) {
      expect(setting.name).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(setting.description.length).toBeGreaterThan(10);
    }
  });
});
