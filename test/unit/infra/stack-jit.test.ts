import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jvmFlags, recordedStackJit, recordStackJit, requestedStackJit, stackJit } from '../../../infra/stack/stack-config';

describe("the compilers of the local stack's JVMs (CANONQL_STACK_JIT)", () => {
  it('runs C1 only by default: the quick start the tests want', () => {
    expect(stackJit({})).toBe('c1');
    expect(stackJit({ CANONQL_STACK_JIT: ' ' })).toBe('c1');
    expect(jvmFlags({})).toEqual(['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true']);
  });

  it('runs C1 and C2 with full: the flag that stops tiered compilation at C1 goes, the collector stays', () => {
    expect(stackJit({ CANONQL_STACK_JIT: 'full' })).toBe('full');
    const flags = jvmFlags({ CANONQL_STACK_JIT: 'full' });
    expect(flags).toContain('-XX:+UseSerialGC');
    expect(flags.some((flag) => flag.startsWith('-XX:TieredStopAtLevel'))).toBe(false);
  });

  it('is requested only when set: unset, a running stack is taken as it is', () => {
    expect(requestedStackJit({})).toBeNull();
    expect(requestedStackJit({ CANONQL_STACK_JIT: ' ' })).toBeNull();
    expect(requestedStackJit({ CANONQL_STACK_JIT: 'c1' })).toBe('c1');
    expect(requestedStackJit({ CANONQL_STACK_JIT: 'full' })).toBe('full');
  });

  it('refuses any other value, naming the accepted ones, rather than starting the stack some other way', () => {
    expect(() => stackJit({ CANONQL_STACK_JIT: 'C2' })).toThrow('CANONQL_STACK_JIT="C2" is not one of c1, full');
    expect(() => jvmFlags({ CANONQL_STACK_JIT: 'server' })).toThrow(/not one of c1, full/);
  });

  it("takes the setting the last up recorded when the variable is unset, so a JVM a test restarts keeps the stack's compilers", () => {
    expect(stackJit({}, 'full')).toBe('full');
    expect(jvmFlags({}, 'full').some((flag) => flag.startsWith('-XX:TieredStopAtLevel'))).toBe(false);
    expect(stackJit({ CANONQL_STACK_JIT: 'c1' }, 'full')).toBe('c1');
    expect(stackJit({}, null)).toBe('c1');

    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-stack-jit-'));
    try {
      expect(recordedStackJit({ stateDir })).toBeNull();
      recordStackJit({ stateDir }, 'full');
      expect(recordedStackJit({ stateDir })).toBe('full');
      recordStackJit({ stateDir }, 'c1');
      expect(recordedStackJit({ stateDir })).toBe('c1');
      fs.writeFileSync(path.join(stateDir, 'run', 'jit'), 'server\n');
      expect(recordedStackJit({ stateDir })).toBeNull();
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
