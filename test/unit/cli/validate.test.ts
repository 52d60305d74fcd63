import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../../src/cli';
import { githubAnnotation } from '../../../src/cli/validate';
import { recordingIO, type RecordingIO } from '../../support/cliIO';
import { repoRoot } from '../../support/repoRoot';

function fakeIO(cwd: string): RecordingIO {
  return recordingIO({ cwd });
}

describe('target-profiles validate', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-cli-'));
    fs.writeFileSync(path.join(dir, 'ok.batch'), 'batch=pcId,a\n1,x\n');
    fs.writeFileSync(path.join(dir, 'bad.batch'), 'batch=pcId,a\n1,x&y\n2, z\n');
    fs.writeFileSync(path.join(dir, 'warn.batch'), 'batch=pcId,a\n1,x\n1,y\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('exits 0 for a clean file and prints a summary line', async () => {
    const io = fakeIO(dir);
    assert.strictEqual(await main(['validate', 'ok.batch'], io), 0);
    assert.strictEqual(io.out, '1 file checked (1 row): 0 errors, 0 warnings, 0 info\n');
  });

  it('exits 0 with warnings only', async () => {
    const io = fakeIO(dir);
    assert.strictEqual(await main(['validate', 'warn.batch'], io), 0);
    assert.match(io.out, /^warn\.batch:3:1: warning TP014 /m);
  });

  it('prints compiler-style 1-based lines and exits 1 on errors', async () => {
    const io = fakeIO(dir);
    assert.strictEqual(await main(['validate', 'bad.batch', 'ok.batch'], io), 1);
    const lines = io.out.trimEnd().split('\n');
    assert.match(lines[0], /^bad\.batch:2:4: error TP020 /);
    assert.match(lines[1], /^bad\.batch:3:3: info TP027 /);
    assert.strictEqual(lines[2], '2 files checked (3 rows): 1 error, 0 warnings, 1 info');
  });

  it('prints one JSON document with 1-based positions', async () => {
    const io = fakeIO(dir);
    assert.strictEqual(await main(['validate', '--json', 'bad.batch'], io), 1);
    assert.deepStrictEqual(JSON.parse(io.out), {
      files: [
        {
          path: 'bad.batch',
          bytes: 24,
          rows: 2,
          diagnostics: [
            {
              code: 'TP020',
              severity: 'error',
              line: 2,
              column: 4,
              endLine: 2,
              endColumn: 5,
              message: JSON.parse(io.out).files[0].diagnostics[0].message,
            },
            {
              code: 'TP027',
              severity: 'info',
              line: 3,
              column: 3,
              endLine: 3,
              endColumn: 4,
              message: JSON.parse(io.out).files[0].diagnostics[1].message,
            },
          ],
        },
      ],
    });
    assert.strictEqual(io.err, '');
  });

  it('--format github prints one workflow command per diagnostic, then the summary; same exit codes', async () => {
    let io = fakeIO(dir);
    assert.strictEqual(await main(['validate', '--format', 'github', 'bad.batch', 'warn.batch'], io), 1);
    const lines = io.out.trimEnd().split('\n');
    assert.strictEqual(lines.length, 4);
    assert.match(lines[0], /^::error file=bad\.batch,line=2,col=4,endLine=2,endColumn=5,title=TP020::\S/);
    assert.match(lines[1], /^::notice file=bad\.batch,line=3,col=3,endLine=3,endColumn=4,title=TP027::\S/);
    assert.match(lines[2], /^::warning file=warn\.batch,line=3,col=1,endLine=3,endColumn=\d+,title=TP014::\S/);
    assert.strictEqual(lines[3], '2 files checked (4 rows): 1 error, 1 warning, 1 info');
    io = fakeIO(dir);
    assert.strictEqual(await main(['validate', '--format=github', 'warn.batch'], io), 0);
    io = fakeIO(dir);
    assert.strictEqual(await main(['validate', 'ok.batch', '--format', 'text'], io), 0);
    assert.strictEqual(io.out, '1 file checked (1 row): 0 errors, 0 warnings, 0 info\n');
  });

  it('--format github escapes the message (%, CR, LF) and the properties (also : and ,) as GitHub documents', () => {
    const line = githubAnnotation('dir,1/a:b%.batch', {
      code: 'TP010',
      severity: 'warning',
      line: 1,
      column: 2,
      endLine: 3,
      endColumn: 4,
      message: 'use %26: not &\r\nnext, line',
    });
    assert.strictEqual(
      line,
      '::warning file=dir%2C1/a%3Ab%25.batch,line=1,col=2,endLine=3,endColumn=4,title=TP010::use %2526: not &%0D%0Anext, line\n',
    );
  });

  it('--format github annotates the messages the validator writes, unescaping to the same text', async () => {
    const io = fakeIO(dir);
    await main(['validate', '--json', 'bad.batch'], io);
    const messages = JSON.parse(io.out).files[0].diagnostics.map((d: { message: string }) => d.message);
    const gh = fakeIO(dir);
    await main(['validate', '--format', 'github', 'bad.batch'], gh);
    const unescape = (t: string) => t.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');
    const annotated = gh.out
      .split('\n')
      .filter((l) => l.startsWith('::'))
      .map((l) => unescape(l.slice(l.indexOf('::', 2) + 2)));
    assert.deepStrictEqual(annotated, messages);
  });

  it('refuses unknown and conflicting formats (exit 2) before reading any file', async () => {
    for (const [args, pattern] of [
      [['--format', 'json', 'ok.batch'], /unknown format 'json'/],
      [['--format', 'gitlab', 'missing.batch'], /unknown format 'gitlab'/],
      [['--format', 'github', '--json', 'ok.batch'], /--json and --format github/],
      [['--format', 'text', '--json', 'ok.batch'], /--json and --format text/],
      [['--format', 'github', '--format', 'text', 'ok.batch'], /give one format, not 'github' and 'text'/],
      [['--format', 'ok.batch'], /unknown format 'ok\.batch'/],
    ] as const) {
      const io = fakeIO(dir);
      assert.strictEqual(await main(['validate', ...args], io), 2, args.join(' '));
      assert.match(io.err, pattern);
      assert.match(io.err, /Usage: target-profiles validate <file>\.\.\. \[--format text\|github\] \[--json\]/);
      assert.strictEqual(io.out, '');
    }
    // The same format twice is no conflict.
    const io = fakeIO(dir);
    assert.strictEqual(await main(['validate', '--format', 'github', '--format=github', 'ok.batch'], io), 0);
  });

  it('documents --format in its help', async () => {
    const io = fakeIO(dir);
    assert.strictEqual(await main(['validate', '--help'], io), 0);
    assert.match(io.out, /--format github {2}GitHub Actions workflow commands/);
    const all = fakeIO(dir);
    assert.strictEqual(await main(['--help'], all), 0);
    assert.match(all.out, /validate <file>\.\.\. \[--format text\|github\] \[--json\]\n.*\n.*--format text/);
  });

  it('exits 2 for usage errors and unreadable files', async () => {
    let io = fakeIO(dir);
    assert.strictEqual(await main(['validate'], io), 2);
    io = fakeIO(dir);
    assert.strictEqual(await main(['validate', '--fix', 'ok.batch'], io), 2);
    assert.match(io.err, /unknown option --fix/);
    io = fakeIO(dir);
    assert.strictEqual(await main(['validate', 'missing.batch', 'ok.batch'], io), 2);
    assert.strictEqual(io.err, 'missing.batch: cannot read file: no such file\n');
  });

  it('notes once on stderr when it validates without its worker thread, and validates all the same', () => {
    // The command line on its own, with no dist/batchWorker.js next to it or above it.
    const cli = path.join(dir, 'alone', 'cli.js');
    fs.mkdirSync(path.dirname(cli));
    fs.copyFileSync(path.join(repoRoot, 'dist', 'cli.js'), cli);
    const big = path.join(dir, 'big.batch');
    let text = 'batch=pcId,a\n';
    for (let k = 0; text.length < 3 << 20; k++) text += `id${k},${k}\n`;
    fs.writeFileSync(big, text + 'id7,again\n');
    const run = spawnSync(process.execPath, [cli, 'validate', big, big], { encoding: 'utf8', timeout: 20_000 });
    assert.strictEqual(run.status, 0, run.stderr);
    assert.match(run.stdout, /2 files checked \(\d+ rows\): 0 errors, 2 warnings/);
    const notes = run.stderr.split('\n').filter((line) => line.includes('note:'));
    assert.strictEqual(notes.length, 1, run.stderr);
    assert.match(notes[0], /^target-profiles: note: the batch worker's script \(batchWorker\.js\) is missing/);
  });
});
