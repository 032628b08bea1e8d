import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../../src/errors';
import { loadMetricFiles, newestVersions } from '../../../src/metrics/metric-files';
import { validateMetricDefinition } from '../../../src/metrics/metric-definition';

const ROOT = path.join(__dirname, '..', '..', '..');

describe('metric definitions', () => {
  it('accepts every file in specs/metrics and normalizes the seed metric', () => {
    const definitions = loadMetricFiles(path.join(ROOT, 'specs', 'metrics'));
    expect(definitions.map((d) => d.name)).toContain('order-amount');
    expect(definitions.find((d) => d.name === 'order-amount')).toMatchObject({
      version: 1,
      subject: 'order',
      windows: ['hour', 'day'],
      dimensions: [
        { name: 'region', field: 'region' },
        { name: 'product', field: 'line_items[*].sku' },
      ],
      measure: { field: 'line_items[*].price', multiplyBy: 'line_items[*].qty' },
      time: { field: 'created_at' },
    });
  });

  it('expands shorthands: version 1, dimension names from paths, a single filter as a list', () => {
    const result = validateMetricDefinition({
      name: 'n',
      subject: 'order',
      dimensions: ['customer.email', 'line_items[*].sku'],
      time: { changeTime: true },
      windows: ['minute'],
      filter: { src: 'status', in: ['paid'] },
    });
    expect(result).toEqual({
      ok: true,
      definition: {
        name: 'n',
        version: 1,
        subject: 'order',
        dimensions: [
          { name: 'email', field: 'customer.email' },
          { name: 'sku', field: 'line_items[*].sku' },
        ],
        time: { changeTime: true },
        windows: ['minute'],
        filter: [{ src: '$.status', in: ['paid'] }],
      },
    });
  });

  it('lists every problem with its location', () => {
    const result = validateMetricDefinition({
      name: 'Bad Name',
      version: 0,
      subject: 'order',
      extra: 1,
      measure: { field: 'a[*].b[*].c', times: 2 },
      dimensions: [{ name: 'x', field: 'items[*].sku' }, { name: 'x', field: 'region' }, 42],
      time: { field: 'lines[*].at' },
      windows: ['hour', 'week', 'hour'],
      filter: [{ src: '$.items[*].x', equals: 1, in: [1] }],
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      'extra: unknown property (expected one of name, version, description, subject, measure, dimensions, time, windows, filter)',
      'name: required, lower-case letters, digits and "-", starting with a letter, at most 63 characters',
      'version: must be a positive integer',
      'measure.times: unknown property (expected field, multiplyBy)',
      'measure.field: "a[*].b[*].c" has 2 [*]; a metric path may iterate one array',
      'dimensions[1].name: "x" is used by another dimension',
      'dimensions[2]: must be a field path or {name, field}',
      'time.field: must not use [*] (an entity has one time)',
      'windows[1]: "week" is not one of minute, hour, day',
      'windows[2]: "hour" is listed twice',
      'filter[0].src: must not use [*] (a filter tests one value of the entity)',
      'filter[0]: needs exactly one of equals, notEquals, in, notIn, exists (got 2)',
      'paths iterate different arrays (items[*], lines[*]); a metric may iterate one array: dimensions[0].field, time.field',
    ]);
  });

  it('fails a directory load naming every bad file, and serves the newest version of each name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metrics-'));
    fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ name: 'a', subject: 'order', dimensions: [], time: { changeTime: true }, windows: ['day'] }));
    fs.writeFileSync(
      path.join(dir, 'a2.json'),
      JSON.stringify({ name: 'a', version: 2, subject: 'order', dimensions: [], time: { changeTime: true }, windows: ['day'] }),
    );
    expect(newestVersions(loadMetricFiles(dir)).map((d) => `${d.name}@${d.version}`)).toEqual(['a@2']);
    fs.writeFileSync(path.join(dir, 'b.json'), '{');
    fs.writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ name: 'c' }));
    expect(() => loadMetricFiles(dir)).toThrow(AppError);
    try {
      loadMetricFiles(dir);
    } catch (error) {
      expect((error as AppError).details).toEqual(
        expect.arrayContaining([expect.stringMatching(/^b\.json: not valid JSON/), 'c.json: subject: required, a canonical subject name such as "order"']),
      );
    }
  });
});
