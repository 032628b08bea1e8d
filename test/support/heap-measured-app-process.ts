import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const ROOT = path.join(__dirname, '..', '..');

/** The test's side of test/support/heap-measured-app.ts: a canonql whose heap is measured in its own process. */
export interface HeapMeasuredApp {
  readonly graphqlUrl: string;
  readonly database: string;
  /** Heap used after full collections, MiB. */
  heap(): Promise<number>;
  /** Starts sampling the heap (after full collections) every second. */
  startSampling(): void;
  /** Stops sampling; the highest sample, MiB. */
  peak(): Promise<{ peak: number; samples: number }>;
  /** What the process wrote to stderr (its logs), for a failure message. */
  output(): string;
  stop(): Promise<void>;
}

export async function startHeapMeasuredApp(name: string, env: Record<string, string>): Promise<HeapMeasuredApp> {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', path.join(ROOT, 'test', 'support', 'heap-measured-app.ts'), name, JSON.stringify(env)],
    {
      cwd: ROOT,
      env: process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString());
    if (stderr.length > 500) stderr.shift();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await Promise.race([lines.next(), exited.then((code) => ({ done: true, value: `exited with ${code}` }))]);
    if (line.done) throw new Error(`heap-measured app ended (${String(line.value)}):\n${stderr.join('')}`);
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  const ask = async (command: string): Promise<Record<string, unknown>> => {
    child.stdin.write(`${command}\n`);
    return next();
  };
  const ready = (await next()).ready as { graphqlUrl: string; database: string };
  return {
    graphqlUrl: ready.graphqlUrl,
    database: ready.database,
    heap: async () => (await ask('heap')).heap as number,
    startSampling: () => {
      child.stdin.write('sample\n');
    },
    peak: async () => (await ask('peak')) as { peak: number; samples: number },
    output: () => stderr.join(''),
    async stop() {
      if (child.exitCode !== null) return;
      child.stdin.write('stop\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
