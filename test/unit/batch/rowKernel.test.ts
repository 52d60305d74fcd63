import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HASH_PRIME, HASH_SEED, IdIndex } from '../../../src/core/batch/idIndex';
import { KERNEL_CHUNK_BYTES, RowKernel } from '../../../src/core/batch/rowKernel';
import { BYTE_CLASS, HEX, MAX_ID_LENGTH, MAX_ROW_DATA_BYTES, newRowFacts, scanHeader, scanPlainRowBytes } from '../../../src/core/batch/scan';
import { validateFile, validateText } from '../../../src/core/batch/validator';
import { prng } from '../../support/prng';

// Mostly clean pieces, with every kind of byte the kernel must leave to the JavaScript scanners.
const PIECES = [
  'a', 'b', 'Z', '1', '9', '-', '.', '/', ' ', ',', ',', ',', '%40', '%2B', '%2b', '%2F', '%C3%A9', '%e9', '%4', '%zz', '%',
  '&', '+', '"', '\t', '\r', '\u0001', '\u007f', '\u00e9', 'v'.repeat(120), '%41'.repeat(90), 'w'.repeat(300),
];

function randomRow(rand: () => number): string {
  if (rand() < 0.4) return `id${Math.floor(rand() * 1e6)}%40x.example,${Math.floor(rand() * 100)},S%C3%A3o%20Paulo`;
  let row = '';
  const n = Math.floor(rand() * 12);
  for (let k = 0; k < n; k++) row += PIECES[Math.floor(rand() * PIECES.length)];
  return row;
}

function fnv(text: string): number {
  let h = HASH_SEED;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), HASH_PRIME);
  return h;
}

/** Two different ids of one length with the same 32-bit hash, found by a birthday search. */
function collidingIds(): [string, string] {
  const seen = new Map<number, string>();
  for (let k = 0; ; k++) {
    const id = `c${k.toString(36).padStart(8, '0')}`;
    const h = fnv(id);
    const other = seen.get(h);
    if (other !== undefined) return [other, id];
    seen.set(h, id);
  }
}

describe('batch row kernel (WebAssembly)', () => {
  const kernel = RowKernel.create(BYTE_CLASS, HEX);

  it('is available in Node', () => {
    assert.ok(kernel);
  });

  it('accepts only rows scanPlainRowBytes accepts, with the same LF, id end, key and hash', () => {
    const k = kernel!;
    const rand = prng(17);
    let accepted = 0;
    for (const headerLine of ['batch=thirdPartyId,a,b,c', 'batch=pcId,a,b,c,d,e', 'batch=mboxPC,a', 'batch=pcId', 'batch=pcId,' + 'n'.repeat(65000)]) {
      const header = scanHeader(headerLine, 0, 0);
      const columns = header.fieldCount!;
      const maxId = header.idColumn === undefined ? Infinity : MAX_ID_LENGTH[header.idColumn];
      const budget = MAX_ROW_DATA_BYTES - header.attributeBytes.reduce((a, b) => a + b, 0);
      for (let round = 0; round < 60; round++) {
        let text = '';
        while (text.length < 20_000) text += randomRow(rand) + '\n';
        // Cut anywhere, so that the last row is often incomplete or cut inside an escape.
        const end = Buffer.from(text, 'utf8').copy(k.chunk, 0, 0, Math.floor(text.length * (0.5 + rand() / 2)));
        const ids = new IdIndex();
        const facts = newRowFacts();
        let pos = 0;
        while (pos < end) {
          const next = k.scan(pos, end, columns, header.idColumn === 'thirdPartyId', maxId, budget);
          let key = 0;
          for (let r = 0; r < k.count; r++) {
            const lf = scanPlainRowBytes(k.chunk, pos, end, header, ids, facts);
            const row = k.chunk.toString('latin1', pos, Math.max(pos, lf));
            assert.strictEqual(k.records[4 * r], lf, row);
            assert.strictEqual(k.records[4 * r + 1], facts.idEnd, row);
            const n = k.records[4 * r + 3];
            const expectedKey = String.fromCharCode(...ids.key.subarray(0, ids.keyLength));
            assert.strictEqual(Buffer.from(k.keys.subarray(key, key + n)).toString('latin1'), expectedKey, row);
            assert.strictEqual(k.records[4 * r + 2], fnv(expectedKey), row);
            key += n;
            pos = lf + 1;
            accepted++;
          }
          assert.strictEqual(next, pos);
          // The row the kernel stopped at: skip it whatever it is.
          const lf = k.chunk.indexOf(10, pos);
          if (lf === -1 || lf >= end) break;
          pos = lf + 1;
        }
      }
    }
    assert.ok(accepted > 5000, `only ${accepted} rows accepted`);
  });

  it('stops when its record or key area is full, and goes on from there', () => {
    const k = kernel!;
    const header = scanHeader('batch=pcId,a', 0, 0);
    let text = '';
    for (let i = 0; text.length < KERNEL_CHUNK_BYTES - 100; i++) text += `${i},1\n`;
    const end = k.chunk.write(text, 0, 'latin1');
    let pos = 0;
    let rows = 0;
    let calls = 0;
    while (pos < end) {
      pos = k.scan(pos, end, 2, false, 128, 60000);
      assert.ok(k.count > 0);
      rows += k.count;
      calls++;
    }
    assert.strictEqual(header.fieldCount, 2);
    assert.strictEqual(rows, text.split('\n').length - 1);
    assert.ok(calls > 1);
  });
});

