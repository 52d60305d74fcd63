import * as l10n from '@vscode/l10n';
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
  return new TargetError('cancelled', l10n.t('Cancelled.'));
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
 * the cap, see docs/target-api.md#rate-limits): a sliding window of the last calls. A call over the
 * limit waits for the oldest one to leave the window instead of failing, and the wait can be cancelled.
 *
 * `acquire` counts a call from when it starts. `begin` is stricter, and what the client uses: the call
 * holds its slot while in flight and counts from when it ends. Target counts a call when it arrives,
 * somewhere between the two, so counting from the end keeps Target's window under the limit however long
 * the request took to get there (a busy event loop, a slow upload, a queue in a proxy).
 */
export class RateLimiter {
  /** Per key, the calls still in the window: `at` is Infinity while the call is in flight. */
  private readonly calls = new Map<string, { at: number }[]>();
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly limit = 50,
    private readonly windowMs = 60_000,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Waits until one more call for `key` fits in the window, then records it as made now. */
  async acquire(key: string, signal?: AbortSignal): Promise<void> {
    await this.take(key, false, signal);
  }

  /**
   * Waits like `acquire`, then holds the slot until the returned function is called at the end of the
   * call; the call then stays in the window for `windowMs` from that moment.
   */
  async begin(key: string, signal?: AbortSignal): Promise<() => void> {
    const slot = await this.take(key, true, signal);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      slot.at = this.clock.now();
      this.wake(key);
    };
  }

  /** How long a call for `key` made now would wait, in ms (0 when it could go at once). */
  waitFor(key: string): number {
    const now = this.clock.now();
    const recent = this.recent(key, now);
    if (recent.length < this.limit) return 0;
    const oldest = Math.min(...recent.map((c) => c.at));
    // Every slot is held by a call in flight: at least until one ends, and a window after that.
    return Number.isFinite(oldest) ? oldest + this.windowMs - now : this.windowMs;
  }

  private recent(key: string, now: number): { at: number }[] {
    const recent = (this.calls.get(key) ?? []).filter((c) => c.at > now - this.windowMs);
    this.calls.set(key, recent);
    return recent;
  }

  private async take(key: string, inFlight: boolean, signal?: AbortSignal): Promise<{ at: number }> {
    for (;;) {
      if (signal?.aborted) throw cancelledError();
      const now = this.clock.now();
      const recent = this.recent(key, now);
      if (recent.length < this.limit) {
        // Checking and recording happen in one synchronous step, so concurrent waiters simply re-check.
        const slot = { at: inFlight ? Infinity : now };
        recent.push(slot);
        return slot;
      }
      const oldest = Math.min(...recent.map((c) => c.at));
      await this.wait(key, Number.isFinite(oldest) ? oldest + this.windowMs - now : undefined, signal);
    }
  }

  /** Resolves after `ms` (never, when undefined) or as soon as a call for `key` ends, whichever is first. */
  private wait(key: string, ms: number | undefined, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = new AbortController();
      let waiters = this.waiters.get(key);
      if (!waiters) this.waiters.set(key, (waiters = new Set()));
      const set = waiters;
      const finish = () => {
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
        signal?.removeEventListener('abort', onAbort);
        timer.abort();
      };
      const wake = () => {
        finish();
        resolve();
      };
      const onAbort = () => {
        finish();
        reject(cancelledError());
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(wake);
      if (ms !== undefined) this.clock.sleep(ms, timer.signal).then(wake, () => undefined);
    });
  }

  private wake(key: string): void {
    for (const wake of [...(this.waiters.get(key) ?? [])]) wake();
  }
}
