import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TargetClient } from '../../src/core/target/client';
import { RateLimiter } from '../../src/core/target/limiter';
import { generateBatchFile } from './generate';
import { Bench, bestOf, ratioLine } from './harness';

const FILE = path.resolve('bench-data/upload-49mb.batch');
// About 98 bytes a row: 490,000 rows make one upload just under 49 MB.
const ROWS = 490_000;

/**
 * The primary baseline: a minimal loopback server that reads and counts the body and answers the
 * documented submit XML (docs/target-api.md#submit-answer). Node built-ins only, so it runs from a temp
 * file without a bundle.
 */
const SINK_SCRIPT = `
const http = require('http');
let batches = 0;
const server = http.createServer((req, res) => {
  let bytes = 0;
  req.on('data', (chunk) => { bytes += chunk.length; });
  req.on('end', () => {
    const id = 'bench-' + Date.now() + '-' + (++batches);
    const body = '<response>\\n    <success>true</success>\\n    <batchStatus>http://127.0.0.1:' + server.address().port +
      '/m2/bench/profile/batchStatus?batchId=' + id + '</batchStatus>\\n    <message>Batch submitted for processing (' + bytes + ' bytes)</message>\\n</response>';
    res.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

/** Starts `node <script> ...args` and resolves with the child and the URL it prints on its first line. */
function startChild(script: string, args: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      resolve({ child, url: out.slice(0, nl).trim() });
    };
    child.stdout!.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before printing its URL`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Peak RSS growth of this (the client's) process while `fn` runs, in MiB. */
async function rssGrowth(fn: () => Promise<unknown>): Promise<number> {
  global.gc?.();
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  try {
    await fn();
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  return (peak - before) / (1024 * 1024);
}

function benchClient(baseUrl: string): TargetClient {
  return new TargetClient({
    connection: { clientCode: 'bench', baseUrl, apiVersion: 'v1' },
    proxy: {},
    limiter: new RateLimiter(1000),
  });
}

/**
 * Uploading a ~49 MB batch file, measured from the client's side: the servers run in child processes,
 * so their parsing does not share the client's thread.
 * - upload to a byte-counting sink vs readFileSync of the same file (the client's own cost; goal <= 2.5x)
 * - upload to the emulator (child process; informational: the emulator parses every row)
 * - the client process's peak RSS growth during an upload (the file is streamed: goal flat, < 64 MB)
 */
export const uploadBench: Bench = {
  name: 'batch upload (49 MB, streamed)',
  async run() {
    if (!fs.existsSync(FILE)) {
      fs.mkdirSync(path.dirname(FILE), { recursive: true });
      await generateBatchFile(FILE, ROWS);
    }
    const bytes = fs.statSync(FILE).size;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-bench-'));
    const sinkScript = path.join(tmp, 'sink.js');
    fs.writeFileSync(sinkScript, SINK_SCRIPT);
    const emulatorScript = path.join(__dirname, '..', '..', 'emulator-main.js');
    const children: ChildProcess[] = [];
    const clients: TargetClient[] = [];
    try {
      const read = await bestOf(5, () => fs.readFileSync(FILE));

      const sink = await startChild(sinkScript);
      children.push(sink.child);
      const toSink = benchClient(sink.url);
      clients.push(toSink);
      const plan = await toSink.planBatch(FILE);
      const [first] = await toSink.submitPlan(plan);
      const sunk = Number(/\((\d+) bytes\)/.exec(first.message)?.[1]);
      if (sunk !== plan.parts[0].bytes) {
        throw new Error(`the sink received ${sunk} bytes, expected ${plan.parts[0].bytes}`);
      }
      const upload = await bestOf(5, () => toSink.submitPlan(plan));
      const whole = await bestOf(3, () => toSink.submitBatch(FILE));
      const growth = await rssGrowth(() => toSink.submitBatch(FILE));

      const lines = [
        `file: ${(bytes / 1e6).toFixed(1)} MB, ${ROWS} rows, ${plan.parts.length} upload(s); servers in child processes`,
        ratioLine('upload to sink vs readFileSync', upload, read, '<= 2.5x'),
        ratioLine('plan + upload to sink vs readFileSync', whole, read, 'informational'),
        `client peak RSS growth during plan + upload: ${growth.toFixed(1)} MB (goal: flat, under 64 MB)`,
      ];

      if (fs.existsSync(emulatorScript)) {
        const emu = await startChild(emulatorScript, ['--port', '0', '--empty']);
        children.push(emu.child);
        await fetch(`${emu.url}/__emulator/config`, {
          method: 'POST',
          body: JSON.stringify({ rateLimit: 1000, rateWindowMs: 60_000 }),
        });
        const toEmulator = benchClient(emu.url);
        clients.push(toEmulator);
        await toEmulator.submitPlan(plan);
        const emulated = await bestOf(3, () => toEmulator.submitPlan(plan));
        lines.push(
          ratioLine(
            'upload to emulator (child) vs readFileSync',
            emulated,
            read,
            'informational: the emulator parses every row',
          ),
        );
      } else {
        lines.push(`upload to emulator: skipped, ${emulatorScript} is not built`);
      }
      return { name: this.name, lines };
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await Promise.all(children.map(stopChild));
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
};
