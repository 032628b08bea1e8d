import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../logger';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** One kafkajs client per process, logging through our structured logger. */
export function createKafka(config: Config['kafka'], logger: Logger): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, level, log: entry }: LogEntry) => {
      const { message, ...extra } = entry;
      log[LEVELS[level] ?? 'info']({ namespace, ...extra }, message);
    },
    retry: { initialRetryTime: 200, retries: 8 },
  });
}
