import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BatchDocumentModel } from '../../../../src/core/batch/incremental';
import { MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS, UploadPlanner } from '../../../../src/core/batch/limits';
import { validateFile, validateText } from '../../../../src/core/batch/validator';
import { prng } from '../../../support/prng';

const PIECES = [
  'a',
  'b',
  '1',
  ',',
  ',',
  ',',
  '&',
  '%',
  '%4',
  '%41',
  '+',
  '"',
  ' ',
  '\t',
  '\r',
  '\u00e9',
  '\ud83d\ude00',
  'profile.',
  'x',
  'pcId',
  'thirdPartyId',
];
const LINES = [
  'batch=thirdPartyId,age,city',
  'batch=pcId,a,a',
  '',
  '  ',
  'id1,30,Paris',
  'id1,,',
  'id2,1',
  ',x',
  'Batch=pcId,b',
  'a/b,1,2,3',
  '\uFEFFbatch=pcId,x',
];

function randomLine(rand: () => number): string {
  if (rand() < 0.5) return LINES[Math.floor(rand() * LINES.length)];
  let line = '';
  const n = Math.floor(rand() * 8);
  for (let i = 0; i < n; i++) line += PIECES[Math.floor(rand() * PIECES.length)];
  return line;
}

let tempDir: string;
function tempFile(content: string | Buffer): string {
  const file = path.join(tempDir, `f${Math.random().toString(36).slice(2)}.batch`);
  fs.writeFileSync(file, content);
  return file;
}

