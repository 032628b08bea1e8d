import type { MongoClient, MongoClientEvents } from 'mongodb';

/**
 * What the store watchdogs (mongo-monitor-watchdog.ts, mongo-operation-watchdog.ts) share: they
 * follow some of the driver's events to know what is outstanding, look for what has been
 * outstanding too long on a timer, and undo both when the client closes.
 */
export interface ClientWatchdog {
  /** Looks now (the timer calls it every `checkEveryMs`); returns what was acted on. */
  check(): string[];
  stop(): void;
}

export type ClientListeners = { readonly [E in keyof MongoClientEvents]?: MongoClientEvents[E] };

/**
 * Adds the listeners to the client and calls `check` every `everyMs` (0: never by itself, tests
 * call `check()`); the timer does not keep the process alive. `stop` removes both, then calls
 * `onStop` to drop what the watchdog held.
 */
export function startClientWatchdog(
  client: MongoClient,
  listeners: ClientListeners,
  check: () => string[],
  everyMs: number,
  onStop: () => void,
): ClientWatchdog {
  const entries = Object.entries(listeners) as [keyof MongoClientEvents, (...args: never[]) => void][];
  for (const [event, listener] of entries) client.on(event, listener as MongoClientEvents[typeof event]);
  const timer = everyMs > 0 ? setInterval(check, everyMs) : null;
  timer?.unref();
  return {
    check,
    stop() {
      if (timer) clearInterval(timer);
      for (const [event, listener] of entries) client.off(event, listener as MongoClientEvents[typeof event]);
      onStop();
    },
  };
}
