/**
 * `npm run bench`: every benchmark scenario against the local stack (started if needed, as the
 * tests' global setup does, or the servers named by MONGODB_URI / KAFKA_BROKERS / ...), one after
 * the other, each printing its own tables; then one summary table of ratios against the
 * baselines measured in the same run, with the absolute figures beside them, written to
 * bench-results/summary.json and bench-results/summary.md with the machine description.
 *
 *   npm run bench -- [--long] [--only ingest,api,subscriptions,metrics,e2e] [--skip e2e]
 *
 * Default sizes finish in about 10 minutes on 2 cores; --long runs each scenario at its full size
 * (ingestion: 100,000 events over 10,000 keys). The 1-minute load average before each scenario
 * is recorded: other work on the machine shows up there.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProgress } from '../infra/stack/progress';
import { stackUp } from '../infra/stack/stack';
import { config, fmt, machine, ROOT } from './support/bench-common';
import { readBenchArgs } from './support/bench-args';

const SCENARIO_NAMES = ['ingest', 'api', 'subscriptions', 'metrics', 'e2e'] as const;
type Scenario = (typeof SCENARIO_NAMES)[number];
const { values: cli } = readBenchArgs({
  command: 'npm run bench --',
  options: {
    long: { type: 'flag', help: 'every scenario at its full size' },
    only: { type: 'list', default: SCENARIO_NAMES, choices: SCENARIO_NAMES, help: 'the scenarios run' },
    skip: { type: 'list', default: [], choices: SCENARIO_NAMES, help: 'scenarios left out' },
  },
});
const LONG = cli.long;
const SCENARIOS = {
  ingest: {
    script: 'ingest-throughput.ts',
    result: 'ingest-throughput',
    args: LONG ? ['--long'] : ['--events', '20000', '--keys', '4000', '--correctness-events', '8000'],
  },
  api: { script: 'api-throughput.ts', result: 'api-throughput', args: LONG ? [] : ['--seconds', '5'] },
  subscriptions: {
    script: 'subscription-latency.ts',
    result: 'subscription-latency',
    args: LONG ? ['--rates', '500,50', '--seconds', '20'] : ['--rates', '500', '--seconds', '10'],
  },
  metrics: { script: 'metrics.ts', result: 'metrics', args: LONG ? [] : ['--events', '5000', '--rounds', '1', '--queries', '200'] },
  e2e: { script: 'e2e-latency.ts', result: 'e2e-latency', args: LONG ? ['--seconds', '30'] : ['--seconds', '10'] },
} as const satisfies Record<Scenario, { script: string; result: string; args: readonly string[] }>;

const skip = new Set(cli.skip);
const selected = SCENARIO_NAMES.filter((s) => cli.only.includes(s) && !skip.has(s));
const resultsDir = path.join(ROOT, 'bench-results');

interface Row {
  scenario: string;
  measure: string;
  canonql: string;
  baseline: string;
  ratio: string;
  target: string;
  verdict: string;
}

/** A results file as written by its scenario; each row below reads the fields that scenario writes. */
// biome-ignore lint/suspicious/noExplicitAny: the results files are JSON of several shapes, read field by field
type Json = any;
const read = (name: string): Json | null => {
  try {
    return JSON.parse(fs.readFileSync(path.join(resultsDir, `${name}.json`), 'utf8'));
  } catch {
    return null;
  }
};
const verdict = (ok: boolean) => (ok ? 'meets' : 'misses');

