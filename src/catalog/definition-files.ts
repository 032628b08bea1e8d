import fs from 'node:fs';
import path from 'node:path';
import { AppError, ErrorCode } from '../errors';

/**
 * Reads every `*.json` definition of one directory (mapping specs, metric definitions). All files
 * are checked before any is used; a bad one fails the whole load with every problem of every
 * file, named by file. `identity` (id@version) catches one version defined twice.
 */
export function loadDefinitionFiles<T>(
  dir: string,
  what: string,
  validate: (input: unknown) => { ok: true; value: T } | { ok: false; problems: readonly string[] },
  identity: (value: T) => string,
): T[] {
  if (!fs.existsSync(dir)) return [];
  const values: T[] = [];
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    } catch (error) {
      problems.push(`${file}: not valid JSON (${(error as Error).message})`);
      continue;
    }
    const result = validate(parsed);
    if (!result.ok) {
      problems.push(...result.problems.map((problem) => `${file}: ${problem}`));
      continue;
    }
    const id = identity(result.value);
    const other = seen.get(id);
    if (other !== undefined) problems.push(`${file}: ${id} is also defined in ${other}`);
    else {
      seen.set(id, file);
      values.push(result.value);
    }
  }
  if (problems.length > 0) {
    throw new AppError(ErrorCode.SPEC_INVALID, `invalid ${what} in ${dir}:\n  - ${problems.join('\n  - ')}`, { details: problems });
  }
  return values;
}
