import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stdout (one object per line), so any log shipper can index them.
 * Components take a child logger with their own `component` field rather than a global.
 */
export function createLogger(options: { level: string; name?: string }): Logger {
  return pino({
    name: options.name ?? 'canonql',
    level: options.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
