/**
 * `npm run bench:heap-diff -- <before.heapsnapshot> <after.heapsnapshot> [--per 1000] [--top 25]`:
 * what a process allocated between two V8 heap snapshots of it and still holds. The objects of
 * `after` whose snapshot id is not in `before` are grouped by kind and constructor name, with
 * their count and self size (divided by `--per`, e.g. the number of subscriptions opened in
 * between). `BENCH_HEAP_DIR=<dir>` makes a benchmark's child processes write a snapshot at each
 * memory measurement (bench/support/bench-common.ts `memoryAfterGc`).
 */
import fs from 'node:fs';
import { readBenchArgs } from './support/bench-args';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const {
  values: args,
  positionals: [beforeFile, afterFile],
} = readBenchArgs({
  command: 'npm run bench:heap-diff --',
  positionals: [
    { name: 'before.heapsnapshot', help: 'the earlier heap snapshot of the process' },
    { name: 'after.heapsnapshot', help: 'a later heap snapshot of the same process' },
  ],
  options: {
    per: { type: 'number', default: 1, help: 'divide counts and sizes by this (e.g. the subscriptions opened in between)' },
    top: { type: 'number', default: 25, help: 'groups listed' },
  },
});
const PER = args.per;
const TOP = args.top;

/** Each node of a snapshot as (id, kind, name, self size). */
function* nodesOf(file: string): Generator<{ id: number; kind: string; name: string; size: number }> {
  const heap = JSON.parse(fs.readFileSync(file, 'utf8')) as HeapSnapshot;
  const fields = heap.snapshot.meta.node_fields;
  const kinds = heap.snapshot.meta.node_types[0];
  const [type, name, id, size] = ['type', 'name', 'id', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number, number];
  for (let at = 0; at < heap.nodes.length; at += fields.length) {
    const kind = kinds[heap.nodes[at + type]!]!;
    // Strings and code are named by their content; group them by kind only.
    const label = kind === 'object' || kind === 'closure' || kind === 'native' ? heap.strings[heap.nodes[at + name]!]! : `(${kind})`;
    yield { id: heap.nodes[at + id]!, kind, name: label, size: heap.nodes[at + size]! };
  }
}

const before = new Set<number>();
for (const node of nodesOf(beforeFile)) before.add(node.id);
const groups = new Map<string, { count: number; bytes: number }>();
let total = 0;
for (const node of nodesOf(afterFile)) {
  if (before.has(node.id)) continue;
  const key = node.kind === 'object' || node.kind === 'closure' || node.kind === 'native' ? `${node.kind} ${node.name}` : node.name;
  const group = groups.get(key) ?? { count: 0, bytes: 0 };
  group.count += 1;
  group.bytes += node.size;
  groups.set(key, group);
  total += node.size;
}
console.log(`new objects in ${afterFile} (not in ${beforeFile}): ${(total / PER).toFixed(0)} bytes self size per ${PER === 1 ? 'run' : `1/${PER}`}\n`);
console.log(`| kind and constructor | count${PER === 1 ? '' : ' per unit'} | bytes${PER === 1 ? '' : ' per unit'} | share |`);
console.log('|---|---|---|---|');
for (const [key, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, TOP)) {
  console.log(
    `| ${key.replace(/\|/g, '\\|').slice(0, 80)} | ${(g.count / PER).toFixed(2)} | ${(g.bytes / PER).toFixed(0)} | ${((g.bytes / total) * 100).toFixed(1)}% |`,
  );
}
