import 'reflect-metadata';
import { loadConfig } from './config';
import { isAppError } from './errors';
import { createLogger } from './logger';
import { startApp } from './app';

/** Process entry: config, app, signals. Exits non-zero with a coded message when start fails. */
export async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  const logger = createLogger({ level: config.logLevel });
  try {
    const app = await startApp(config, logger);
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      app.stop().then(() => process.exit(0), (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  } catch (error) {
    logger.fatal({ err: error, code: isAppError(error) ? error.code : undefined }, 'canonql failed to start');
    process.exit(1);
  }
}

if (require.main === module) void main();
