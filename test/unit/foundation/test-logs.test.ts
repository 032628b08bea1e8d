import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { captureLogLine, formatLogLines, MAX_CAPTURED_LINES, type TestLogBuffer } from '../../support/test-log-buffer';

const ROOT = path.join(__dirname, '..', '..', '..');

describe('test logs', () => {
  it('are shown with the failing test only, after its assertion error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-jest-logs-'));
    const config = path.join(dir, 'jest.config.js');
    fs.writeFileSync(
      config,
      `module.exports = ${JSON.stringify({
        rootDir: ROOT,
        roots: ['<rootDir>/test/fixtures/jest-logs'],
        testMatch: ['**/*.fixture.ts'],
        testEnvironment: '<rootDir>/test/support/log-capturing-environment.ts',
        transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
        moduleFileExtensions: ['ts', 'js', 'json'],
      })};`,
    );
    const env = { ...process.env };
    delete env.TEST_LOG_LEVEL;
    const run = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--config', config, '--ci', '--colors=false'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status).toBe(1);
    expect(output).toMatch(/1 failed, 1 passed/);
    // The failing test: its assertion first, then its own log lines, one short line each.
    const failure = output.slice(output.indexOf('● fails, with its logs'));
    expect(failure).toMatch(/Expected: "the assertion"/);
    expect(failure.indexOf('Expected: "the assertion"')).toBeLessThan(failure.indexOf('logs of canonql during this test (2 lines)'));
    expect(failure).toMatch(/INFO {2}\[fixture\] the line before the failure \{"orderId":"o-1"\}/);
    expect(failure).toMatch(/ERROR \[fixture\] the failing component said so/);
    // Nothing of the passing test, and no raw JSON log line anywhere.
    expect(output).not.toContain('passing-info');
    expect(output).not.toContain('a warning of a passing test');
    expect(output).not.toMatch(/^\{"level"/m);
  });

  it('keeps only the last lines of a chatty test, and says how many it dropped', () => {
    const buffer: TestLogBuffer = { lines: [], dropped: 0 };
    for (let i = 0; i < MAX_CAPTURED_LINES + 5; i += 1) captureLogLine(buffer, JSON.stringify({ level: 30, time: 0, msg: `line ${i}` }));
    expect(buffer.lines).toHaveLength(MAX_CAPTURED_LINES);
    expect(buffer.dropped).toBe(5);
    expect(formatLogLines(buffer.lines.slice(0, 1))).toBe('  00:00:00.000 INFO  line 5');
    expect(formatLogLines(['not json'])).toBe('  not json');
  });
});
