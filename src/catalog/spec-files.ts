import fs from 'node:fs';
import path from 'node:path';
import { AppError, ErrorCode } from '../errors';
import type { MappingSpec } from '../mapping/mapping-spec';
import { validateSpec } from '../mapping/validate-spec';

/**
 * Reads every `*.json` mapping spec of a directory. All files are checked before any is used; a
 * bad one fails the whole load with every problem of every file, named by file.
 */
export function loadSpecFiles(dir: string): MappingSpec[] {
  if (!fs.existsSync(dir)) return [];
  const specs: MappingSpec[] = [];
  const problems: string[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    } catch (error) {
      problems.push(`${file}: not valid JSON (${(error as Error).message})`);
      continue;
    }
    const result = validateSpec(parsed);
    if (result.ok) specs.push(result.spec);
    else problems.push(...result.problems.map((problem) => `${file}: ${problem}`));
  }
  if (problems.length > 0) {
    throw new AppError(ErrorCode.SPEC_INVALID, `invalid mapping specs in ${dir}:\n  - ${problems.join('\n  - ')}`, { details: problems });
  }
  return specs;
}
