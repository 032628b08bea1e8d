/**
 * Child-process probe (run with `node --import tsx`): the CPU time the operation-limit check
 * spends on a fragment fan-out `query{...Fn}` with `fragment Fi on Query{...F(i-1) ...F(i-1)}`
 * (about 40 bytes per level, 2^n fields once expanded), for each level given on the command
 * line. One JSON line per level: `{ levels, bytes, cpuMs, verdict }`. Measured in a process of
 * its own so the figure is not the shared test worker's.
 */
import { buildSchema, parse, validate } from 'graphql';
import { ANONYMOUS } from '../../src/graphql/access';
import { checkOperation, DEFAULT_OPERATION_LIMITS } from '../../src/graphql/limits/operation-limits';

const schema = buildSchema('type Query { hello: String, node: Query }');

/** The fan-out document: `leaf` is the one field F0 selects (`hello` in the probe's schema). */
export function fanOutDocument(levels: number, leaf = 'hello', root: 'query' | 'subscription' = 'query'): string {
  const type = root === 'query' ? 'Query' : 'Subscription';
  const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i + 1} on ${type}{...F${i} ...F${i}}`);
  return [`${root}{...F${levels}}`, `fragment F0 on ${type}{${leaf}}`, ...fragments].join('\n');
}

if (require.main === module) {
  for (const levels of process.argv.slice(2).map(Number)) {
    const text = fanOutDocument(levels);
    const document = parse(text);
    const started = process.cpuUsage();
    const errors = validate(schema, document);
    const verdict = errors.length > 0 ? 'INVALID' : (checkOperation({ schema, document, principal: ANONYMOUS }, DEFAULT_OPERATION_LIMITS)?.code ?? 'ALLOWED');
    const used = process.cpuUsage(started);
    process.stdout.write(`${JSON.stringify({ levels, bytes: text.length, cpuMs: Math.round((used.user + used.system) / 1000), verdict })}\n`);
  }
}
