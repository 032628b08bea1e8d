import { describeValue, transformFailed, type TransformDefinition } from './transform-definition';

export const identityTransform: TransformDefinition = {
  name: 'identity',
  description: 'Copies the value unchanged (objects and arrays included).',
  args: [],
  create: () => (value) => value,
};

const TRUE_TEXT = new Set(['true', 'yes', '1']);
const FALSE_TEXT = new Set(['false', 'no', '0']);

/** The spellings sources really use for flags; anything else is rejected, not guessed. */
export const booleanTransform: TransformDefinition = {
  name: 'boolean',
  description: 'Converts true/false, 1/0 and the strings "true"/"false", "yes"/"no", "1"/"0" (case-insensitive, trimmed) to a boolean. Rejects anything else.',
  args: [],
  create: () => (value) => {
    if (typeof value === 'boolean') return value;
    if (value === 1 || value === 0) return value === 1;
    if (typeof value === 'string') {
      const text = value.trim().toLowerCase();
      if (TRUE_TEXT.has(text)) return true;
      if (FALSE_TEXT.has(text)) return false;
    }
    return transformFailed(`boolean: expected true/false, 1/0, "true"/"false" or "yes"/"no", got ${describeValue(value)}`);
  },
};
