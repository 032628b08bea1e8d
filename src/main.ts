import 'reflect-metadata';
import { loadConfig, type Config } from './config';
import { isAppError } from './errors';
import { createLogger } from './logger';
import { startApp, type App } from './app';

/**
 * Process entry: config, app, signals. Exits non-zero with a coded message when start fails.
 *
 * Shutdown (SIGTERM, SIGINT): the app closes its resources in reverse order of opening (see
 * app.ts): readiness turns 503, the GraphQL endpoint drains (in-flight requests answered,
 * websockets closed with 1001 "going away"), the change feed stops, the consumers (metrics,
 * ingestion, raw-topic profiling) finish the batch in flight and commit it before leaving their
 * groups, then the clients close. Exit 0 when all of that is done within
 * CANONQL_SHUTDOWN_TIMEOUT_MS; past it, exit 1 with a log line naming what did not finish. A batch
 * abandoned that way was not committed: the next owner of its partition replays it, which the
 * guarded upsert turns into no-ops. A second signal while stopping exits at once (1).
 */
export async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  const logger = createLogger({ level: config.logLevel });
  // Signals are handled from the first moment: one that arrives while the app is still starting
  // (e.g. waiting for a consumer-group join) stops it cleanly as soon as it has started.
  let app: App | null = null;
  let requested: string | null = null;
  let stopping = false;
  const timeoutMs = config.shutdownTimeoutMs;
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn({ signal, pending: app?.pendingStop() ?? [] }, 'second signal while shutting down: exiting now');
      process.exit(1);
    }
    if (!app) {
      if (requested) process.exit(1);
      requested = signal;
      logger.info({ signal }, 'signal while starting: stopping as soon as started');
      return;
    }
    const running = app;
    stopping = true;
    const started = Date.now();
    logger.info({ signal, timeoutMs }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error(
        { signal, timeoutMs, pending: running.pendingStop() },
        `shutdown did not finish within ${timeoutMs} ms: ${running.pendingStop().join(', ')} still closing`,
      );
      process.exit(1);
    }, timeoutMs);
    running.stop().then(
      () => {
        clearTimeout(deadline);
        logger.info({ signal, ms: Date.now() - started }, 'shut down');
        process.exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    app = await startApp(config, logger);
  } catch (error) {
    logger.fatal({ err: error, code: isAppError(error) ? error.code : undefined }, 'canonql failed to start');
    process.exit(1);
  }
  if (requested) shutdown(requested);
}

if (require.main === module) void main();
