import { spawnSync } from 'child_process';
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
export async function benchFile(): Promise<string> {
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

/**
 * The child side of the memory bench: this bundle re-run with TP_BENCH_RSS_CHILD set to a file.
 * A fresh process, so nothing else the bench did is counted. Prints one JSON line.
 */
async function rssChild(file: string): Promise<void> {
  // This runs while the bundle is still being evaluated: the modules after this one (the other
  // benches load playwright-core and undici) would otherwise count as the validator's growth.
  await new Promise((resolve) => setImmediate(resolve));
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = process.memoryUsage.rss();
  const baselineMax = process.resourceUsage().maxRSS * 1024;
  let sampled = baseline;
  const timer = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage.rss())), 2);
  const result = await validateFile(file, {
    onProgress: () => (sampled = Math.max(sampled, process.memoryUsage.rss())),
  });
  clearInterval(timer);
  const peak = Math.max(sampled, process.memoryUsage.rss(), process.resourceUsage().maxRSS * 1024);
  console.log(
    'RSS-CHILD ' +
      JSON.stringify({
        baseline,
        baselineMax,
        peak,
        rows: result.summary.rows,
        diagnostics: result.diagnostics.length,
      }),
  );
}

if (process.env.TP_BENCH_RSS_CHILD) {
  void rssChild(process.env.TP_BENCH_RSS_CHILD).then(() => process.exit(0));
}

export const batchBenches: Bench[] = [
  {
    name: 'batch: peak memory while validating from disk',
    async run() {
      const file = await benchFile();
      const size = statSync(file).size;
      // A child process (this bundle, told by the environment to validate and report), so that
      // the peak is the validator's alone; maxRSS is the kernel's high-water mark for it.
      const child = spawnSync(process.execPath, ['--expose-gc', __filename, 'no-bench-selected'], {
        env: { ...process.env, TP_BENCH_RSS_CHILD: file },
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      });
      const report = /^RSS-CHILD (.*)$/m.exec(child.stdout ?? '');
      if (!report) return { name: this.name, lines: [`the child failed: ${child.stderr || child.stdout}`] };
      const { baseline, baselineMax, peak, rows, diagnostics } = JSON.parse(report[1]) as Record<string, number>;
      const growth = peak - Math.max(baseline, baselineMax);
      return {
        name: this.name,
        lines: [
          `file ${mb(size)}, ${rows} rows, ${diagnostics} diagnostics (validated in a child process)`,
          `RSS growth over the child's ${mb(Math.max(baseline, baselineMax))} baseline: ${mb(growth)} = ${(growth / size).toFixed(2)}x the file (goal <= 1.3x)`,
          `absolute peak RSS of the child (node itself included) ${mb(peak)} = ${(peak / size).toFixed(2)}x the file`,
        ],
      };
    },
  },
  {
    name: 'batch: validateFile vs reading the file and counting lines',
    async run() {
      const file = await benchFile();
      // Timed in turns, so that a slow spell of the machine hits both alike. The first validation
      // of a process starts the kernel's worker and maps its memory: reported on its own.
      const floors: number[] = [];
      const validations: number[] = [];
      for (let i = 0; i < 9; i++) {
        floors.push(await bestOf(1, () => countLines(file)));
        validations.push(await bestOf(1, () => validateFile(file)));
      }
      const first = validations.shift()!;
      floors.shift();
      return {
        name: this.name,
        lines: [
          ratioLine(
            'validateFile / read+count, best of 8 each',
            Math.min(...validations),
            Math.min(...floors),
            '<= 2.0x',
          ),
          ratioLine('validateFile / read+count, median of 8 each', median(validations), median(floors), '<= 2.0x'),
          `the process's first validateFile (new kernel, its worker starting): ${first.toFixed(1)} ms`,
        ],
      };
    },
  },
  {
    name: 'batch: validateFile vs csv-parse',
    async run() {
      const file = await benchFile();
      const validate = await bestOf(3, () => validateFile(file));
      const csv = await bestOf(1, () =>
        parse(readFileSync(file, 'utf8').slice('batch='.length), { relax_column_count: true, relax_quotes: true }),
      );
      return {
        name: this.name,
        lines: [
          `validateFile is ${(csv / validate).toFixed(1)}x faster than csv-parse/sync (${validate.toFixed(1)} ms vs ${csv.toFixed(1)} ms; goal >= 15x)`,
        ],
      };
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
      // What the editor does after a debounced edit: one change, then the full list.
      let editSeed = 7;
      const editAndList = await bestOf(20, () => {
        editSeed = (editSeed * 48271) % 2147483647;
        const line = 1 + (editSeed % (lines.length - 2));
        lines[line] = lines[line].replace(/,(\d+),/, (_, n) => `,${Number(n) + 1},`);
        model.applyChange(line, line, 1, (i) => lines[i]);
        return model.diagnostics();
      });
      const p50 = median(times);
      const p99 = percentile(times, 99);
      return {
        name: this.name,
        lines: [
          `applyChange median ${p50.toFixed(1)} us, p99 ${p99.toFixed(1)} us = ${((p99 / 1000 / full) * 100).toFixed(4)}% of a full validateText pass of ${full.toFixed(1)} ms (goal p99 <= 100 us)`,
          `full validateText pass ${full.toFixed(1)} ms: one edit is ${((full * 1000) / p50).toFixed(0)}x cheaper at the median`,
          `diagnostics() alone: ${(listing * 1000).toFixed(1)} us = ${(listing / full).toExponential(2)}x a full pass`,
          `one edit + diagnostics() / full validateText pass: ${(editAndList / full).toExponential(2)}x (${(editAndList * 1000).toFixed(1)} us vs ${full.toFixed(1)} ms; goal: in proportion to the diagnostics, far below 1x)`,
        ],
      };
    },
  },
];
