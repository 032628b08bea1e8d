/**
 * `npm run bench`: every benchmark scenario against the local stack (started if needed, as the
 * tests' global setup does, or the servers named by MONGODB_URI / KAFKA_BROKERS / ...), one after
 * the other, each printing its own tables; then one summary table of ratios against the
 * baselines measured in the same run, with the absolute figures beside them, written to
 * bench-results/summary.json and bench-results/summary.md with the machine description.
 *
 *   npm run bench -- [--runs 3] [--long] [--only ingest,api,subscriptions,metrics,e2e] [--skip e2e]
 *
 * The whole set runs `--runs` times (3 by default: a noisy machine moves single figures by a
 * factor of two); each row of the summary is the median of the runs with every run's figure
 * beside it, and the verdict is read from the median against the row's target. One run of the
 * default sizes takes about 5 minutes on 2 cores; --long runs each scenario at its full size
 * (ingestion: 100,000 events over 10,000 keys). The 1-minute load average before each scenario
 * is recorded: other work on the machine shows up there.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProgress } from '../infra/stack/progress';
import { stackServices, stackUp } from '../infra/stack/stack';
import { stackJit } from '../infra/stack/stack-config';
import { config, fmt, machine, percentile, ROOT } from './support/bench-common';
import { readBenchArgs } from './support/bench-args';

const SCENARIO_NAMES = ['ingest', 'api', 'subscriptions', 'metrics', 'e2e'] as const;
type Scenario = (typeof SCENARIO_NAMES)[number];
const { values: cli } = readBenchArgs({
  command: 'npm run bench --',
  options: {
    runs: { type: 'number', default: 3, help: 'runs of the whole set; the summary gives the median of each figure and every run' },
    'summary-only': {
      type: 'flag',
      help: "runs nothing: writes summary.md again from the results summary.json holds (after a change to the summary's rows or targets)",
    },
    long: { type: 'flag', help: 'every scenario at its full size' },
    only: { type: 'list', default: SCENARIO_NAMES, choices: SCENARIO_NAMES, help: 'the scenarios run' },
    skip: { type: 'list', default: [], choices: SCENARIO_NAMES, help: 'scenarios left out' },
    jit: {
      type: 'string',
      default: 'full',
      help: "the compilers of the local stack's JVMs (store, Kafka, Connect): full (C1 + C2, how the sink connector runs in production) or c1 (the tests' quick start); JVMs running others are restarted first",
    },
  },
});
const LONG = cli.long;
const RUNS = cli.runs;
/** Checked like the stack's own setting: `c1` or `full`, anything else refused. */
const JIT = stackJit({ CANONQL_STACK_JIT: cli.jit });
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
  metrics: { script: 'metrics.ts', result: 'metrics', args: LONG ? [] : ['--events', '5000', '--rounds', '3', '--queries', '1000'] },
  e2e: { script: 'e2e-latency.ts', result: 'e2e-latency', args: LONG ? ['--seconds', '30'] : ['--seconds', '10'] },
} as const satisfies Record<Scenario, { script: string; result: string; args: readonly string[] }>;

const skip = new Set(cli.skip);
const selected = SCENARIO_NAMES.filter((s) => cli.only.includes(s) && !skip.has(s));
const resultsDir = path.join(ROOT, 'bench-results');

/** What a row is measured against: a bound on canonql's own figure or on the same-run ratio. */
interface Target {
  readonly text: string;
  readonly meets: (figure: Figure) => boolean;
}

/** One headline figure of one run: canonql's figure, its baseline's and their ratio (numbers, for medians). */
interface Figure {
  readonly canonql: number;
  readonly baseline: number;
  readonly ratio: number | null;
}

