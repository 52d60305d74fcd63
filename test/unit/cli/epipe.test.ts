import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Readable } from 'stream';
import { repoRoot } from '../../support/repoRoot';

/**
 * A reader that goes away early (`target-profiles validate big.batch --json | head -c 300`) closes the
 * pipe under the command line: it must stop writing and end with its own exit code, with no EPIPE
 * stack on stderr. These tests run the built bundle, as a shell pipeline would.
 */
const cli = path.join(repoRoot, 'dist', 'cli.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-cli-epipe-'));
const big = path.join(dir, 'big.batch');

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What the stream that was not closed received. */
  other: string;
  /** How many bytes the closed stream delivered before it was closed. */
  read: number;
}

/** Runs the CLI and closes `closed` (its stdout or stderr) after the first 300 bytes arrive there. */
function runClosingEarly(args: string[], closed: 'stdout' | 'stderr'): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const early: Readable = child[closed];
    const other: Readable = closed === 'stdout' ? child.stderr : child.stdout;
    let read = 0;
    let text = '';
    early.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read >= 300) early.destroy();
    });
    other.setEncoding('utf8');
    other.on('data', (chunk: string) => (text += chunk));
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the command line did not exit after its ${closed} was closed`));
    }, 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, other: text, read });
    });
  });
}

describe('command line: a closed stdout or stderr ends it quietly', function () {
  this.timeout(60_000);

  before(() => {
    // Far more output than a pipe holds (64 KB on Linux), so the command is still writing when the pipe closes.
    const rows = ['batch=pcId,a'];
    for (let i = 0; i < 20_000; i++) rows.push(`${i},x&y`);
    fs.writeFileSync(big, rows.join('\n') + '\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const format of [['--json'], [], ['--format', 'github']]) {
    it(`validate ${format.join(' ') || '(text)'} | head -c 300: no stack, exit code 1 as the file has errors`, async () => {
      const ended = await runClosingEarly(['validate', 'big.batch', ...format], 'stdout');
      assert.ok(ended.read >= 300, 'the output started');
      assert.doesNotMatch(ended.other, /EPIPE|\n\s+at |Unhandled|Error:/);
      assert.strictEqual(ended.other, '');
      assert.strictEqual(ended.signal, null);
      assert.strictEqual(ended.code, 1);
    });
  }

  it('validate of many unreadable files, whose stderr closes: stdout still gets its summary, exit code 2', async () => {
    // Each missing file is one line on stderr; the exit code 2 tells them apart from an unhandled error's 1.
    const missing = Array.from({ length: 4000 }, (_, i) => `missing-file-number-${i}.batch`);
    const ended = await runClosingEarly(['validate', ...missing], 'stderr');
    assert.ok(ended.read >= 300, 'the messages started');
    assert.strictEqual(ended.other, '0 files checked (0 rows): 0 errors, 0 warnings, 0 info\n');
    assert.strictEqual(ended.signal, null);
    assert.strictEqual(ended.code, 2);
  });
});
