import { execFile } from 'node:child_process';
import path from 'node:path';
import { buildSchema, parse } from 'graphql';
import { ANONYMOUS } from '../../../src/graphql/access';
import { checkOperation, DEFAULT_OPERATION_LIMITS, type OperationLimits } from '../../../src/graphql/limits/operation-limits';

/**
 * Hostile documents against the operation-limit checks (issue 14, items 3 and 4): the checks are
 * linear in the document however its fragments fan out, any failure of a check refuses, and a
 * verdict is cached per (document, operation).
 */
const schema = buildSchema(`
  type Query { hello: String, nodes(first: Int = 20): [Node!]! }
  type Node { id: ID!, children(first: Int = 5): [Node!]! }
`);
const limits: OperationLimits = { ...DEFAULT_OPERATION_LIMITS, maxCost: 20_000, maxPageSize: 100 };
const check = (query: string, operationName?: string) =>
  checkOperation({ schema, document: parse(query), principal: ANONYMOUS, ...(operationName ? { operationName } : {}) }, limits)?.code ?? null;

const ROOT = path.join(__dirname, '..', '..', '..');
const PROBE = path.join(ROOT, 'test', 'support', 'fragment-fanout-probe.ts');

interface ProbeLine {
  levels: number;
  bytes: number;
  cpuMs: number;
  verdict: string;
}

/** Runs the fan-out probe in a child process; resolves with what it printed before it ended or was killed. */
function runProbe(levels: readonly number[], timeoutMs: number): Promise<ProbeLine[]> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', PROBE, ...levels.map(String)], { cwd: ROOT, timeout: timeoutMs }, (_error, stdout) => {
      resolve(
        stdout
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as ProbeLine),
      );
    });
  });
}

describe('fragment fan-out (item 3)', () => {
  it('is refused at 20, 25 and 30 levels, each checked in flat CPU time (child process)', async () => {
    // Without memoising, every level doubles the work: 30 levels would take minutes.
    const lines = await runProbe([20, 25, 30], 30_000);
    for (const line of lines) process.stdout.write(`fragment fan-out ${line.levels} levels (${line.bytes} bytes): ${line.cpuMs} ms CPU, ${line.verdict}\n`);
    expect(lines.map((line) => [line.levels, line.verdict])).toEqual([
      [20, 'COST_LIMIT_EXCEEDED'],
      [25, 'COST_LIMIT_EXCEEDED'],
      [30, 'COST_LIMIT_EXCEEDED'],
    ]);
    // Generous margin (an isolated process, CPU time): before memoising, 25 levels took 14 s.
    for (const line of lines) expect(line.cpuMs).toBeLessThan(5_000);
  }, 60_000);
});

describe('the cost limit cannot be bypassed (item 4)', () => {
  const lists = Array.from({ length: 20 }, (_, i) => `l${i}: nodes(first: 100) { id children(first: 10) { id } }`).join(' ');

  it('refuses 20 aliased lists of 100 on their cost', () => {
    expect(check(`{ ${lists} }`)).toBe('COST_LIMIT_EXCEEDED');
  });

  it('refuses the same lists when fragment spreads push the estimator past its node limit', () => {
    const fragments = ['fragment F0 on Query { hello }', ...Array.from({ length: 14 }, (_, i) => `fragment F${i + 1} on Query { ...F${i} ...F${i} }`)].join(
      '\n',
    );
    expect(check(`{ ${lists} ...F14 }\n${fragments}`)).toBe('COST_LIMIT_EXCEEDED');
  });

  it('checks each operation of a document on its own, whatever was checked first', () => {
    const document = parse(`query Cheap { hello } query Costly { ${lists} }`);
    const run = (operationName: string) => checkOperation({ schema, document, operationName, principal: ANONYMOUS }, limits)?.code ?? null;
    expect(run('Cheap')).toBeNull();
    expect(run('Costly')).toBe('COST_LIMIT_EXCEEDED');
    expect(run('Cheap')).toBeNull();
  });

  it('does not remember an operation whose variables did not coerce as costing nothing', () => {
    const document = parse(`query Costly($n: Int!) { hello(n: $n) ${lists} }`.replace('hello(n: $n)', 'hello @include(if: true)'));
    const withVariables = (variables: Record<string, unknown>) => checkOperation({ schema, document, variables, principal: ANONYMOUS }, limits)?.code ?? null;
    expect(withVariables({ n: 'not a number' })).toBeNull(); // execution refuses the variables itself
    expect(withVariables({ n: 1 })).toBe('COST_LIMIT_EXCEEDED');
  });

  it('refuses when a check itself fails', () => {
    const broken = Object.defineProperty({ ...limits }, 'maxAliases', {
      get() {
        throw new Error('a bug in a check');
      },
    });
    const error = checkOperation({ schema, document: parse('{ nodes(first: 1) { id } }'), principal: ANONYMOUS }, broken);
    expect(error?.code).toBe('INTERNAL');
  });
});