/** A summary row as one scenario's results file gives it in one run. */
interface Row {
  readonly scenario: string;
  readonly measure: string;
  /** What the baseline is (printed after its figure). */
  readonly baselineIs: string;
  readonly figure: Figure;
  /** Decimals printed for canonql's and the baseline's figures. */
  readonly digits: number;
  readonly targets: readonly Target[];
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

// The targets of the speed work (docs/performance.md); a row without targets is measured only.
const ratioAtLeast = (bound: number): Target => ({ text: `ratio ≥ ${fmt(bound, 2)}`, meets: (f) => f.ratio !== null && f.ratio >= bound });
const ratioAtMost = (bound: number): Target => ({ text: `ratio ≤ ${fmt(bound, 2)}`, meets: (f) => f.ratio !== null && f.ratio <= bound });
const atMost = (bound: number, unit: string): Target => ({ text: `≤ ${fmt(bound)} ${unit}`, meets: (f) => f.canonql <= bound });
const figure = (canonql: number, baseline: number, ratio: number | null = baseline === 0 ? null : canonql / baseline): Figure => ({ canonql, baseline, ratio });

/** The headline rows of each scenario, from the results file it wrote in this run. */
function rowsOf(scenario: Scenario, r: Json): Row[] {
  if (scenario === 'ingest') {
    const s = r.summary;
    const rows: Row[] = [];
    if (s.baseline && s.canonql) {
      rows.push({
        scenario: 'ingestion',
        measure: `events/s, ${r.settings.events} c/u/d events, ${r.settings.keys} keys`,
        baselineIs: 'kafkajs + JSON.parse + unordered bulk upsert',
        figure: figure(s.canonql.eventsPerSecond, s.baseline.eventsPerSecond, r.canonqlToBaseline),
        digits: 0,
        targets: [ratioAtLeast(0.8)],
      });
    }
    if (s.sink && s.canonql) {
      rows.push({
        scenario: 'ingestion vs peer',
        measure: 'events/s, same topic and store',
        baselineIs: `MongoDB Kafka sink connector ${r.sink?.version ?? ''}`,
        figure: figure(s.canonql.eventsPerSecond, s.sink.eventsPerSecond, r.canonqlToSink),
        digits: 0,
        targets: [ratioAtLeast(1.2)],
      });
    }
    if (s.guarded && s.baseline) {
      rows.push({
        scenario: 'ingestion, raw guarded floor',
        measure: "events/s of canonql's store and Kafka work by hand (state read, event log, guarded bulk write, publish, commit)",
        baselineIs: 'kafkajs + JSON.parse + unordered bulk upsert',
        figure: figure(s.guarded.eventsPerSecond, s.baseline.eventsPerSecond),
        digits: 0,
        targets: [],
      });
    }
    if (s.guarded && s.canonql) {
      rows.push({
        scenario: 'ingestion vs raw guarded floor',
        measure: 'events/s, same topic and store',
        baselineIs: 'the raw guarded floor',
        figure: figure(s.canonql.eventsPerSecond, s.guarded.eventsPerSecond, r.canonqlToGuarded),
        digits: 0,
        targets: [],
      });
    }
    const c = r.correctness;
    if (c.canonql) {
      rows.push({
        scenario: 'correctness',
        measure: `keys wrong after ${r.settings.correctnessDeliveries} deliveries with redeliveries and per-key swaps, of ${c.canonql.keys}`,
        baselineIs: `the peer; raw baseline ${c.baseline ? c.baseline.mismatches : 'n/a'}`,
        figure: figure(c.canonql.mismatches, c.sink ? c.sink.mismatches : Number.NaN, null),
        digits: 0,
        targets: [atMost(0, 'keys wrong')],
      });
    }
    return rows;
  }
  if (scenario === 'api') {
    const labels = {
      order: '`order(id)`',
      orders: '`orders(first: 20)` + totalCount',
      page: '`orders(first: 20)`, no totalCount',
      related: '`orders(first: 20)` + customer relation',
    } as const;
    return (['order', 'orders', 'page', 'related'] as const).flatMap((q): Row[] => {
      const s = r.summary[q];
      // Results written before the page (or related) query existed have no row for it.
      if (!s) return [];
      const scenario = `GraphQL ${labels[q]}`;
      const list = q !== 'order';
      return [
        {
          scenario,
          measure: `requests/s, ${r.settings.concurrency} in flight`,
          baselineIs: 'node:http + same reads',
          figure: figure(s.canonql.requestsPerSecond, s.baseline.requestsPerSecond, s.throughputRatio),
          digits: 0,
          targets: list ? [] : [ratioAtLeast(0.6)],
        },
        {
          scenario,
          measure: 'p99 ms',
          baselineIs: 'node:http + same reads',
          figure: figure(s.canonql.p99Ms, s.baseline.p99Ms, s.p99Ratio),
          digits: 1,
          // The relation page is not one of the issue's pages: measured beside them, with no target of its own.
          targets: q === 'related' ? [] : list ? [atMost(100, 'ms'), ratioAtMost(1.3)] : [ratioAtMost(1.5)],
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
      const baselineIs = 'kafkajs + raw ws broadcast';
      rows.push({
        scenario: label,
        measure: 'deliveries/s at saturation',
        baselineIs,
        figure: figure(c.runs[i].deliveriesPerSecond, b.runs[i].deliveriesPerSecond),
        digits: 0,
        targets: headline ? [ratioAtLeast(0.7)] : [],
      });
      rows.push({
        scenario: label,
        measure: 'p50 ms (produce → receive)',
        baselineIs,
        figure: figure(cr.latencyMs.p50, br.latencyMs.p50),
        digits: 1,
        targets: headline ? [atMost(20, 'ms')] : [],
      });
      rows.push({
        scenario: label,
        measure: 'p99 ms',
        baselineIs,
        figure: figure(cr.latencyMs.p99, br.latencyMs.p99),
        digits: 1,
        targets: headline ? [atMost(150, 'ms')] : [],
      });
    });
    rows.push({
      scenario: 'idle subscriber memory',
      measure: 'heap KiB per subscriber',
      baselineIs: 'raw ws subscriber',
      figure: figure(c.memory.heapPerSubscriberBytes / 1024, b.memory.heapPerSubscriberBytes / 1024),
      digits: 1,
      targets: [atMost(2, 'KiB')],
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
        baselineIs: 'raw find of the rollups',
        figure: figure(l.graphql.p99, l.raw.p99),
        digits: 2,
        targets: [ratioAtMost(1.3)],
      },
      {
        scenario: 'metric query',
        measure: 'p99 ms, MetricsReader.query in process',
        baselineIs: 'raw find of the rollups',
        figure: figure(l.reader.p99, l.raw.p99),
        digits: 2,
        targets: [],
      },
      ...(l.rawFoldFields
        ? [
            {
              scenario: 'metric query',
              measure: "p99 ms, GraphQL over HTTP, against a raw find of only the fields canonql's fold reads",
              baselineIs: 'raw find, fold fields',
              figure: figure(l.graphql.p99, l.rawFoldFields.p99),
              digits: 2,
              targets: [],
            },
          ]
        : []),
      {
        scenario: 'ingestion with metrics',
        measure: 'messages/s, metrics on (until rollups current), best round',
        baselineIs: 'metrics off',
        figure: figure(best('onEndToEnd'), best('off')),
        digits: 0,
        targets: [ratioAtLeast(0.8)],
      },
      {
        scenario: 'ingestion with metrics',
        measure: 'messages/s, raw rollups on (kafkajs + $inc upserts, until current), best round',
        baselineIs: 'metrics off',
        figure: figure(best('rawEndToEnd'), best('off')),
        digits: 0,
        targets: [],
      },
    ];
  }
  const baselineIs = 'commit → raw Debezium record';
  return [
    {
      scenario: 'PostgreSQL commit → subscriber',
      measure: `p50 ms, ${r.settings.rate} commits/s, ${r.settings.subscribers} subscribers`,
      baselineIs,
      figure: figure(r.endToEnd.latencyMs.p50, r.debeziumHop.p50),
      digits: 1,
      targets: [],
    },
    {
      scenario: 'PostgreSQL commit → subscriber',
      measure: 'p99 ms',
      baselineIs,
      figure: figure(r.endToEnd.latencyMs.p99, r.debeziumHop.p99),
      digits: 1,
      targets: [],
    },
  ];
}

interface ScenarioRun {
  run: number;
  scenario: Scenario;
  args: string[];
  exitCode: number | null;
  seconds: number;
  loadAverageBefore: number;
  loadAverageAfter: number;
}

/** Runs every selected scenario once; the rows of those that succeeded, each scenario's results. */
function runOnce(run: number): { scenarioRuns: ScenarioRun[]; rows: Row[]; results: Record<string, unknown> } {
  const scenarioRuns: ScenarioRun[] = [];
  const rows: Row[] = [];
  const results: Record<string, unknown> = {};
  for (const scenario of selected) {
    const { script, result, args } = SCENARIOS[scenario];
    fs.rmSync(path.join(resultsDir, `${result}.json`), { force: true });
    console.log(`\n=== run ${run} of ${RUNS}, ${scenario}: bench/${script} ${args.join(' ')} (load average ${fmt(os.loadavg()[0]!, 2)}) ===\n`);
    const loadAverageBefore = os.loadavg()[0]!;
    const t0 = Date.now();
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, script), ...args], { stdio: 'inherit', cwd: ROOT, env: process.env });
    scenarioRuns.push({
      run,
      scenario,
      args: [...args],
      exitCode: child.status,
      seconds: (Date.now() - t0) / 1000,
      loadAverageBefore,
      loadAverageAfter: os.loadavg()[0]!,
    });
    const r = child.status === 0 ? read(result) : null;
    results[scenario] = r;
    if (r) rows.push(...rowsOf(scenario, r));
    else console.error(`\n${scenario} failed (exit ${child.status}); its rows are left out of this run`);
  }
  return { scenarioRuns, rows, results };
}

