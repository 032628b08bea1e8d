import { bound, describeBound, type SubsetViolation } from './json-schema-keywords';

/**
 * The range rules of the compatibility check: for two schemas of the same type, whether the new
 * one's bounds reject values the old one accepted (numeric bounds and steps, string lengths,
 * patterns and formats, property and item counts). Each returns its violations; pure.
 */

/** Numeric bounds (over integers, an exclusive bound is the inclusive one next to it) and multipleOf. */
export function numberRangeViolations(from: Record<string, unknown>, to: Record<string, unknown>, path: string, integersOnly: boolean): SubsetViolation[] {
  const found: SubsetViolation[] = [];
  const report = (at: string, rule: string, message: string) => found.push({ path: at, rule, message });
  const low = (s: Record<string, unknown>) => bound(s, 'minimum', 'exclusiveMinimum', 'low', integersOnly);
  const high = (s: Record<string, unknown>) => bound(s, 'maximum', 'exclusiveMaximum', 'high', integersOnly);
  const [fromLow, toLow, fromHigh, toHigh] = [low(from), low(to), high(from), high(to)];
  if (toLow && !(fromLow && (fromLow.value > toLow.value || (fromLow.value === toLow.value && (fromLow.exclusive || !toLow.exclusive))))) {
    report(
      `${path}/${toLow.keyword}`,
      'MINIMUM_RAISED',
      `lower bound ${describeBound(toLow)} rejects values the previous bound ${fromLow ? describeBound(fromLow) : '(none)'} accepted`,
    );
  }
  if (toHigh && !(fromHigh && (fromHigh.value < toHigh.value || (fromHigh.value === toHigh.value && (fromHigh.exclusive || !toHigh.exclusive))))) {
    report(
      `${path}/${toHigh.keyword}`,
      'MAXIMUM_LOWERED',
      `upper bound ${describeBound(toHigh)} rejects values the previous bound ${fromHigh ? describeBound(fromHigh) : '(none)'} accepted`,
    );
  }
  const toStep = typeof to.multipleOf === 'number' ? to.multipleOf : undefined;
  if (toStep !== undefined) {
    const fromStep = typeof from.multipleOf === 'number' ? from.multipleOf : integersOnly ? 1 : undefined;
    if (fromStep === undefined || !Number.isInteger(fromStep / toStep)) {
      report(
        `${path}/multipleOf`,
        'MULTIPLE_OF_CHANGED',
        `multipleOf ${toStep} rejects values that ${fromStep === undefined ? 'no step' : `multipleOf ${fromStep}`} accepted`,
      );
    }
  }
  return found;
}

/** minLength, maxLength, and a pattern or format that is not the same one. */
export function stringViolations(from: Record<string, unknown>, to: Record<string, unknown>, path: string): SubsetViolation[] {
  const found: SubsetViolation[] = [];
  const report = (at: string, rule: string, message: string) => found.push({ path: at, rule, message });
  const num = (s: Record<string, unknown>, k: string) => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
  const toMin = num(to, 'minLength');
  if (toMin !== undefined && toMin > (num(from, 'minLength') ?? 0)) {
    report(`${path}/minLength`, 'MIN_LENGTH_RAISED', `minLength ${toMin} rejects shorter strings accepted before (minLength ${num(from, 'minLength') ?? 0})`);
  }
  const toMax = num(to, 'maxLength');
  const fromMax = num(from, 'maxLength');
  if (toMax !== undefined && (fromMax === undefined || fromMax > toMax)) {
    report(`${path}/maxLength`, 'MAX_LENGTH_LOWERED', `maxLength ${toMax} rejects longer strings accepted before (maxLength ${fromMax ?? 'none'})`);
  }
  if (typeof to.pattern === 'string' && to.pattern !== from.pattern) {
    report(
      `${path}/pattern`,
      from.pattern === undefined ? 'PATTERN_ADDED' : 'PATTERN_CHANGED',
      `pattern ${JSON.stringify(to.pattern)} ${from.pattern === undefined ? 'added' : `replaces ${JSON.stringify(from.pattern)}`}; only an identical pattern is known to accept the same strings`,
    );
  }
  if (typeof to.format === 'string' && to.format !== from.format) {
    report(
      `${path}/format`,
      from.format === undefined ? 'FORMAT_ADDED' : 'FORMAT_CHANGED',
      `format "${to.format}" ${from.format === undefined ? 'added' : `replaces "${String(from.format)}"`}: strings accepted before may not match it`,
    );
  }
  return found;
}

/** minProperties/maxProperties or minItems/maxItems. */
export function countViolations(
  from: Record<string, unknown>,
  to: Record<string, unknown>,
  path: string,
  minKey: string,
  maxKey: string,
  what: string,
): SubsetViolation[] {
  const found: SubsetViolation[] = [];
  const report = (at: string, rule: string, message: string) => found.push({ path: at, rule, message });
  const num = (s: Record<string, unknown>, k: string) => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
  const toMin = num(to, minKey);
  if (toMin !== undefined && toMin > (num(from, minKey) ?? 0)) {
    report(
      `${path}/${minKey}`,
      `${minKey.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_RAISED`,
      `${minKey} ${toMin} rejects fewer ${what} accepted before (${num(from, minKey) ?? 0})`,
    );
  }
  const toMax = num(to, maxKey);
  const fromMax = num(from, maxKey);
  if (toMax !== undefined && (fromMax === undefined || fromMax > toMax)) {
    report(
      `${path}/${maxKey}`,
      `${maxKey.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_LOWERED`,
      `${maxKey} ${toMax} rejects more ${what} accepted before (${fromMax ?? 'no limit'})`,
    );
  }
  return found;
}
