import { TargetError } from './errors';

/** Time as the retry and rate-limit policy sees it; tests pass a fake one. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects with a `cancelled` TargetError when `signal` fires first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` after `ms` unless the returned function is called first. */
  setTimer(ms: number, fn: () => void): () => void;
}

export function cancelledError(): TargetError {
  return new TargetError('cancelled', 'Cancelled.');
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(cancelledError());
      const onAbort = () => {
        clearTimeout(timer);
        reject(cancelledError());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
  setTimer(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

/**
 * Keeps calls under Target's 50 calls per minute per client code (bulk submit and batch status share
 * the cap, §4.5): a sliding window of the last calls' start times. A call over the limit waits for the
 * oldest one to leave the window instead of failing, and the wait can be cancelled.
 */
export class RateLimiter {
  private readonly calls = new Map<string, number[]>();

  constructor(
    private readonly limit = 50,
    private readonly windowMs = 60_000,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Waits until one more call for `key` fits in the window, then records it. */
  async acquire(key: string, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw cancelledError();
      const now = this.clock.now();
      const recent = (this.calls.get(key) ?? []).filter((t) => t > now - this.windowMs);
      if (recent.length < this.limit) {
        recent.push(now);
        this.calls.set(key, recent);
        return;
      }
      this.calls.set(key, recent);
      // Checking and recording happen in one synchronous step, so concurrent waiters simply re-check.
      await this.clock.sleep(recent[0] + this.windowMs - now, signal);
    }
  }

  /** How long a call for `key` made now would wait, in ms (0 when it could go at once). */
  waitFor(key: string): number {
    const now = this.clock.now();
    const recent = (this.calls.get(key) ?? []).filter((t) => t > now - this.windowMs);
    return recent.length < this.limit ? 0 : recent[0] + this.windowMs - now;
  }
}
