import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';
import { parse } from 'csv-parse/sync';
import { BatchDocumentModel } from '../../src/core/batch/incremental';
import { validateFile, validateText } from '../../src/core/batch/validator';
import { generateBatchFile } from './generate';
import { Bench, bestOf, median, percentile, ratioLine } from './harness';

const ROWS = 500_000;
const FILE = path.join(__dirname, '..', '..', '..', 'bench-data', `batch-${ROWS}.batch`);

/** The generated 500,000-row file, written once under bench-data/ (git-ignored). */
async function benchFile(): Promise<string> {
  if (!existsSync(FILE)) {
    mkdirSync(path.dirname(FILE), { recursive: true });
    await generateBatchFile(FILE, ROWS);
  }
  return FILE;
}

/** The floor: reading the same file with the same chunk size and counting its lines. */
async function countLines(file: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return lines;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export const batchBenches: Bench[] = [
  {
    name: 'batch: peak memory while validating from disk',
    async run() {
      const file = await benchFile();
      const size = statSync(file).size;
      (globalThis as { gc?: () => void }).gc?.();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
      const result = await validateFile(file, { onProgress: () => (peak = Math.max(peak, process.memoryUsage().rss)) });
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return {
        name: this.name,
        lines: [
          `file ${mb(size)}, ${result.summary.rows} rows, ${result.diagnostics.length} diagnostics`,
          `peak RSS ${mb(peak)} = ${(peak / size).toFixed(2)}x the file (goal <= 1.3x); growth over the ${mb(baseline)} baseline ${mb(peak - baseline)} = ${((peak - baseline) / size).toFixed(2)}x`,
        ],
      };
    },
  },
  {
    name: 'batch: validateFile vs reading the file and counting lines',
    async run() {
      const file = await benchFile();
      const floor = await bestOf(5, () => countLines(file));
      const validate = await bestOf(5, () => validateFile(file));
      return { name: this.name, lines: [ratioLine('validateFile / read+count', validate, floor, '<= 2.0x')] };
    },
  },
  {
    name: 'batch: validateFile vs csv-parse',
    async run() {
      const file = await benchFile();
      const validate = await bestOf(3, () => validateFile(file));
      const csv = await bestOf(1, () => parse(readFileSync(file, 'utf8').slice('batch='.length), { relax_column_count: true, relax_quotes: true }));
      return { name: this.name, lines: [`csv-parse / validateFile: ${(csv / validate).toFixed(1)}x faster (${validate.toFixed(1)} ms vs ${csv.toFixed(1)} ms; goal >= 15x)`] };
    },
  },
  {
    name: 'batch: one-line edits in a 500,000-line document',
    async run() {
      const text = readFileSync(await benchFile(), 'utf8');
      const lines = text.split('\n');
      const full = await bestOf(3, () => validateText(text));
      const model = new BatchDocumentModel(lines.length, (i) => lines[i]);
      const times: number[] = [];
      let seed = 1;
      for (let k = 0; k < 5000; k++) {
        seed = (seed * 48271) % 2147483647;
        const line = 1 + (seed % (lines.length - 2));
        lines[line] = lines[line].replace(/,(\d+),/, (_, n) => `,${Number(n) + 1},`);
        const start = process.hrtime.bigint();
        model.applyChange(line, line, 1, (i) => lines[i]);
        times.push(Number(process.hrtime.bigint() - start) / 1e3);
      }
      const listing = await bestOf(3, () => model.diagnostics());
      const p50 = median(times);
      const p99 = percentile(times, 99);
      return {
        name: this.name,
        lines: [
          `applyChange median ${p50.toFixed(1)} us, p99 ${p99.toFixed(1)} us (goal p99 well under 100 us)`,
          `full validateText pass ${full.toFixed(1)} ms: one edit is ${((full * 1000) / p50).toFixed(0)}x cheaper at the median`,
          `diagnostics() after an edit (walks every line): ${listing.toFixed(2)} ms`,
        ],
      };
    },
  },
];
