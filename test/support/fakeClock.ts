import { Clock, cancelledError } from '../../src/core/target/limiter';

/** A clock the test moves by hand; `sleeps` records every wait asked for. */
export class FakeClock implements Clock {
  time = 1_000_000;
  readonly sleeps: number[] = [];
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(cancelledError());
      const cancel = this.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      const onAbort = () => {
        cancel();
        reject(cancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  setTimer(ms: number, fn: () => void): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn, id });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  }

  pending(): number {
    return this.timers.length;
  }

  /** Fires timers in order until `promise` settles (or no timer is left), and returns its outcome. */
  async run<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    for (;;) {
      await flush();
      if (settled || this.timers.length === 0) break;
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift()!;
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    return watched;
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** Resolves to the error a promise rejects with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
