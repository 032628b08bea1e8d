import pino from 'pino';
import type { Logger } from '../../src/logger';
import { captureLogLine, testLogBuffer } from './test-log-buffer';

/**
 * The logger to hand canonql components a test starts. Lines are kept by the test environment and
 * shown only with a failing test (log-capturing-environment.ts); with TEST_LOG_LEVEL set they are
 * printed live, at that level, instead. Outside that environment (a script) they go to stderr.
 */
export function testLogger(level = 'info'): Logger {
  const live = process.env.TEST_LOG_LEVEL;
  const buffer = testLogBuffer();
  if (live !== undefined || buffer === undefined) return pino({ level: live ?? level }, process.stderr);
  // pino writes one JSON line per call, synchronously, to any object with write().
  return pino({ level }, { write: (line: string) => captureLogLine(buffer, line.trimEnd()) });
}
