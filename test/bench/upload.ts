import * as fs from 'fs';
import * as path from 'path';
import { TargetClient } from '../../src/core/target/client';
import { RateLimiter } from '../../src/core/target/limiter';
import { startEmulator } from '../emulator/server';
import { generateBatchFile } from './generate';
import { Bench, bestOf, ratioLine } from './harness';

const FILE = path.resolve('bench-data/upload-49mb.batch');
// About 98 bytes a row: 490,000 rows make one upload just under 49 MB.
const ROWS = 490_000;

/**
 * Uploading a ~49 MB batch file to the in-process emulator (v1 with no profiles, so the emulator keeps
 * nothing) against reading the same file from disk; and how far the process's RSS rises during the
 * upload, which stays flat because the file is streamed in 1 MiB chunks.
 */
export const uploadBench: Bench = {
  name: 'batch upload (49 MB, streamed)',
  async run() {
    if (!fs.existsSync(FILE)) {
      fs.mkdirSync(path.dirname(FILE), { recursive: true });
      await generateBatchFile(FILE, ROWS);
    }
    const bytes = fs.statSync(FILE).size;
    const emulator = await startEmulator({ rateLimit: 1000 });
    const client = new TargetClient({
      connection: { clientCode: 'bench', baseUrl: emulator.url, apiVersion: 'v1' },
      proxy: {},
      limiter: new RateLimiter(1000),
    });
    try {
      const read = await bestOf(3, () => fs.readFileSync(FILE));
      const plan = await client.planBatch(FILE);
      const upload = await bestOf(3, () => client.submitPlan(plan));
      const whole = await bestOf(3, () => client.submitBatch(FILE));

      global.gc?.();
      const before = process.memoryUsage.rss();
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
      await client.submitBatch(FILE);
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage.rss());
      const growthMb = (peak - before) / (1024 * 1024);
      return {
        name: this.name,
        lines: [
          `file: ${(bytes / 1e6).toFixed(1)} MB, ${ROWS} rows, ${plan.parts.length} upload(s)`,
          ratioLine('upload vs readFileSync', upload, read, '<= 2.5x'),
          ratioLine('plan + upload vs readFileSync', whole, read, '<= 2.5x for the upload alone'),
          `peak RSS growth during plan + upload: ${growthMb.toFixed(1)} MB (goal: flat, under 64 MB)`,
        ],
      };
    } finally {
      await client.close();
      await emulator.close();
    }
  },
};
