import { withHeartbeats } from '../../../src/infra/batch-heartbeat';

describe('heartbeats while a batch is handled', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('asks for a heartbeat every interval while the work runs, and never after it ends', async () => {
    const heartbeat = jest.fn(() => Promise.resolve());
    let finish!: (value: string) => void;
    const done = withHeartbeats(
      heartbeat,
      () =>
        new Promise<string>((resolve) => {
          finish = resolve;
        }),
      1000,
    );
    await jest.advanceTimersByTimeAsync(3500);
    expect(heartbeat).toHaveBeenCalledTimes(3);
    finish('applied');
    await expect(done).resolves.toBe('applied');
    await jest.advanceTimersByTimeAsync(5000);
    expect(heartbeat).toHaveBeenCalledTimes(3);
  });

  it("passes the work's failure through and stops asking; a failing heartbeat does not fail the work", async () => {
    const heartbeat = jest.fn(() => Promise.reject(new Error('The group is rebalancing')));
    let fail!: (error: Error) => void;
    const done = withHeartbeats(
      heartbeat,
      () =>
        new Promise<never>((_, reject) => {
          fail = reject;
        }),
      500,
    );
    const outcome = expect(done).rejects.toThrow('store write failed');
    await jest.advanceTimersByTimeAsync(1200);
    expect(heartbeat).toHaveBeenCalledTimes(2);
    fail(new Error('store write failed'));
    await outcome;
    await jest.advanceTimersByTimeAsync(2000);
    expect(heartbeat).toHaveBeenCalledTimes(2);
  });
});
