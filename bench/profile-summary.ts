/**
 * `npm run bench:profile-summary -- <file.cpuprofile> [--top 15]`: a text summary of a V8 CPU
 * profile (what `node --cpu-prof` and `BENCH_CPU_PROF_DIR` write), for the performance doc: the
 * share of samples that were idle, garbage collection and program, then self time per area
 * (a package under node_modules, a folder of src/, node's internals) and per function.
 */
import fs from 'node:fs';
import { readBenchArgs } from './support/bench-args';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const {
  values: args,
  positionals: [file],
} = readBenchArgs({
  command: 'npm run bench:profile-summary --',
  positionals: [{ name: 'file.cpuprofile', help: 'a V8 CPU profile (node --cpu-prof, BENCH_CPU_PROF_DIR)' }],
  options: { top: { type: 'number', default: 15, help: 'functions listed' } },
});
const TOP = args.top;
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;

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

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMs = new Map<number, number>();
let totalMs = 0;
profile.samples.forEach((id, i) => {
  const ms = (profile.timeDeltas[i] ?? 0) / 1000;
  totalMs += ms;
  selfMs.set(id, (selfMs.get(id) ?? 0) + ms);
});

const areas = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, ms] of selfMs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const area = areaOf(url, functionName);
  areas.set(area, (areas.get(area) ?? 0) + ms);
  const name = `${functionName || '(anonymous)'} ${url ? `${area}:${lineNumber + 1}` : ''}`.trim();
  functions.set(name, (functions.get(name) ?? 0) + ms);
}

const pct = (ms: number) => `${((100 * ms) / totalMs).toFixed(1)}%`;
const top = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, TOP);
console.log(
  `${file}: ${(totalMs / 1000).toFixed(1)} s sampled; idle ${pct(areas.get('(idle)') ?? 0)}, GC ${pct(areas.get('(garbage collector)') ?? 0)}, program ${pct(areas.get('(program)') ?? 0)}`,
);
console.log('\n| self time by area | share |\n|---|---|');
for (const [area, ms] of top(areas)) console.log(`| ${area} | ${pct(ms)} |`);
console.log('\n| self time by function | share |\n|---|---|');
for (const [name, ms] of top(functions)) console.log(`| ${name.replace(/\|/g, '\\|')} | ${pct(ms)} |`);
