/**
 * Child-process probe (run with `node --import tsx`): the CPU time `compileSpec(specs/order.json)`
 * spends mapping one realistic order, over `events` (argv, default 100000) maps after a warm-up.
 * Prints `{"events": n, "cpuUsPerEvent": x}`. Measured in a process of its own, in CPU time, so
 * the figure is not the shared test worker's nor the machine's load.
 */
import fs from 'node:fs';
import path from 'node:path';
import { compileSpec } from '../../src/mapping/compile-spec';
import type { MappingSpec } from '../../src/mapping/mapping-spec';

/** A MongoDB order as the Debezium MongoDB connector's decoded `after` carries it. */
export const PROBE_ORDER = {
  _id: '65a1f0c2e4b0a1b2c3d4e5f6',
  orderId: 1001,
  status: 'paid',
  customer: { email: 'Ada.Lovelace@Example.COM', name: 'Ada Lovelace', address: { city: 'London' } },
  items: [
    { sku: 'SKU-1', qty: 2, price: '10.50' },
    { sku: 'SKU-2', qty: 1, price: '9.99' },
  ],
  total: '30.99',
  createdAt: '2024-03-01T10:00:00.000Z',
};

if (require.main === module) {
  const events = Number(process.argv[2] ?? 100_000);
  const spec = compileSpec(JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'specs', 'order.json'), 'utf8')) as MappingSpec);
  for (let i = 0; i < 10_000; i += 1) spec.map(PROBE_ORDER);
  const started = process.cpuUsage();
  for (let i = 0; i < events; i += 1) spec.map(PROBE_ORDER);
  const used = process.cpuUsage(started);
  process.stdout.write(`${JSON.stringify({ events, cpuUsPerEvent: (used.user + used.system) / events })}\n`);
}
