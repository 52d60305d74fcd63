import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MAX_UPLOAD_ROWS } from '../../../../src/core/batch/limits';
import { TargetError } from '../../../../src/core/target/errors';
import { UploadPlan, planUploads, readUploadPart } from '../../../../src/core/target/split';
import { rejection } from '../../../support/fakeClock';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-split-'));
let counter = 0;

function file(content: string | Buffer): string {
  const p = path.join(dir, `f${counter++}.batch`);
  fs.writeFileSync(p, content);
  return p;
}

async function uploads(plan: UploadPlan): Promise<string[]> {
  const out: string[] = [];
  for (const part of plan.parts) {
    const chunks: Buffer[] = [];
    for await (const c of readUploadPart(plan, part)) chunks.push(Buffer.from(c));
    const text = Buffer.concat(chunks).toString('utf8');
    assert.strictEqual(Buffer.byteLength(text), part.bytes, 'bytes planned = bytes sent');
    out.push(text);
  }
  return out;
}

describe('target client: splitting a batch file', () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps a small file as one upload, byte for byte', async () => {
    const content =
      'batch=pcId,param1,param2,param3,param4\n123,value1\n124,value1,,,value4\n125,,value2\n126,value1,value2,value3,value4\n';
    const plan = await planUploads(file(content));
    assert.strictEqual(plan.parts.length, 1);
    assert.strictEqual(plan.parts[0].rows, 4);
    assert.deepStrictEqual(await uploads(plan), [content]);
  });

  it('cuts at line boundaries by rows, repeating the header, and does not count blank lines', async () => {
    const plan = await planUploads(file('batch=pcId,a\r\n1,x\r\n\r\n2,y\n\n3,z\n4,w'), { maxRows: 2 });
    assert.deepStrictEqual(
      plan.parts.map((p) => p.rows),
      [2, 2],
    );
    assert.deepStrictEqual(await uploads(plan), ['batch=pcId,a\r\n1,x\r\n\r\n2,y\n', 'batch=pcId,a\r\n3,z\n4,w']);
  });

  it('cuts just before an upload would reach the byte limit', async () => {
    // header 13 bytes, rows 4 bytes: 13 + 4k < 30 holds for k <= 4.
    const content = 'batch=pcId,a\n' + ['1,a\n', '2,b\n', '3,c\n', '4,d\n', '5,e\n', '6,f\n'].join('');
    const plan = await planUploads(file(content), { maxBytes: 30 });
    assert.deepStrictEqual(
      plan.parts.map((p) => [p.rows, p.bytes]),
      [
        [4, 29],
        [2, 21],
      ],
    );
    const exact = await planUploads(file(content), { maxBytes: 29 });
    assert.deepStrictEqual(
      exact.parts.map((p) => p.rows),
      [3, 3],
      'an upload of exactly maxBytes is too large (limit is "< 50 MB")',
    );
    assert.ok(exact.parts.every((p) => p.bytes < 29));
  });

  it('handles a header without rows, a file without final newline, and refuses an empty file', async () => {
    const only = await planUploads(file('batch=pcId,a'));
    assert.deepStrictEqual(await uploads(only), ['batch=pcId,a']);
    assert.strictEqual(only.parts[0].rows, 0);
    const error = await rejection(planUploads(file('')));
    assert.ok(error instanceof TargetError && error.kind === 'usage');
  });

  it('finds lines across 1 MiB chunk boundaries', async () => {
    const longValue = 'v'.repeat(1024 * 1024 - 5);
    const content = `batch=pcId,a\n1,${longValue}\r\n\r\n2,x\n`;
    const plan = await planUploads(file(content), { maxRows: 1 });
    assert.deepStrictEqual(
      plan.parts.map((p) => p.rows),
      [1, 1],
    );
    const sent = await uploads(plan);
    assert.strictEqual(sent[1], 'batch=pcId,a\n2,x\n');
  });

  it('splits exactly at 500,000 rows (500,000 in one upload, 500,001 in two)', async function () {
    this.timeout(60_000);
    const rows = (n: number) => {
      const lines = ['batch=pcId,a'];
      for (let i = 0; i < n; i++) lines.push(`${i},v`);
      return lines.join('\n') + '\n';
    };
    const full = await planUploads(file(rows(MAX_UPLOAD_ROWS)));
    assert.deepStrictEqual(
      full.parts.map((p) => p.rows),
      [500_000],
    );
    const over = await planUploads(file(rows(MAX_UPLOAD_ROWS + 1)));
    assert.deepStrictEqual(
      over.parts.map((p) => p.rows),
      [500_000, 1],
    );
    const sent = await uploads(over);
    assert.strictEqual(sent[1], 'batch=pcId,a\n500000,v\n');
  });

  it('stops planning when cancelled', async () => {
    const error = await rejection(planUploads(file('batch=pcId,a\n1,x\n'), { signal: AbortSignal.abort() }));
    assert.ok(error instanceof TargetError && error.kind === 'cancelled');
  });
});
