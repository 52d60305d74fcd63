import { existsSync } from 'fs';
import * as path from 'path';

const SCRIPT = 'batchWorker.js';

/**
 * The worker's script, dist/batchWorker.js, from whichever bundle asks: the extension and the
 * command line sit next to it, the test and bench bundles in folders below dist/.
 */
export function batchWorkerScript(): string | undefined {
  let dir = __dirname;
  for (let up = 0; up < 5; up++) {
    const candidate = path.join(dir, SCRIPT);
    if (existsSync(candidate)) return candidate;
    if (path.basename(dir) === 'dist') return undefined;
    dir = path.dirname(dir);
  }
  return undefined;
}