describe('batch files from disk and incremental models', () => {
  before(() => {
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-batch-'));
  });
  after(() => fs.rmSync(tempDir, { recursive: true, force: true }));

  it('validateFile gives the same result as validateText', async () => {
    const rand = prng(7);
    const texts = ['', '\n', 'batch=pcId,a\n1,x', 'batch=pcId,a\r\n1,x\r\n'];
    for (let i = 0; i < 60; i++) {
      texts.push(Array.from({ length: Math.floor(rand() * 30) }, () => randomLine(rand)).join('\n'));
    }
    for (const text of texts) {
      assert.deepStrictEqual(await validateFile(tempFile(text)), validateText(text), JSON.stringify(text));
    }
  });

  it('validateFile agrees across 1 MiB chunk boundaries, including multi-byte characters', async () => {
    const rows: string[] = ['batch=thirdPartyId,city,note'];
    for (let i = 0; i < 40_000; i++) rows.push(`visitor-${i % 39_000},caf\u00e9 ${i},${i % 7 === 0 ? 'a&b' : 'x%2Cy'}`);
    const text = rows.join('\n') + '\n';
    const progress: number[] = [];
    const fromFile = await validateFile(tempFile(text), { onProgress: (read) => progress.push(read) });
    assert.deepStrictEqual(fromFile, validateText(text));
    assert.ok(progress.length > 1);
    assert.strictEqual(progress[progress.length - 1], Buffer.byteLength(text));
  });

  it('reports invalid UTF-8 (TP033) and carries on', async () => {
    const bytes = Buffer.concat([
      Buffer.from('batch=pcId,a\n1,caf'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('\n2,x&y\n'),
    ]);
    const result = await validateFile(tempFile(bytes));
    const tp033 = result.diagnostics.filter((d) => d.code === 'TP033');
    assert.deepStrictEqual(
      tp033.map((d) => [d.line, d.column, d.endColumn]),
      [[1, 0, 7]],
    );
    assert.ok(result.diagnostics.some((d) => d.code === 'TP020' && d.line === 2));
    assert.strictEqual(result.summary.bytes, bytes.length);
    assert.strictEqual(result.summary.rows, 2);
  });

  it('reports a line over 1 MiB from disk exactly as from text, without decoding it', async () => {
    const text = 'batch=pcId,a\n1,' + '\u00e9'.repeat(700_000) + '\n2,ok\n3,' + 'v'.repeat(3 * 1024 * 1024);
    const fromFile = await validateFile(tempFile(text));
    assert.deepStrictEqual(fromFile, validateText(text));
    assert.deepStrictEqual(
      fromFile.diagnostics.map((d) => [d.code, d.line, d.endColumn]),
      [
        ['TP033', 1, 700_002],
        ['TP033', 3, 3 * 1024 * 1024 + 2],
      ],
    );
  });

  it('cancels with an AbortError', async () => {
    const file = tempFile('batch=pcId,a\n' + '1,x\n'.repeat(1_000_000));
    const controller = new AbortController();
    const running = validateFile(file, { signal: controller.signal, onProgress: () => controller.abort() });
    await assert.rejects(running, (e: Error) => e.name === 'AbortError');
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(validateFile(file, { signal: aborted.signal }), (e: Error) => e.name === 'AbortError');
  });

  it('rejects for a missing file', async () => {
    await assert.rejects(validateFile(path.join(tempDir, 'missing.batch')), /ENOENT/);
  });

  describe('UploadPlanner', () => {
    it('keeps exactly 500,000 rows in one upload and splits the next', () => {
      const planner = new UploadPlanner(20);
      for (let i = 0; i < MAX_UPLOAD_ROWS; i++) assert.strictEqual(planner.addRow(10), false);
      assert.strictEqual(planner.addRow(10), true);
      assert.deepStrictEqual(
        planner.finish().map((u) => u.rows),
        [500_000, 1],
      );
    });
    it('keeps every upload under 50 MB: reaching it exactly starts a new upload', () => {
      const under = new UploadPlanner(100);
      under.addRow(MAX_UPLOAD_BYTES - 101);
      assert.strictEqual(under.finish().length, 1);
      const at = new UploadPlanner(100);
      at.addRow(MAX_UPLOAD_BYTES - 200);
      assert.strictEqual(at.addRow(100), true);
      assert.deepStrictEqual(at.finish(), [
        { firstRow: 0, rows: 1, bytes: MAX_UPLOAD_BYTES - 100 },
        { firstRow: 1, rows: 1, bytes: 200 },
      ]);
    });
    it('works with small limits: every upload repeats the header', () => {
      const planner = new UploadPlanner(10, 50, 3);
      const starts = [10, 10, 10, 10, 25, 30, 5].map((b) => planner.addRow(b));
      assert.deepStrictEqual(starts, [false, false, false, true, false, true, false]);
      assert.deepStrictEqual(planner.finish(), [
        { firstRow: 0, rows: 3, bytes: 40 },
        { firstRow: 3, rows: 2, bytes: 45 },
        { firstRow: 5, rows: 2, bytes: 45 },
      ]);
    });
    it('makes one upload for a file without rows, and one for an oversized row', () => {
      assert.strictEqual(new UploadPlanner(10).finish().length, 1);
      const planner = new UploadPlanner(10, 50);
      planner.addRow(100);
      planner.addRow(1);
      assert.deepStrictEqual(
        planner.finish().map((u) => u.rows),
        [1, 1],
      );
    });
  });

  describe('BatchDocumentModel', () => {
    function check(model: BatchDocumentModel, lines: string[]): void {
      const expected = validateText(lines.join('\n'));
      assert.deepStrictEqual(model.sortedDiagnostics(), expected.diagnostics, JSON.stringify(lines));
      assert.deepStrictEqual(model.summary(), expected.summary);
    }

    it('matches validateText after a full pass', () => {
      const lines = 'batch=pcId,a,b\n1,x\n1,y\n\n2,,\n'.split('\n');
      check(new BatchDocumentModel(lines.length, (i) => lines[i]), lines);
    });

    it('moves the first occurrence of a duplicate id when it is removed', () => {
      const lines = ['batch=pcId,a', '7,x', '7,y', '7,z'];
      const model = new BatchDocumentModel(lines.length, (i) => lines[i]);
      lines.splice(1, 1);
      model.applyChange(1, 1, 0, (i) => lines[i]);
      check(model, lines);
      const tp014 = model.diagnostics().filter((d) => d.code === 'TP014');
      assert.deepStrictEqual(
        tp014.map((d) => [d.line, d.related?.[0].line]),
        [[2, 1]],
      );
    });

    it('matches validateText after thousands of random edits', () => {
      const rand = prng(42);
      for (let round = 0; round < 20; round++) {
        const lines = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => randomLine(rand));
        const model = new BatchDocumentModel(lines.length, (i) => lines[i]);
        for (let step = 0; step < 150; step++) {
          const start = Math.floor(rand() * lines.length);
          const oldEnd = Math.min(lines.length - 1, start + Math.floor(rand() * 3) - (rand() < 0.5 ? 1 : 0));
          const removed = Math.max(0, oldEnd - start + 1);
          const fresh = Array.from({ length: Math.floor(rand() * 3) + (removed === 0 ? 1 : 0) }, () =>
            randomLine(rand),
          );
          if (lines.length - removed + fresh.length === 0) fresh.push('');
          lines.splice(start, removed, ...fresh);
          model.applyChange(start, oldEnd, fresh.length, (i) => lines[i]);
          check(model, lines);
        }
      }
    });

    it('keeps byte and upload counts in step with edits to a large file', () => {
      const lines = ['batch=pcId,a'];
      for (let i = 0; i < 600_000; i++) lines.push(`${i},x`);
      const model = new BatchDocumentModel(lines.length, (i) => lines[i]);
      assert.deepStrictEqual(model.summary(), validateText(lines.join('\n')).summary);
      lines.splice(10, 200_000);
      model.applyChange(10, 200_009, 0, (i) => lines[i]);
      lines[5] = '5,x&y';
      model.applyChange(5, 5, 1, (i) => lines[i]);
      check(model, lines);
    });
  });
});
