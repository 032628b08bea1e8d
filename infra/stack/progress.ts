/** Progress lines for long steps: what is happening, then how long it took. */
export interface Progress {
  step<T>(label: string, work: () => Promise<T>): Promise<T>;
  info(message: string): void;
}

export function createProgress(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Progress {
  return {
    async step(label, work) {
      const started = Date.now();
      write(`[stack] ${label} ...`);
      try {
        const result = await work();
        write(`[stack] ${label}: done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
        return result;
      } catch (error) {
        write(`[stack] ${label}: FAILED after ${((Date.now() - started) / 1000).toFixed(1)}s`);
        throw error;
      }
    },
    info(message) {
      write(`[stack] ${message}`);
    },
  };
}