/** The headline rows of each scenario, from the results file it wrote in this run. */
function rowsOf(scenario: Scenario, r: Json): Row[] {
  if (scenario === 'ingest') {
    const s = r.summary;
    const rows: Row[] = [];
    if (s.baseline && s.canonql) {
      rows.push({
        scenario: 'ingestion',
        measure: `events/s, ${r.settings.events} c/u/d events, ${r.settings.keys} keys`,
        canonql: fmt(s.canonql.eventsPerSecond),
        baseline: `${fmt(s.baseline.eventsPerSecond)} (kafkajs + JSON.parse + unordered bulk upsert)`,
        ratio: fmt(r.canonqlToBaseline, 2),
        target: '≥ 0.70',
        verdict: verdict(r.canonqlToBaseline >= 0.7),
      });
    }
    if (s.sink && s.canonql) {
      rows.push({
        scenario: 'ingestion vs peer',
        measure: 'events/s, same topic and store',
        canonql: fmt(s.canonql.eventsPerSecond),
        baseline: `${fmt(s.sink.eventsPerSecond)} (MongoDB Kafka sink connector ${r.sink?.version ?? ''})`,
        ratio: fmt(r.canonqlToSink, 2),
        target: '> 1.00',
        verdict: verdict(r.canonqlToSink > 1),
      });
    }
    const c = r.correctness;
    const wrong = (k: string) => (c[k] ? `${c[k].mismatches}/${c[k].keys} keys wrong` : 'n/a');
    rows.push({
      scenario: 'correctness',
      measure: `final state vs source, ${r.settings.correctnessDeliveries} deliveries with redeliveries and per-key swaps`,
      canonql: wrong('canonql'),
      baseline: `peer ${wrong('sink')}; raw ${wrong('baseline')}`,
      ratio: '',
      target: '0 wrong',
      verdict: verdict(c.canonql?.mismatches === 0),
    });
    return rows;
  }
  if (scenario === 'api') {
    const labels = { order: '`order(id)`', orders: '`orders(first: 20)` + totalCount', page: '`orders(first: 20)`, no totalCount' } as const;
    return (['order', 'orders', 'page'] as const).flatMap((q) => {
      const s = r.summary[q];
      // Results written before the page query existed have no row for it.
      if (!s) return [];
      const label = labels[q];
      return [
        {
          scenario: `GraphQL ${label}`,
          measure: `requests/s, ${r.settings.concurrency} in flight`,
          canonql: fmt(s.canonql.requestsPerSecond),
          baseline: `${fmt(s.baseline.requestsPerSecond)} (node:http + same reads)`,
          ratio: fmt(s.throughputRatio, 2),
          target: '≥ 0.50',
          verdict: verdict(s.throughputRatio >= 0.5),
        },
        {
          scenario: `GraphQL ${label}`,
          measure: 'p99 ms',
          canonql: fmt(s.canonql.p99Ms, 1),
          baseline: fmt(s.baseline.p99Ms, 1),
          ratio: fmt(s.p99Ratio, 2),
          target: '≤ 2.00',
          verdict: verdict(s.p99Ratio <= 2),
        },
      ];
    });
  }
  if (scenario === 'subscriptions') {
    const c = r.systems.canonql;
    const b = r.systems.baseline;
    const rows: Row[] = [];
    r.settings.rates.forEach((rate: number, i: number) => {
      const cr = c.runs[i].report;
      const br = b.runs[i].report;
      const label = `subscriptions ${r.settings.subscribers} subs @ ${rate}/s`;
      const headline = i === 0;
      rows.push({
        scenario: label,
        measure: 'p50 ms (produce → receive)',
        canonql: fmt(cr.latencyMs.p50, 1),
        baseline: `${fmt(br.latencyMs.p50, 1)} (kafkajs + raw ws broadcast)`,
        ratio: fmt(cr.latencyMs.p50 / br.latencyMs.p50, 2),
        target: headline ? '≤ 20 ms' : '',
        verdict: headline ? verdict(cr.latencyMs.p50 <= 20) : '',
      });
      rows.push({
        scenario: label,
        measure: 'p99 ms',
        canonql: fmt(cr.latencyMs.p99, 1),
        baseline: fmt(br.latencyMs.p99, 1),
        ratio: fmt(cr.latencyMs.p99 / br.latencyMs.p99, 2),
        target: headline ? '≤ 150 ms' : '',
        verdict: headline ? verdict(cr.latencyMs.p99 <= 150) : '',
      });
      rows.push({
        scenario: label,
        measure: 'deliveries received / expected',
        canonql: `${cr.measured} / ${c.runs[i].expectedDeliveries}`,
        baseline: `${br.measured} / ${b.runs[i].expectedDeliveries}`,
        ratio: fmt(c.runs[i].deliveriesPerSecond / b.runs[i].deliveriesPerSecond, 2),
        target: '',
        verdict: '',
      });
    });
    rows.push({
      scenario: 'idle subscriber memory',
      measure: 'heap KiB per subscriber (RSS KiB)',
      canonql: `${fmt(c.memory.heapPerSubscriberBytes / 1024, 1)} (${fmt(c.memory.rssPerSubscriberBytes / 1024, 1)})`,
      baseline: `${fmt(b.memory.heapPerSubscriberBytes / 1024, 1)} (${fmt(b.memory.rssPerSubscriberBytes / 1024, 1)})`,
      ratio: fmt(c.memory.heapPerSubscriberBytes / b.memory.heapPerSubscriberBytes, 2),
      target: '',
      verdict: '',
    });
    return rows;
  }
  if (scenario === 'metrics') {
    const l = r.latency;
    const best = (k: string) => Math.max(...r.rounds.map((x: Json) => x[k]));
    return [
      {
        scenario: 'metric query',
        measure: `p99 ms, one day of hourly buckets (${l.rollupDocs} docs), GraphQL over HTTP`,
        canonql: fmt(l.graphql.p99, 2),
        baseline: `${fmt(l.raw.p99, 2)} (raw find of the rollups)`,
        ratio: fmt(l.graphql.p99 / l.raw.p99, 2),
        target: '≤ 1.50',
        verdict: verdict(l.graphql.p99 / l.raw.p99 <= 1.5),
      },
      {
        scenario: 'metric query',
        measure: 'p99 ms, MetricsReader.query in process',
        canonql: fmt(l.reader.p99, 2),
        baseline: fmt(l.raw.p99, 2),
        ratio: fmt(l.reader.p99 / l.raw.p99, 2),
        target: '',
        verdict: '',
      },
      {
        scenario: 'ingestion with metrics',
        measure: 'messages/s, metrics on (until rollups current) vs off',
        canonql: fmt(best('onEndToEnd')),
        baseline: `${fmt(best('off'))} (metrics off)`,
        ratio: fmt(best('onEndToEnd') / best('off'), 2),
        target: '',
        verdict: '',
      },
    ];
  }
  const e = r;
  return [
    {
      scenario: 'PostgreSQL commit → subscriber',
      measure: `p50 ms, ${e.settings.rate} commits/s, ${e.settings.subscribers} subscribers`,
      canonql: fmt(e.endToEnd.latencyMs.p50, 1),
      baseline: `${fmt(e.debeziumHop.p50, 1)} (commit → raw Debezium record)`,
      ratio: fmt(e.endToEnd.latencyMs.p50 / e.debeziumHop.p50, 2),
      target: '',
      verdict: '',
    },
    {
      scenario: 'PostgreSQL commit → subscriber',
      measure: 'p99 ms',
      canonql: fmt(e.endToEnd.latencyMs.p99, 1),
      baseline: fmt(e.debeziumHop.p99, 1),
      ratio: fmt(e.endToEnd.latencyMs.p99 / e.debeziumHop.p99, 2),
      target: '',
      verdict: '',
    },
  ];
}

