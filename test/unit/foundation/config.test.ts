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

  it('declares every setting with a description', () => {
    for (const setting of SETTINGS) {
      expect(setting.name).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(setting.description.length).toBeGreaterThan(10);
    }
  });
});
