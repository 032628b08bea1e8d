import readline from 'node:readline';
import { startAppUnderTest, type AppUnderTest } from './app-under-test';

/**
 * A whole canonql (startAppUnderTest) in a process of its own whose heap a test measures: a heap
 * bound measured inside the shared jest worker also counts whatever earlier suites left there, so
 * it passes or fails by the order suites ran in. Run as
 * `node --expose-gc --import tsx test/support/heap-measured-app.ts <name> <env as JSON>`
 * (see startHeapMeasuredApp). It prints `{"ready": {graphqlUrl, database}}`, then answers one JSON
 * line per command read on stdin:
 *
 * - `heap`: `{"heap": MiB}` after full collections;
 * - `sample`: starts sampling that every second; `peak`: stops and answers `{"peak": MiB, "samples": n}`;
 * - `stop`: stops the app and exits.
 */
declare const gc: () => void;

const heapMiB = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

async function main(): Promise<void> {
  const [name = 'heap-measured', envJson = '{}'] = process.argv.slice(2);
  const app: AppUnderTest = await startAppUnderTest(name, JSON.parse(envJson) as Record<string, string>);
  const reply = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  let samples: number[] = [];
  let sampling: NodeJS.Timeout | null = null;
  reply({ ready: { graphqlUrl: app.app.graphqlUrl, database: app.database } });
  for await (const command of readline.createInterface({ input: process.stdin })) {
    switch (command.trim()) {
      case 'heap':
        reply({ heap: heapMiB() });
        break;
      case 'sample':
        samples = [];
        sampling = setInterval(() => samples.push(heapMiB()), 1000);
        break;
      case 'peak':
        if (sampling) clearInterval(sampling);
        sampling = null;
        reply({ peak: Math.max(...samples), samples: samples.length });
        break;
      case 'stop':
        if (sampling) clearInterval(sampling);
        await app.stop();
        process.exit(0);
        break;
      default:
        reply({ error: `unknown command ${JSON.stringify(command)}` });
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