describe('IdIndex with keys stored in place', () => {
  it('answers like a Map when stored keys and copied keys mix, colliding hashes included', () => {
    const rand = prng(23);
    const [a, b] = collidingIds();
    assert.notStrictEqual(a, b);
    assert.strictEqual(fnv(a), fnv(b));
    const index = new IdIndex();
    index.expect(3000);
    const map = new Map<string, number>();
    for (let row = 0; row < 20_000; row++) {
      const r = rand();
      const id = r < 0.1 ? a : r < 0.2 ? b : r < 0.25 ? '\u00e9' + Math.floor(rand() * 50) : `k${Math.floor(rand() * 8000)}`;
      let first: number;
      if (rand() < 0.5 && Array.from(id).every((ch) => ch.charCodeAt(0) < 256)) {
        const bytes = Buffer.from(id, 'latin1');
        const at = index.storeNarrowKeys(bytes, bytes.length);
        first = index.addStoredKey(at, bytes.length, fnv(id), row);
      } else {
        index.setKey(id);
        first = index.addKey(row);
      }
      const expected = map.get(id);
      assert.strictEqual(first, expected ?? -1, `${id} on row ${row}`);
      if (expected === undefined) map.set(id, row);
    }
    assert.strictEqual(index.size, map.size);
  });
});

describe('validateFile with the kernel at chunk boundaries', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-kernel-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Rows placed so that the odd one crosses the end of the first chunk at every offset near it.
  const ODD_ROWS = [
    'cust%40a,1,caf\u00e9,x',
    'cust%40b,1,x\r',
    'cust%40c,1,a&b',
    'cust%40d,1,50%4',
    'cust%40e,1,50%',
    'cust%40f, 1,x',
    'cust%40g,1,x ',
    'cust%40h,1,\u4e2d\u6587',
    'cust%40i,1,\ud83d\ude00',
    'cust%40j,1,2,3,4,5,6',
    'cust%40k,,,',
    '',
    'cust%40a,2',
  ];

  it('equals validateText whatever byte of an odd row the chunk ends at', async function () {
    this.timeout(120_000);
    const file = path.join(dir, 'edge.batch');
    // Clean rows up to a little before the boundary, built once per header (ASCII: bytes = length).
    const prefixes = ['batch=thirdPartyId,a,b,c', 'batch=pcId,a,b,c'].map((headerLine) => {
      const rows = [headerLine];
      let bytes = headerLine.length + 1;
      for (let k = 0; bytes < KERNEL_CHUNK_BYTES - 200; k++) {
        const row = `cust-${k}%40mail.example.com,${k},S%C3%A3o%20Paulo`;
        rows.push(row);
        bytes += row.length + 1;
      }
      return { text: rows.join('\n') + '\n', bytes };
    });
    for (const [i, odd] of ODD_ROWS.entries()) {
      const prefix = prefixes[i % 2];
      const oddBytes = Buffer.byteLength(odd, 'utf8') + 1;
      for (let shift = -oddBytes - 1; shift <= 2; shift++) {
        // A filler row that puts the odd row's first byte at KERNEL_CHUNK_BYTES + shift.
        const filler = KERNEL_CHUNK_BYTES + shift - prefix.bytes - 'dupe,'.length - 1;
        const head = `${prefix.text}dupe,${'f'.repeat(filler)}\n`;
        assert.strictEqual(Buffer.byteLength(head), KERNEL_CHUNK_BYTES + shift);
        const text = `${head}${odd}\ncust-1%40mail.example.com,1\ndupe,2\nlast,1`;
        fs.writeFileSync(file, text);
        assert.deepStrictEqual(await validateFile(file), validateText(text), `${JSON.stringify(odd)} at ${shift}`);
      }
    }
  });

  it('equals validateText for ids whose hashes collide, across chunks', async () => {
    const [a, b] = collidingIds();
    const rand = prng(29);
    let text = 'batch=pcId,x,y\n';
    for (let k = 0; text.length < 2.5 * KERNEL_CHUNK_BYTES; k++) {
      const r = rand();
      text += `${r < 0.01 ? a : r < 0.02 ? b : r < 0.03 ? a.replace('c', '%63') : `id${k}`},${k},v\n`;
    }
    const file = path.join(dir, 'collide.batch');
    fs.writeFileSync(file, text);
    const fromFile = await validateFile(file);
    assert.deepStrictEqual(fromFile, validateText(text));
    assert.ok(fromFile.diagnostics.some((d) => d.code === 'TP014'));
  });
});
