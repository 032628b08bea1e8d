import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.join(__dirname, '..', '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9, columnNumber: 0, scriptId: '1' });

/** Runs `npm run bench:profile-summary` on a profile written to a temporary file. */
async function summary(name: string, profile: unknown, ...args: string[]): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-profile-'));
  try {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify(profile));
    const { stdout } = await promisify(execFile)(tsx, [path.join('bench', 'profile-summary.ts'), file, ...args], { cwd: root });
    return stdout.replaceAll(dir, '<dir>');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('bench:profile-summary', () => {
  it('adds up a sampling heap profile by area and function, and per unit with --per', async () => {
    // What BENCH_HEAP_PROF_DIR writes: a tree of call frames, and samples of bytes at its nodes.
    const profile = {
      head: {
        id: 1,
        callFrame: frame('(root)', ''),
        children: [
          { id: 2, callFrame: frame('decode', 'file:///app/src/ingestion/decode.ts'), children: [] },
          { id: 3, callFrame: frame('encode', 'file:///app/node_modules/kafkajs/src/encoder.js'), children: [] },
        ],
      },
      samples: [
        { size: 3000, nodeId: 2, ordinal: 1 },
        { size: 1000, nodeId: 2, ordinal: 2 },
        { size: 4000, nodeId: 3, ordinal: 3 },
      ],
    };
    const out = await summary('run.heapprofile', profile, '--per', '4');
    expect(out).toContain('run.heapprofile: 0.0 MiB allocated (sampled), 2000 bytes per unit of 4');
    expect(out).toContain('| src/ingestion | 50.0% | 1000 |');
    expect(out).toContain('| kafkajs | 50.0% | 1000 |');
    expect(out).toContain('| decode src/ingestion:10 | 50.0% | 1000 |');
  });

  it('adds up a CPU profile by area and function', async () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 3] },
        { id: 2, callFrame: frame('(idle)', ''), children: [] },
        { id: 3, callFrame: frame('plan', 'file:///app/src/ingestion/plan.ts'), children: [] },
      ],
      samples: [2, 3, 3, 3],
      timeDeltas: [250_000, 250_000, 250_000, 250_000],
    };
    const out = await summary('run.cpuprofile', profile);
    expect(out).toContain('run.cpuprofile: 1.0 s sampled; idle 25.0%, GC 0.0%, program 0.0%');
    expect(out).toContain('| plan src/ingestion:10 | 75.0% |');
  });
});
