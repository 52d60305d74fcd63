import * as fs from 'fs';
import * as path from 'path';

/** The batch worker's bundle (src/core/batch/worker.ts, built by esbuild.js), at the top of dist/. */
export const BATCH_WORKER_FILE = 'batchWorker.js';

let found: { script: string | undefined } | undefined;

/**
 * The path of the batch worker's script, for `new Worker(path, { workerData: { role, ... } })`,
 * or undefined when it is missing (then run the work on the calling thread).
 *
 * Every bundle that may start a worker lives in dist/ or a folder under it: the extension and the
 * command line (dist/extension.js, dist/cli.js), the unit tests (dist/test/unit/...), the
 * integration suite (dist/test/suite/...) and the benchmarks (dist/test/bench/index.js). So the
 * worker is looked for next to the running bundle, then in each folder above it up to the first
 * one named dist. Found once per process.
 */
export function batchWorkerScript(): string | undefined {
  found ??= { script: findBatchWorker(__dirname) };
  return found.script;
}

/** batchWorker.js in `start` or the nearest folder above it, up to the first one named dist; or undefined. */
export function findBatchWorker(start: string): string | undefined {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, BATCH_WORKER_FILE);
    if (fs.existsSync(candidate)) return candidate;
    if (path.basename(dir) === 'dist' || path.dirname(dir) === dir) return undefined;
  }
}
