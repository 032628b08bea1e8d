import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import type { Circus } from '@jest/types';
import NodeEnvironment from 'jest-environment-node';
import { formatLogLines, TEST_LOG_BUFFER, type TestLogBuffer } from './test-log-buffer';

/**
 * Jest's node environment, plus the logs of canonql components started by a test file kept in
 * memory (test/support/test-logger.ts writes them here) and shown only when a test fails: they are
 * attached to that test's failure, after its assertion error, so a run's output is the failures
 * first and no log of a passing test at all. `TEST_LOG_LEVEL=debug` (or any level) prints them
 * live instead, for a run under investigation.
 */
export default class LogCapturingEnvironment extends NodeEnvironment {
  private readonly buffer: TestLogBuffer = { lines: [], dropped: 0 };

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    this.global[TEST_LOG_BUFFER] = this.buffer;
  }

  handleTestEvent(event: Circus.Event): void {
    if (event.name === 'test_done') {
      // Logs since the previous test finished (its setup, the test, its hooks) belong to this one.
      if (event.test.errors.length > 0 && this.buffer.lines.length > 0) event.test.errors.push(this.capturedLogs());
      this.clear();
    } else if (event.name === 'hook_failure' && this.buffer.lines.length > 0) {
      // A failed beforeAll/afterAll fails no single test's errors list we can extend: print them.
      process.stderr.write(`\n${this.capturedLogs().message}\n`);
      this.clear();
    }
  }

  private capturedLogs(): Error {
    const { lines, dropped } = this.buffer;
    const error = new Error(
      `logs of canonql during this test (${lines.length + dropped} lines${dropped > 0 ? `, the first ${dropped} dropped` : ''}):\n${formatLogLines(lines)}`,
    );
    error.stack = error.message; // the logs are the information; a stack into this file is not
    return error;
  }

  private clear(): void {
    this.buffer.lines.length = 0;
    this.buffer.dropped = 0;
  }
}
