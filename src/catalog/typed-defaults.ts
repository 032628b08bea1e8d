import { parseFieldPath } from '../mapping/json-path';
import { dateTimeKey, isKeyedScalar, numberKey } from '../values/order-key';
import type { FieldModel } from './field-model';

/**
 * A spec's `defaults` checked against the target subject's fields: a default for a Decimal, Int,
 * Float or DateTime field must be a value of that type the store can order (values/order-key.ts).
 * A malformed one (`"12,50"`, `"yesterday"`) would otherwise be refused at validation for every
 * record that lacks the field, so registration refuses it, naming `defaults.<path>` and the value.
 * Paths the subject does not type (unknown, JSON, inside lists) are left to validation.
 */
export function typedDefaultProblems(defaults: Readonly<Record<string, unknown>> | undefined, fields: readonly FieldModel[]): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(defaults ?? {})) {
    if (value === null || value === undefined) continue;
    const parsed = parseFieldPath(key);
    if (!parsed.ok) continue;
    let level: readonly FieldModel[] = fields;
    let field: FieldModel | undefined;
    for (const segment of parsed.segments) {
      field = segment.kind === 'name' ? level.find((f) => f.jsonKey === segment.name) : undefined;
      if (!field) break;
      level = field.kind === 'object' ? field.fields : [];
    }
    if (field?.kind !== 'scalar' || !isKeyedScalar(field.scalar)) continue;
    const where = /^[A-Za-z_$][\w$]*$/.test(key) ? `defaults.${key}` : `defaults[${JSON.stringify(key)}]`;
    const scalar = field.scalar;
    const ok =
      scalar === 'DateTime'
        ? typeof value === 'string' && dateTimeKey(value) !== null
        : scalar === 'Decimal'
          ? typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) && numberKey(value) !== null
          : typeof value === 'number' &&
            (scalar === 'Float' || (scalar === 'Long' ? Number.isSafeInteger(value) : Number.isInteger(value))) &&
            numberKey(value) !== null;
    if (!ok) {
      problems.push(
        `${where}: ${JSON.stringify(value)} is not ${scalar === 'Int' ? 'an' : 'a'} ${scalar} (${
          scalar === 'DateTime'
            ? 'ISO-8601 text with an offset and at most 9 fractional digits, years 0000–9999'
            : scalar === 'Decimal'
              ? 'a decimal string such as "-1234.50", at most 1000 significant digits'
              : `a JSON number${scalar === 'Int' ? ' without a fraction' : scalar === 'Long' ? ' without a fraction, within ±9007199254740991' : ''}`
        })`,
      );
    }
  }
  return problems;
}
