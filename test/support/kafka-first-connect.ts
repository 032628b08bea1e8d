import pino from 'pino';
import { loadConfig } from '../../src/config';
import { isAppError } from '../../src/errors';
import { createKafka } from '../../src/infra/kafka';

/**
 * Child-process probe for timing tests: connects one admin client of the service's own Kafka
 * factory with the KAFKA_* settings of its environment and prints one JSON line,
 * `{"ms": <duration of connect()>, "code": <AppError code> | null, "message": ...}`.
 * Run as `node --import tsx test/support/kafka-first-connect.ts`, so the timing is not disturbed
 * by whatever the test worker runs beside it.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const admin = createKafka(config.kafka, pino({ level: 'silent' })).admin();
  const started = performance.now();
  let code: string | null = null;
  let message = 'connected';
  try {
    await admin.connect();
  } catch (error) {
    code = isAppError(error) ? error.code : `not an AppError: ${(error as Error).name}`;
    message = (error as Error).message;
  }
  const ms = Math.round(performance.now() - started);
  await admin.disconnect().catch(() => undefined);
  process.stdout.write(`${JSON.stringify({ ms, code, message })}\n`);
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(2);
  },
);
