import { describeValue, transformFailed, type TransformDefinition, type TransformFn } from './transform-definition';

function requireString(name: string, apply: (s: string) => unknown): TransformFn {
  return (value) => (typeof value === 'string' ? apply(value) : transformFailed(`${name}: expected a string, got ${describeValue(value)}`));
}

/** Scalars to text; an object or array is a mapping mistake, not something to stringify. */
export const stringTransform: TransformDefinition = {
  name: 'string',
  description: 'Converts a string, number (shortest decimal form), bigint or boolean to a string. Rejects objects and arrays.',
  args: [],
  create: () => (value) => {
    switch (typeof value) {
      case 'string':
        return value;
      case 'number':
      case 'bigint':
      case 'boolean':
        return String(value);
      default:
        return transformFailed(`string: expected a scalar, got ${describeValue(value)}`);
    }
  },
};

export const lowercaseTransform: TransformDefinition = {
  name: 'lowercase',
  description: 'Lower-cases a string (locale-independent). Rejects non-strings.',
  args: [],
  create: () => requireString('lowercase', (s) => s.toLowerCase()),
};

export const uppercaseTransform: TransformDefinition = {
  name: 'uppercase',
  description: 'Upper-cases a string (locale-independent). Rejects non-strings.',
  args: [],
  create: () => requireString('uppercase', (s) => s.toUpperCase()),
};

export const trimTransform: TransformDefinition = {
  name: 'trim',
  description: 'Removes leading and trailing white space from a string. Rejects non-strings.',
  args: [],
  create: () => requireString('trim', (s) => s.trim()),
};

export const splitTransform: TransformDefinition = {
  name: 'split',
  description: 'Splits a string into an array of strings.',
  args: [
    { name: 'separator', type: 'string', required: false, default: ',', description: 'Text between the parts. Default ",".' },
    { name: 'trim', type: 'boolean', required: false, default: true, description: 'Trim white space around each part. Default true.' },
    { name: 'removeEmpty', type: 'boolean', required: false, default: true, description: 'Drop empty parts (after trimming). Default true.' },
  ],
  check: (args) => (args.separator === '' ? ['separator must not be empty'] : []),
  create: (args) => {
    const separator = (args.separator as string | undefined) ?? ',';
    const trim = (args.trim as boolean | undefined) ?? true;
    const removeEmpty = (args.removeEmpty as boolean | undefined) ?? true;
    return requireString('split', (s) => {
      let parts = s.split(separator);
      if (trim) parts = parts.map((p) => p.trim());
      return removeEmpty ? parts.filter((p) => p.length > 0) : parts;
    });
  },
};
