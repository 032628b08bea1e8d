import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { SETTINGS } from '../../../src/config';
import { LOCAL_STACK } from '../../../src/local-stack';

const ROOT = path.join(__dirname, '..', '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface ComposeService {
  image?: string;
  build?: unknown;
  ports?: string[];
  environment?: Record<string, string>;
  command?: string[];
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, ComposeService> };
  const services = compose.services;
  const publishedPort = (name: string) => Number(services[name]!.ports![0]!.split(':')[0]);

  it('runs every server of the design', () => {
    expect(Object.keys(services).sort()).toEqual(['canonql', 'connect', 'kafka', 'mongodb', 'source-mariadb', 'source-mongo', 'source-postgres']);
    expect(services.canonql!.build).toBeDefined();
    expect(services.mongodb!.command).toEqual(expect.arrayContaining(['--replSet']));
    expect(services['source-mongo']!.command).toEqual(expect.arrayContaining(['--replSet']));
    expect(services['source-postgres']!.command).toEqual(expect.arrayContaining(['wal_level=logical']));
    expect(services['source-mariadb']!.command).toEqual(expect.arrayContaining(['--binlog-format=ROW', '--binlog-row-image=FULL']));
    expect(services.connect!.image).toMatch(/debezium\/connect/);
    expect(services.kafka!.environment!.KAFKA_PROCESS_ROLES).toBe('broker,controller');
  });

  it('gives canonql only settings the service declares, pointing at compose services', () => {
    const env = services.canonql!.environment!;
    const declared = new Set(SETTINGS.map((s) => s.name));
    for (const name of Object.keys(env)) expect(declared).toContain(name);
    for (const required of ['MONGODB_URI', 'KAFKA_BROKERS', 'KAFKA_CONNECT_URL', 'SOURCE_POSTGRES_URL', 'SOURCE_MARIADB_URL']) {
      expect(env[required]).toBeDefined();
    }
    const hosts = [
      new URL(env.MONGODB_URI!).hostname,
      env.KAFKA_BROKERS!.split(':')[0]!,
      new URL(env.KAFKA_CONNECT_URL!).hostname,
      new URL(env.SOURCE_POSTGRES_URL!).hostname,
      new URL(env.SOURCE_MARIADB_URL!).hostname,
    ];
    for (const host of hosts) expect(Object.keys(services)).toContain(host);
    expect(services.canonql!.ports).toEqual([`${env.CANONQL_HTTP_PORT}:${env.CANONQL_HTTP_PORT}`]);
  });

  it('publishes servers on the local stack ports, so tests run against either stack', () => {
    expect(publishedPort('mongodb')).toBe(LOCAL_STACK.mongoPort);
    expect(publishedPort('kafka')).toBe(LOCAL_STACK.kafkaPort);
    expect(publishedPort('connect')).toBe(LOCAL_STACK.connectPort);
    expect(publishedPort('source-postgres')).toBe(LOCAL_STACK.postgresPort);
    expect(publishedPort('source-mariadb')).toBe(LOCAL_STACK.mariadbPort);
    const envFile = read('.env.compose');
    expect(envFile).toContain(`localhost:${LOCAL_STACK.mongoPort}`);
    expect(envFile).toContain(`localhost:${LOCAL_STACK.kafkaPort}`);
  });
});

describe('documentation', () => {
  it('documents every setting', () => {
    const reference = read('docs/configuration.md');
    for (const setting of SETTINGS) expect(reference).toContain(`\`${setting.name}\``);
  });

  it('documents every stack command', () => {
    const stack = read('docs/local-stack.md');
    for (const command of ['up', 'down', 'status', 'logs', 'reset']) expect(stack).toContain(`npm run stack -- ${command}`);
  });

  it('keeps the README a front page with the two commands', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });
});
