/**
 * Addresses of the embedded local stack (`npm run stack -- up`). The service's config uses them as
 * defaults when MONGODB_URI / KAFKA_BROKERS / KAFKA_CONNECT_URL are unset, and the stack launcher
 * binds its servers to them, so both sides read one table. Ports are deliberately non-default so
 * the stack never collides with a developer's own Kafka, PostgreSQL or MongoDB.
 */
export const LOCAL_STACK = Object.freeze({
  host: '127.0.0.1',
  kafkaPort: 19092,
  kafkaControllerPort: 19093,
  /** A second broker listener, SASL_PLAINTEXT with SCRAM users (infra/stack/kafka-scram.ts). */
  kafkaSaslPort: 19094,
  /** TLS listener with mutual TLS required (client certificate signed by the stack's CA; infra/stack/kafka-tls.ts). */
  kafkaSslPort: 19095,
  /** TLS + SASL/SCRAM listener (server certificate only; the SCRAM user of the SASL listener). */
  kafkaSaslSslPort: 19096,
  connectPort: 18083,
  postgresPort: 15432,
  /** MariaDB (binlog in ROW format), the second relational source captured by Debezium. */
  mariadbPort: 13306,
  mongoPort: 27117,
});

export const LOCAL_MONGODB_URI = `mongodb://${LOCAL_STACK.host}:${LOCAL_STACK.mongoPort}/?directConnection=true`;
export const LOCAL_KAFKA_BROKERS = `${LOCAL_STACK.host}:${LOCAL_STACK.kafkaPort}`;
export const LOCAL_CONNECT_URL = `http://${LOCAL_STACK.host}:${LOCAL_STACK.connectPort}`;
export const LOCAL_POSTGRES_URL = `postgres://postgres@${LOCAL_STACK.host}:${LOCAL_STACK.postgresPort}/canonql_source`;
export const LOCAL_MARIADB_URL = `mariadb://root@${LOCAL_STACK.host}:${LOCAL_STACK.mariadbPort}/canonql_source`;
