import { execFile } from 'node:child_process';
import path from 'node:path';

/**
 * Apollo keeps every parsed, validated document in its document cache, refused or not (issue 14
 * item 7). Distinct large documents the limits refuse must not grow the API's heap without bound:
 * measured in a child process running the API alone (test/support/document-cache-probe.ts).
 */
const ROOT = path.join(__dirname, '..', '..', '..');

function runProbe(
  documents: number,
): Promise<{ documents: number; bytesEach: number; codes: Record<string, number>; heapBeforeMb: number; heapAfterMb: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', path.join(ROOT, 'test', 'support', 'document-cache-probe.ts'), String(documents)],
      { cwd: ROOT, timeout: 280_000, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${error.message}\n${stderr}`));
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!));
      },
    );
  });
}

describe('document cache', () => {
  it('keeps the heap bounded after 300 distinct large refused documents (child process)', async () => {
    const result = await runProbe(300);
    process.stdout.write(
      `API heap after ${result.documents} distinct refused documents of ${result.bytesEach} bytes: ${result.heapBeforeMb} MB before, ${result.heapAfterMb} MB after\n`,
    );
    expect(result.codes).toEqual({ ALIAS_LIMIT_EXCEEDED: 300 });
    // Margin: the cache is bounded well below this; without a bound it grew by over 100 MB.
    expect(result.heapAfterMb - result.heapBeforeMb).toBeLessThan(40);
  }, 300_000);
});
