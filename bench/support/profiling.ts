import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

/** A process's CPU time so far, user + system, in seconds (Linux: /proc/<pid>/stat, in clock ticks of 1/100 s). */
export function processCpuSeconds(pid: number): number {
  // After "pid (comm) ": utime and stime are the 14th and 15th fields (1-based).
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * A V8 CPU profile of this process while `work` runs, when BENCH_CPU_PROF_DIR is set: written
 * there as `<name>-<time>.cpuprofile`, sampled every BENCH_CPU_PROF_INTERVAL_US microseconds
 * (default `intervalUs`), for `npm run bench:profile-summary`; `written` is told the file.
 * Without BENCH_CPU_PROF_DIR, `work` alone.
 */
export async function withCpuProfile<T>(
  name: string,
  work: () => Promise<T>,
  options: { readonly intervalUs?: number; readonly written?: (file: string) => void } = {},
): Promise<T> {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  if (!dir) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_CPU_PROF_INTERVAL_US ?? options.intervalUs ?? 200) });
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}-${Date.now()}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    options.written?.(file);
  }
}
