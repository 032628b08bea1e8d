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
 * Profiles of this process while `work` runs, each when its directory is set (else `work` alone):
 * - BENCH_CPU_PROF_DIR: a V8 CPU profile, `<name>-<time>.cpuprofile`, sampled every
 *   BENCH_CPU_PROF_INTERVAL_US microseconds (default `intervalUs`);
 * - BENCH_HEAP_PROF_DIR: a sampling heap profile, `<name>-<time>.heapprofile`, one sample per
 *   BENCH_HEAP_PROF_INTERVAL_BYTES allocated (default 2048), counting what was collected too, so it
 *   shows where the garbage comes from rather than what stayed alive.
 * Both go to `npm run bench:profile-summary`; `written` is told each file.
 */
export async function withProfiles<T>(
  name: string,
  work: () => Promise<T>,
  options: { readonly intervalUs?: number; readonly written?: (file: string) => void } = {},
): Promise<T> {
  const cpuDir = process.env.BENCH_CPU_PROF_DIR;
  const heapDir = process.env.BENCH_HEAP_PROF_DIR;
  if (!cpuDir && !heapDir) return work();
  const session = new Session();
  session.connect();
  if (cpuDir) {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_CPU_PROF_INTERVAL_US ?? options.intervalUs ?? 200) });
    await session.post('Profiler.start');
  }
  if (heapDir) {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: Number(process.env.BENCH_HEAP_PROF_INTERVAL_BYTES ?? 2048),
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  const write = (dir: string, extension: string, profile: unknown) => {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}-${Date.now()}.${extension}`);
    fs.writeFileSync(file, JSON.stringify(profile));
    options.written?.(file);
  };
  try {
    return await work();
  } finally {
    if (cpuDir) write(cpuDir, 'cpuprofile', (await session.post('Profiler.stop')).profile);
    if (heapDir) write(heapDir, 'heapprofile', (await session.post('HeapProfiler.stopSampling')).profile);
    session.disconnect();
  }
}
