import { MongoNetworkError } from 'mongodb';
import { AppError, ErrorCode } from '../../../src/errors';
import { KafkaJSGroupCoordinatorNotFound, KafkaJSNonRetriableError } from 'kafkajs';
import { backoffDelay, isTransient, withRetry, type RetryPolicy } from '../../../src/infra/retry';

const FAST: RetryPolicy = { attempts: 4, initialDelayMs: 1, maxDelayMs: 4, factor: 2 };

describe('retry with backoff', () => {
  it('grows the delay cap per attempt up to the maximum, with full jitter', () => {
    const policy: RetryPolicy = { attempts: 10, initialDelayMs: 200, maxDelayMs: 5000, factor: 2 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, policy, () => 1))).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(400);
  });

  it('classifies infrastructure failures as transient, and never a programming error', () => {
    expect(isTransient(new AppError(ErrorCode.STORE_UNAVAILABLE, 'down', { retriable: true }))).toBe(true);
    expect(isTransient(new AppError(ErrorCode.VALIDATION_FAILED, 'bad'))).toBe(false);
    expect(isTransient(new MongoNetworkError('socket closed'))).toBe(true);
    expect(isTransient(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }))).toBe(true);
    const exhausted = Object.assign(new Error('gave up'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      originalError: Object.assign(new Error('c'), { name: 'KafkaJSConnectionError' }),
    });
    expect(isTransient(exhausted)).toBe(true);
    const exhaustedOnBug = Object.assign(new Error('gave up'), { name: 'KafkaJSNumberOfRetriesExceeded', originalError: new TypeError('bug') });
    expect(isTransient(exhaustedOnBug)).toBe(false);
    expect(isTransient(new TypeError('x is not a function'))).toBe(false);
    expect(isTransient(Object.assign(new RangeError('r'), { code: 'ECONNRESET' }))).toBe(false);
    expect(isTransient('a string')).toBe(false);
  });

  it('takes a consumer crash on a group coordinator no broker answered for as transient (a broker stopped mid-stream)', () => {
    // What kafkajs' consumer crashed with when the broker stopped while it looked for its
    // coordinator: the lookup's refusals are swallowed, the lookup throws GroupCoordinatorNotFound
    // (non-retriable by its class), and the retrier gives up wrapping it.
    // kafkajs' types declare fewer constructor arguments than its classes take (and kafkajs passes).
    type KafkaError = Error & { readonly retriable: boolean };
    const NotFound = KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => KafkaError;
    const NonRetriable = KafkaJSNonRetriableError as unknown as new (error: Error | string, options?: { cause?: Error }) => KafkaError;
    const notFound = new NotFound('Failed to find group coordinator');
    const crash = new NonRetriable(notFound, { cause: notFound });
    expect(crash.retriable).toBe(false);
    expect(isTransient(notFound)).toBe(true);
    expect(isTransient(crash)).toBe(true);
    // Other non-retriable kafkajs errors stay non-transient.
    expect(isTransient(new NonRetriable('Invalid topics array'))).toBe(false);
  });

  it('retries a transient failure until it succeeds, calling onRetry before each wait', async () => {
    let calls = 0;
    const retries: number[] = [];
    const result = await withRetry(
      'flaky',
      async () => {
        calls += 1;
        if (calls < 3) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
        return 'ok';
      },
      {
        policy: FAST,
        onRetry: (_e, attempt) => {
          retries.push(attempt);
        },
      },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  it('rethrows the last error when the attempts run out', async () => {
    let calls = 0;
    const failure = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    await expect(
      withRetry(
        'down',
        async () => {
          calls += 1;
          throw failure;
        },
        { policy: FAST },
      ),
    ).rejects.toBe(failure);
    expect(calls).toBe(FAST.attempts);
  });

  it('never retries a programming error or a non-transient error', async () => {
    for (const error of [new TypeError('bug'), new AppError(ErrorCode.MAPPING_FAILED, 'poison')]) {
      let calls = 0;
      await expect(
        withRetry(
          'once',
          async () => {
            calls += 1;
            throw error;
          },
          { policy: FAST },
        ),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });

  it('stops waiting when aborted and rethrows', async () => {
    const controller = new AbortController();
    let calls = 0;
    const slow: RetryPolicy = { attempts: 5, initialDelayMs: 60_000, maxDelayMs: 60_000, factor: 1 };
    const started = Date.now();
    const run = withRetry(
      'aborted',
      async () => {
        calls += 1;
        throw Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' });
      },
      { policy: slow, signal: controller.signal, random: () => 1 },
    );
    setTimeout(() => controller.abort(), 20);
    await expect(run).rejects.toThrow('timeout');
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
