import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../../src/cli';
import { recordingIO, type RecordingIO } from '../../support/cliIO';

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
});