const median = (values: readonly number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** One summary line per row: the median of each figure over the runs that measured it, every run's ratio (or figure) beside it. */
function summarize(runs: readonly Row[][]): string[][] {
  const keyOf = (row: Row) => `${row.scenario}\u0000${row.measure}`;
  const byKey = new Map<string, Row[]>();
  for (const row of runs.flat()) byKey.set(keyOf(row), [...(byKey.get(keyOf(row)) ?? []), row]);
  return [...byKey.values()].map((rows) => {
    const first = rows[0]!;
    const ratios = rows.map((r) => r.figure.ratio).filter((r): r is number => r !== null && Number.isFinite(r));
    const med: Figure = {
      canonql: median(rows.map((r) => r.figure.canonql)),
      baseline: median(rows.map((r) => r.figure.baseline)),
      ratio: ratios.length ? median(ratios) : null,
    };
    const each = (values: readonly number[], digits: number) => (rows.length > 1 ? ` (${values.map((v) => fmt(v, digits)).join(', ')})` : '');
    const canonql = `${fmt(med.canonql, first.digits)}${each(
      rows.map((r) => r.figure.canonql),
      first.digits,
    )}`;
    const baseline = Number.isNaN(med.baseline) ? first.baselineIs : `${fmt(med.baseline, first.digits)} (${first.baselineIs})`;
    const ratio = med.ratio === null ? '' : `${fmt(med.ratio, 2)}${each(ratios, 2)}`;
    const met = first.targets.map((t) => t.meets(med));
    const verdict = first.targets.length === 0 ? 'measured' : met.every(Boolean) ? 'meets' : 'misses';
    return [first.scenario, first.measure, canonql, baseline, ratio, first.targets.map((t) => t.text).join('; '), verdict];
  });
}

/** The runs of the last `npm run bench`, their rows made again from the results summary.json keeps. */
function storedRuns(): { startedAt: Date; done: ReturnType<typeof runOnce>[]; jvms: string } {
  const stored = read('summary');
  if (!stored?.runs) throw new Error('bench-results/summary.json holds no runs: run `npm run bench` first');
  const done = (stored.runs as Json[]).map((run) => ({
    scenarioRuns: run.scenarios as ScenarioRun[],
    results: run.results as Record<string, unknown>,
    rows: Object.entries(run.results as Record<string, Json>).flatMap(([scenario, r]) => (r ? rowsOf(scenario as Scenario, r) : [])),
  }));
  return { startedAt: new Date(stored.startedAt), done, jvms: typeof stored.jvms === 'string' ? stored.jvms : 'JVMs of the stack: not recorded' };
}

/** The compilers the local stack's JVMs run, as they were started; for the summary's machine line. */
function jvmsOfStack(): string {
  if (!config.usesLocalStack) return "JVMs: the servers named by the environment's settings (not the local stack)";
  const running = stackServices().flatMap((service) => {
    const jit = service.jit?.();
    return jit ? [`${service.name} ${jit === 'full' ? 'C1 + C2' : 'C1 only'}`] : [];
  });
  return `JVMs of the stack (serial collector): ${running.join(', ')}`;
}

async function main() {
  const fromStore = cli['summary-only'] ? storedRuns() : null;
  if (!fromStore && config.usesLocalStack) {
    // The scenarios' own processes inherit it: their stack checks then find the JVMs as asked.
    process.env.CANONQL_STACK_JIT = JIT;
    await stackUp(createProgress());
  }
  const startedAt = fromStore?.startedAt ?? new Date();
  const done = fromStore?.done ?? Array.from({ length: RUNS }, (_, i) => runOnce(i + 1));
  const scenarioRuns = done.flatMap((d) => d.scenarioRuns);
  const failed = scenarioRuns.filter((r) => r.exitCode !== 0);

  const m = machine();
  const jvms = fromStore?.jvms ?? jvmsOfStack();
  const description = `${m.cpus} cores (${m.cpuModel}), ${fmt(m.totalMemMiB / 1024, 1)} GiB memory, node ${m.node}, ${os.type()} ${os.release()}`;
  const runsText = done.length === 1 ? 'one run' : `the median of ${done.length} runs, each run's figure in brackets`;
  const table = [
    '| scenario | measure | canonql | baseline (same run) | ratio canonql/baseline | target | |',
    '|---|---|---|---|---|---|---|',
    ...summarize(done.map((d) => d.rows)).map((cells) => `| ${cells.join(' | ')} |`),
    ...failed.map((r) => `| ${r.scenario} | failed in run ${r.run} | | | | | exit ${r.exitCode} |`),
  ].join('\n');
  console.log(`\n=== summary (${runsText}; ${LONG ? '--long' : 'default sizes'}; ${description}) ===\n\n${table}\n`);
  const load = scenarioRuns
    .map(
      (r) => `${done.length > 1 ? `run ${r.run} ` : ''}${r.scenario} ${fmt(r.seconds)} s, load ${fmt(r.loadAverageBefore, 2)} → ${fmt(r.loadAverageAfter, 2)}`,
    )
    .join('; ');
  console.log(`scenarios: ${load}`);
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(
    path.join(resultsDir, 'summary.json'),
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        long: LONG,
        machine: { ...m, os: `${os.type()} ${os.release()}` },
        jvms,
        runs: done.map((d, i) => ({ run: i + 1, scenarios: d.scenarioRuns, rows: d.rows, results: d.results })),
      },
      null,
      2,
    )}\n`,
  );
  fs.writeFileSync(
    path.join(resultsDir, 'summary.md'),
    [
      `# canonql benchmarks, ${startedAt.toISOString()}`,
      '',
      `Machine: ${description}. ${jvms}. Sizes: ${LONG ? '--long' : 'default'}. Every figure is ${runsText}; every ratio is canonql over a baseline measured in the same run, on the same local stack, and the verdict reads the median against the target.`,
      '',
      table,
      '',
      `Scenario wall time and 1-minute load average before → after (other work on the machine shows here): ${load}.`,
      '',
      "Per-scenario details: summary.json (every run's results) and, for the last run, the JSON file each scenario wrote beside it.",
      '',
    ].join('\n'),
  );
  console.log('wrote bench-results/summary.json, bench-results/summary.md');
  if (failed.length) process.exit(1);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
