import { describeValue, transformFailed, type TransformDefinition } from './transform-definition';

/**
 * Maps source codes to canonical values. An unknown code without `default` fails the event: a
 * new status at the source should be noticed (dead-lettered), not silently stored as null.
 */
export const enumTransform: TransformDefinition = {
  name: 'enum',
  description: 'Maps a value (compared as a string, so 1 matches "1") through `map`. Unknown values become `default`, or fail the event when there is none.',
  args: [
    { name: 'map', type: 'object', required: true, description: 'Source value → canonical value, e.g. {"gold": "GOLD"}.' },
    { name: 'default', type: 'any', required: false, description: 'Result for a value not in map. Omitted: an unknown value fails the event.' },
    { name: 'caseInsensitive', type: 'boolean', required: false, default: false, description: 'Compare source values ignoring case. Default false.' },
  ],
  check: (args) => {
    const map = args.map;
    if (map === null || typeof map !== 'object' || Array.isArray(map)) return [];
    const keys = Object.keys(map);
    if (keys.length === 0) return ['map must have at least one entry'];
    if (args.caseInsensitive !== true) return [];
    const seen = new Set<string>();
    const clashes = keys.filter((k) => {
      const lower = k.toLowerCase();
      if (seen.has(lower)) return true;
      seen.add(lower);
      return false;
    });
    return clashes.map((k) => `map key "${k}" clashes with another key when case is ignored`);
  },
  create: (args) => {
    const ignoreCase = args.caseInsensitive === true;
    // A Map, not the args object: a source value "constructor" must not find Object's prototype.
    const table = new Map(Object.entries(args.map as Record<string, unknown>).map(([k, v]) => [ignoreCase ? k.toLowerCase() : k, v]));
    const hasDefault = Object.hasOwn(args, 'default');
    const fallback = args.default;
    const known = [...table.keys()].join(', ');
    return (value) => {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean' && typeof value !== 'bigint') {
        return transformFailed(`enum: expected a scalar, got ${describeValue(value)}`);
      }
      const text = ignoreCase ? String(value).toLowerCase() : String(value);
      if (table.has(text)) return table.get(text);
      if (hasDefault) return fallback;
      return transformFailed(`enum: ${describeValue(value)} is not in map (${known}) and no default is set`);
    };
  },
};
