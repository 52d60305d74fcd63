/**
 * The benchmark harness behind `npm run bench`. Every figure is a ratio against a baseline measured
 * in the same run on the same machine, so the numbers mean something on any hardware; nothing here
 * is asserted by `npm test`.
 */
export interface BenchResult {
  name: string;
  /** Human-readable lines: the measured values, the baseline and the ratio, with the goal. */
  lines: string[];
}

export interface Bench {
  name: string;
  run(): Promise<BenchResult>;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Runs `fn` `times` times and returns the best wall time in milliseconds (least disturbed by noise). */
export async function bestOf(times: number, fn: () => unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const start = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

export function ratioLine(label: string, value: number, baseline: number, goal: string): string {
  return `${label}: ${(value / baseline).toFixed(2)}x (${value.toFixed(1)} ms vs ${baseline.toFixed(1)} ms; goal ${goal})`;
}
