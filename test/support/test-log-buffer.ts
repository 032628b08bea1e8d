/**
 * Where a test file's canonql logs wait until jest knows whether the test failed: an array on the
 * test environment's global (see log-capturing-environment.ts), bounded to the last
 * MAX_CAPTURED_LINES lines.
 */
export const TEST_LOG_BUFFER = '__canonqlTestLogs';
export const MAX_CAPTURED_LINES = 300;

export interface TestLogBuffer {
  lines: string[];
  /** Lines pushed out of the bounded buffer since it was last cleared. */
  dropped: number;
}

export function testLogBuffer(): TestLogBuffer | undefined {
  return (globalThis as Record<string, unknown>)[TEST_LOG_BUFFER] as TestLogBuffer | undefined;
}

export function captureLogLine(buffer: TestLogBuffer, line: string): void {
  buffer.lines.push(line);
  if (buffer.lines.length > MAX_CAPTURED_LINES) {
    buffer.lines.shift();
    buffer.dropped += 1;
  }
}

/** Pino JSON lines as one short line each: `12:00:01.234 WARN  [component] message {other fields}`. */
export function formatLogLines(lines: readonly string[]): string {
  return lines.map(formatLogLine).join('\n');
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `  ${line}`;
  }
  const { level, time, msg, component, pid: _pid, hostname: _hostname, name: _name, ...rest } = entry;
  const levelName = typeof level === 'number' ? (LEVELS[level] ?? String(level)) : String(level ?? '').toUpperCase();
  const at = typeof time === 'number' || typeof time === 'string' ? new Date(time).toISOString().slice(11, 23) : '';
  const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return `  ${at} ${levelName.padEnd(5)} ${component ? `[${String(component)}] ` : ''}${String(msg ?? '')}${fields}`;
}