async function main() {
  if (config.usesLocalStack) await stackUp(createProgress());
  const startedAt = new Date();
  const runs: { scenario: Scenario; args: string[]; exitCode: number | null; seconds: number; loadAverageBefore: number; loadAverageAfter: number }[] = [];
  for (const scenario of selected) {
    const { script, result, args } = SCENARIOS[scenario];
    fs.rmSync(path.join(resultsDir, `${result}.json`), { force: true });
    console.log(`\n=== ${scenario}: bench/${script} ${args.join(' ')} (load average ${fmt(os.loadavg()[0]!, 2)}) ===\n`);
    const loadAverageBefore = os.loadavg()[0]!;
    const t0 = Date.now();
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, script), ...args], { stdio: 'inherit', cwd: ROOT, env: process.env });
    runs.push({ scenario, args: [...args], exitCode: child.status, seconds: (Date.now() - t0) / 1000, loadAverageBefore, loadAverageAfter: os.loadavg()[0]! });
    if (child.status !== 0) console.error(`\n${scenario} failed (exit ${child.status}); its row is left out`);
  }

  const rows: Row[] = [];
  const results: Record<string, unknown> = {};
  for (const run of runs) {
    const r = run.exitCode === 0 ? read(SCENARIOS[run.scenario].result) : null;
    results[run.scenario] = r;
    if (r) rows.push(...rowsOf(run.scenario, r));
    else rows.push({ scenario: run.scenario, measure: 'failed', canonql: '', baseline: '', ratio: '', target: '', verdict: `exit ${run.exitCode}` });
  }
  const m = machine();
  const description = `${m.cpus} cores (${m.cpuModel}), ${fmt(m.totalMemMiB / 1024, 1)} GiB memory, node ${m.node}, ${os.type()} ${os.release()}`;
  const table = [
    '| scenario | measure | canonql | baseline (same run) | ratio canonql/baseline | target | |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.scenario} | ${r.measure} | ${r.canonql} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.verdict} |`),
  ].join('\n');
  console.log(`\n=== summary (${LONG ? '--long' : 'default sizes'}; ${description}) ===\n\n${table}\n`);
  const load = runs.map((r) => `${r.scenario} ${fmt(r.seconds)} s, load ${fmt(r.loadAverageBefore, 2)} → ${fmt(r.loadAverageAfter, 2)}`).join('; ');
  console.log(`scenarios: ${load}`);
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(
    path.join(resultsDir, 'summary.json'),
    `${JSON.stringify({ startedAt: startedAt.toISOString(), long: LONG, machine: { ...m, os: `${os.type()} ${os.release()}` }, runs, rows, results }, null, 2)}\n`,
  );
  fs.writeFileSync(
    path.join(resultsDir, 'summary.md'),
    [
      `# canonql benchmarks, ${startedAt.toISOString()}`,
      '',
      `Machine: ${description}. Sizes: ${LONG ? '--long' : 'default'}. Every ratio is canonql over a baseline measured in the same run, on the same local stack.`,
      '',
      table,
      '',
      `Scenario wall time and 1-minute load average before → after (other work on the machine shows here): ${load}.`,
      '',
      'Per-scenario details (settings, rounds, all figures): the JSON files beside this one.',
      '',
    ].join('\n'),
  );
  console.log(`wrote bench-results/summary.json, bench-results/summary.md`);
  if (runs.some((r) => r.exitCode !== 0)) process.exit(1);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
