/**
 * `npm run bench:profile-summary -- <file> [--top 15] [--per N]`: a text summary of a V8 profile,
 * for the performance doc.
 * - A CPU profile (`.cpuprofile`: what `node --cpu-prof` and BENCH_CPU_PROF_DIR write): the share
 *   of samples that were idle, garbage collection and program, then self time per area (a package
 *   under node_modules, a folder of src/, node's internals) and per function.
 * - A sampling heap profile (`.heapprofile`: what BENCH_HEAP_PROF_DIR writes): bytes allocated in
 *   all, then self bytes per area and per function; `--per N` also divides them by N (the run's
 *   events, say) to give bytes per event.
 */
import fs from 'node:fs';
import { readBenchArgs } from './support/bench-args';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}
interface HeapNode {
  id: number;
  callFrame: CallFrame;
  children: HeapNode[];
}
interface HeapProfile {
  head: HeapNode;
  samples: { size: number; nodeId: number }[];
}

const {
  values: args,
  positionals: [file],
} = readBenchArgs({
  command: 'npm run bench:profile-summary --',
  positionals: [{ name: 'file', help: 'a V8 CPU profile (node --cpu-prof, BENCH_CPU_PROF_DIR) or sampling heap profile (BENCH_HEAP_PROF_DIR)' }],
  options: {
    top: { type: 'number', default: 15, help: 'functions listed' },
    per: { type: 'number', default: 0, help: "a heap profile: also give bytes per this many units (the run's events)" },
  },
});
const TOP = args.top;
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile | HeapProfile;

/** Where a frame's code lives: a package, a folder of the project, node itself, or V8's own states. */
function areaOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node:internal';
  const src = url.indexOf('/src/');
  if (src >= 0)
    return `src/${
      url
        .slice(src + 5)
        .split('/')
        .slice(0, -1)
        .join('/') || '.'
    }`;
  return url.replace(/^file:\/\//, '');
}

/** Self weight (ms of samples, or bytes allocated) per call frame. */
function selfWeights(): { frames: Map<number, CallFrame>; self: Map<number, number> } {
  const frames = new Map<number, CallFrame>();
  const self = new Map<number, number>();
  if ('head' in profile) {
    const pending = [profile.head];
    for (let node = pending.pop(); node; node = pending.pop()) {
      frames.set(node.id, node.callFrame);
      pending.push(...node.children);
    }
    for (const { nodeId, size } of profile.samples) self.set(nodeId, (self.get(nodeId) ?? 0) + size);
  } else {
    for (const node of profile.nodes) frames.set(node.id, node.callFrame);
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  }
  return { frames, self };
}

const { frames, self } = selfWeights();
let total = 0;
const areas = new Map<string, number>();
const functions = new Map<string, number>();
// A sample may name a node the profile's tree lacks (V8 takes the two apart while the program runs:
// seen in heap profiles, one sample in some 300,000); its weight counts under its own name.
const unknownFrame: CallFrame = { functionName: '(node missing from the profile)', url: '', lineNumber: -1 };
for (const [id, weight] of self) {
  const { functionName, url, lineNumber } = frames.get(id) ?? unknownFrame;
  const area = areaOf(url, functionName);
  total += weight;
  areas.set(area, (areas.get(area) ?? 0) + weight);
  const name = `${functionName || '(anonymous)'} ${url ? `${area}:${lineNumber + 1}` : ''}`.trim();
  functions.set(name, (functions.get(name) ?? 0) + weight);
}

const pct = (weight: number) => `${((100 * weight) / total).toFixed(1)}%`;
const top = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, TOP);
if ('head' in profile) {
  const per = args.per > 0 ? args.per : null;
  const perUnit = (bytes: number) => (per ? ` | ${Math.round(bytes / per)}` : '');
  console.log(`${file}: ${(total / 2 ** 20).toFixed(1)} MiB allocated (sampled)${per ? `, ${Math.round(total / per)} bytes per unit of ${per}` : ''}`);
  console.log(`\n| allocated by area | share${per ? ' | bytes per unit' : ''} |\n|---|---|${per ? '---|' : ''}`);
  for (const [area, bytes] of top(areas)) console.log(`| ${area} | ${pct(bytes)}${perUnit(bytes)} |`);
  console.log(`\n| allocated by function | share${per ? ' | bytes per unit' : ''} |\n|---|---|${per ? '---|' : ''}`);
  for (const [name, bytes] of top(functions)) console.log(`| ${name.replace(/\|/g, '\\|')} | ${pct(bytes)}${perUnit(bytes)} |`);
} else {
  console.log(
    `${file}: ${(total / 1000).toFixed(1)} s sampled; idle ${pct(areas.get('(idle)') ?? 0)}, GC ${pct(areas.get('(garbage collector)') ?? 0)}, program ${pct(areas.get('(program)') ?? 0)}`,
  );
  console.log('\n| self time by area | share |\n|---|---|');
  for (const [area, ms] of top(areas)) console.log(`| ${area} | ${pct(ms)} |`);
  console.log('\n| self time by function | share |\n|---|---|');
  for (const [name, ms] of top(functions)) console.log(`| ${name.replace(/\|/g, '\\|')} | ${pct(ms)} |`);
}
