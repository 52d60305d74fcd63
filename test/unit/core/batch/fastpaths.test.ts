import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeFormValue } from '../../../../src/core/batch/encoding';
import { IdMap } from '../../../../src/core/batch/idIndex';
import { BatchDocumentModel } from '../../../../src/core/batch/incremental';
import { validateFile, validateText } from '../../../../src/core/batch/validator';
import { prng } from '../../../support/prng';

// Mostly clean pieces, so that both the fast path and its bail-outs are exercised.
const PIECES = [
  'a',
  'b',
  'Z',
  '1',
  '9',
  '-',
  '.',
  '/',
  ' ',
  ',',
  ',',
  ',',
  '%40',
  '%2B',
  '%2b',
  '%2F',
  '%C3%A9',
  '%e9',
  '%4',
  '%zz',
  '&',
  '+',
  '"',
  '\t',
  '\r',
  '\u00e9',
  'v'.repeat(120),
  '%41'.repeat(90),
];

function randomRow(rand: () => number): string {
  let row = '';
  const n = Math.floor(rand() * 12);
  for (let k = 0; k < n; k++) row += PIECES[Math.floor(rand() * PIECES.length)];
  return row;
}

describe('batch fast paths', () => {
  it('decodeFormValue matches decodeURIComponent with its lenient fallback', () => {
    const cases = [
      'a+b',
      '%41%42c',
      '%2B%2b',
      '%e9',
      '%C3%A9+x',
      '%4',
      '%zz%41',
      'a%',
      '\ud800%41',
      '%F0%9F%98%80',
      '%ED%A0%80',
    ];
    const reference = (raw: string) => {
      try {
        return decodeURIComponent(raw.replace(/\+/g, ' '));
      } catch {
        return undefined;
      }
    };
    for (const raw of cases) {
      const expected = reference(raw);
      if (expected !== undefined) assert.strictEqual(decodeFormValue(raw), expected, raw);
    }
    assert.strictEqual(decodeFormValue('%zz%41+'), '%zzA ');
    assert.strictEqual(decodeFormValue('%e9x'), '\ufffdx');
  });

  it('IdMap answers with first rows, for narrow and wide ids, set as text or as units', () => {
    const rand = prng(11);
    const index = new IdMap();
    const map = new Map<string, number>();
    for (let row = 0; row < 50_000; row++) {
      const id =
        (rand() < 0.1 ? '\u00e9\u4e2d' : '') +
        'x'.repeat(Math.floor(rand() * 3)) +
        Math.floor(rand() * 30_000).toString(36);
      index.setKey(id);
      const first = index.addKey(row);
      const expected = map.get(id);
      assert.strictEqual(first, expected ?? -1, id);
      if (expected === undefined) map.set(id, row);
    }
    assert.strictEqual(index.size, map.size);
    // Keys that differ only past the first unit, or only in width, stay apart.
    index.setKey('\u0100');
    assert.strictEqual(index.addKey(1), -1);
    index.setKey('\u0000\u0001');
    assert.strictEqual(index.addKey(2), -1);
  });

  it('validateFile equals validateText across chunk boundaries, duplicates and odd lines', async () => {
    const rand = prng(3);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-fast-'));
    try {
      for (const headerLine of ['batch=thirdPartyId,a,b,c', 'batch=pcId,a,b']) {
        let text = headerLine + '\n';
        // About 3 MB, so lines straddle the 1 MiB chunks; ~1% of ids repeat, ~2% of rows are odd.
        for (let k = 0; text.length < 3_000_000; k++) {
          const r = rand();
          if (r < 0.02) text += randomRow(rand) + '\n';
          else if (r < 0.03) text += `dup${Math.floor(rand() * 50)},1,x\n`;
          else text += `cust-${k}%40mail.example.com,${k},S%C3%A3o%20Paulo,${'z'.repeat(Math.floor(rand() * 40))}\n`;
        }
        text += '\u00e9tr\u00e9,1\nlast,1';
        const file = path.join(dir, 'f.batch');
        fs.writeFileSync(file, text);
        assert.deepStrictEqual(await validateFile(file), validateText(text));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('BatchDocumentModel lists the same diagnostics after edits that add and remove lines', () => {
    const rand = prng(5);
    const lines = ['batch=pcId,a,b'];
    for (let k = 0; k < 300; k++) lines.push(rand() < 0.2 ? randomRow(rand) : `id${Math.floor(rand() * 100)},${k},x`);
    const model = new BatchDocumentModel(lines.length, (i) => lines[i]);
    for (let step = 0; step < 600; step++) {
      const start = 1 + Math.floor(rand() * (lines.length - 1));
      const removed = Math.min(Math.floor(rand() * 3), lines.length - start);
      const fresh = Array.from({ length: Math.floor(rand() * 3) }, () =>
        rand() < 0.3 ? randomRow(rand) : `id${Math.floor(rand() * 100)},1`,
      );
      lines.splice(start, removed, ...fresh);
      model.applyChange(start, start + removed - 1, fresh.length, (i) => lines[i]);
      if (step % 7 === 0 || step > 590) {
        assert.deepStrictEqual(model.sortedDiagnostics(), validateText(lines.join('\n')).diagnostics, `step ${step}`);
      }
    }
    assert.deepStrictEqual(model.summary(), validateText(lines.join('\n')).summary);
  });
});
