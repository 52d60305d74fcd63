import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { IdIndex, hashStoredKey } from '../../../src/core/batch/idIndex';
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

/** The hash both id tables use, of a narrow id. */
function hashOf(text: string): number {
  const key = Uint16Array.from(text, (ch) => ch.charCodeAt(0));
  return hashStoredKey(key, key.length, false);
}

/** Two different ids of one length with the same 32-bit hash, found by a birthday search. */
function collidingIds(): [string, string] {
  const seen = new Map<number, string>();
  for (let k = 0; ; k++) {
    const id = `c${k.toString(36).padStart(8, '0')}`;
    const h = hashOf(id);
    const other = seen.get(h);
    if (other !== undefined) return [other, id];
    seen.set(h, id);
  }
}

const [COLLIDING_A, COLLIDING_B] = collidingIds();

/** Expected first rows, like the id tables: -1 for a new id, which is then recorded. */
class ExpectedIds {
  readonly map = new Map<string, number>();
  add(id: string, row: number): number {
    const first = this.map.get(id);
    if (first !== undefined) return first;
    this.map.set(id, row);
    return -1;
  }
}

describe('batch row kernel (WebAssembly)', () => {
  const kernel = RowKernel.create(BYTE_CLASS, HEX);

  it('is available in Node', () => {
    assert.ok(kernel);
  });

  it('hashes ids as hashStoredKey does, narrow and wide, every length mod 4', () => {
    const k = kernel!;
    const rand = prng(5);
    for (let round = 0; round < 2000; round++) {
      const n = Math.floor(rand() * 40);
      const wide = rand() < 0.3;
      const key = new Uint16Array(n);
      for (let i = 0; i < n; i++) key[i] = Math.floor(rand() * (wide ? 0x10000 : 0x100));
      const bytes = wide ? Buffer.from(key.buffer, 0, 2 * n) : Buffer.from(key);
      // Bytes past the id that the kernel must not mix in.
      k.chunk.fill(0xa5, 0, 128);
      bytes.copy(k.chunk, 0);
      const packed = 2 * n + (wide ? 1 : 0);
      assert.strictEqual(k.hashChunk(0, bytes.length, packed), hashStoredKey(key, n, wide));
    }
  });

  it('accepts only rows scanPlainRowBytes accepts, with the same LF, id end, ids and duplicates', () => {
    const rand = prng(17);
    let accepted = 0;
    let duplicates = 0;
    for (const headerLine of ['batch=thirdPartyId,a,b,c', 'batch=pcId,a,b,c,d,e', 'batch=mboxPC,a', 'batch=pcId', 'batch=pcId,' + 'n'.repeat(65000)]) {
      // One kernel per header, its ids shared by every round and by the rows the JavaScript path
      // takes, as in a file.
      const k = RowKernel.create(BYTE_CLASS, HEX)!;
      const expected = new ExpectedIds();
      const header = scanHeader(headerLine, 0, 0);
      const columns = header.fieldCount!;
      const maxId = header.idColumn === undefined ? Infinity : MAX_ID_LENGTH[header.idColumn];
      const budget = MAX_ROW_DATA_BYTES - header.attributeBytes.reduce((a, b) => a + b, 0);
      const ids = new IdIndex();
      const facts = newRowFacts();
      let line = 1;
      for (let round = 0; round < 60; round++) {
        let text = '';
        while (text.length < 20_000) text += randomRow(rand) + '\n';
        // Cut anywhere, so that the last row is often incomplete or cut inside an escape.
        const end = Buffer.from(text, 'utf8').copy(k.chunk, 0, 0, Math.floor(text.length * (0.5 + rand() / 2)));
        let pos = 0;
        while (pos < end) {
          // Now and then an upload that is nearly full.
          const rowsLeft = rand() < 0.1 ? Math.floor(rand() * 5) : Infinity;
          const bytesLeft = rand() < 0.1 ? Math.floor(rand() * 500) : Infinity;
          const found: number[][] = [];
          const next = k.scan(pos, end, columns, header.idColumn === 'thirdPartyId', maxId, budget, rowsLeft, bytesLeft, line, (r, idEnd, first) => found.push([r, idEnd, first]));
          const dups: number[][] = [];
          let bytes = 0;
          for (let r = 0; r < k.count; r++) {
            const lf = scanPlainRowBytes(k.chunk, pos, end, header, ids, facts);
            const row = k.chunk.toString('latin1', pos, Math.max(pos, lf));
            assert.notStrictEqual(lf, -1, row);
            const id = String.fromCharCode(...ids.key.subarray(0, ids.keyLength));
            const first = expected.add(id, (line + r) * 2097152 + facts.idEnd);
            if (first !== -1) dups.push([line + r, facts.idEnd, first]);
            bytes += lf + 1 - pos;
            pos = lf + 1;
            accepted++;
          }
          assert.strictEqual(next, pos);
          assert.deepStrictEqual(found, dups);
          assert.strictEqual(k.bytes, bytes);
          assert.ok(k.count <= rowsLeft && (k.count === 0 || bytes < bytesLeft));
          duplicates += dups.length;
          line += k.count;
          // The row the kernel stopped at: the JavaScript path's, when it takes it.
          const lf = scanPlainRowBytes(k.chunk, pos, end, header, k, facts);
          if (lf !== -1) {
            const id = String.fromCharCode(...k.key.subarray(0, k.keyLength));
            assert.strictEqual(k.addKey(line * 2097152 + facts.idEnd), expected.add(id, line * 2097152 + facts.idEnd), id);
            line++;
            pos = lf + 1;
            continue;
          }
          const skip = k.chunk.indexOf(10, pos);
          if (skip === -1 || skip >= end) break;
          pos = skip + 1;
          line++;
        }
      }
      assert.strictEqual(k.size, expected.map.size);
      for (const [id, row] of expected.map) {
        k.setKey(id);
        assert.strictEqual(k.addKey(-1), row, id);
      }
    }
    assert.ok(accepted > 5000, `only ${accepted} rows accepted`);
    assert.ok(duplicates > 50, `only ${duplicates} duplicates`);
  });

  it('classifies every byte and every escape at every lane of a block as scanPlainRowBytes does', () => {
    // The kernel tests 16 bytes at a time (non-printable bytes by a signed compare, hex digits only
    // in blocks with a %): each byte value and escape is tried at each lane of the id's and the
    // values' first two blocks, so that lane edges and escapes carried into the next block are hit.
    const k = RowKernel.create(BYTE_CLASS, HEX)!;
    const ids = new IdIndex();
    const facts = newRowFacts();
    let n = 0;
    let accepted = 0;
    const check = (headerLine: string, row: Buffer, mustAccept: boolean) => {
      const header = scanHeader(headerLine, 0, 0);
      const end = row.copy(k.chunk, 0);
      k.chunk[end] = 10;
      const next = k.scan(0, end + 1, header.fieldCount!, header.idColumn === 'thirdPartyId', MAX_ID_LENGTH[header.idColumn!], 60000, Infinity, Infinity, n++, () => assert.fail('no duplicates'));
      const lf = scanPlainRowBytes(k.chunk, 0, end + 1, header, ids, facts);
      const text = row.toString('latin1');
      if (k.count === 1) {
        accepted++;
        assert.strictEqual(next, end + 1, text);
        assert.strictEqual(lf, end, text);
      } else {
        assert.strictEqual(k.count, 0, text);
        assert.ok(!mustAccept, `not accepted: ${JSON.stringify(text)}`);
      }
    };
    const idOf = () => `u${n.toString(36).padStart(7, '0')}`;
    const plain = (b: number) => b >= 0x21 && b <= 0x7e && !'%&+",'.includes(String.fromCharCode(b));
    for (let lane = 0; lane < 34; lane++) {
      for (let b = 0; b < 256; b++) {
        if (b === 10) continue;
        // In a value, after `lane` bytes of the values' blocks (which start at the id's comma).
        const value = Buffer.concat([Buffer.from(`${idOf()},${'v'.repeat(lane)}`, 'latin1'), Buffer.from([b]), Buffer.from('vv,w', 'latin1')]);
        check('batch=pcId,a,b', value, plain(b));
        // In a thirdPartyId, which also may not hold a /.
        if (lane < 20) {
          const id = Buffer.concat([Buffer.from(`${idOf()}${'i'.repeat(lane)}`, 'latin1'), Buffer.from([b]), Buffer.from('i,1', 'latin1')]);
          check('batch=thirdPartyId,a', id, plain(b) && b !== 0x2f);
        }
      }
      for (const escape of ['%41', '%2C', '%2c', '%C3%A9', '%e9%20', '%fF', '%0a', '%4', '%4g', '%g4', '%:0', '%/0', '%@1', '%`1', '%G1', '%', '%%41']) {
        const valid = /^(%[0-9a-fA-F]{2})+$/.test(escape);
        check('batch=pcId,a', Buffer.from(`${idOf()},${'v'.repeat(lane)}${escape}vv`, 'latin1'), valid);
        check('batch=pcId,a', Buffer.from(`${idOf()},${'v'.repeat(lane)}${escape}`, 'latin1'), valid);
      }
    }
    assert.ok(accepted > 5000, `only ${accepted} rows accepted`);
  });

  it('grows its table and arena, fills its duplicate list, and goes on from where it stopped', () => {
    const k = RowKernel.create(BYTE_CLASS, HEX)!;
    const expected = new ExpectedIds();
    let line = 0;
    let calls = 0;
    // Five chunks of ids, well over one arena segment and far more than the first table holds;
    // then, in each, more duplicates than one scan lists, the two colliding ids among them.
    for (let round = 0; round < 5; round++) {
      let text = '';
      for (let i = 0; text.length < KERNEL_CHUNK_BYTES / 2; i++) text += `${round}.${i}%40${'x'.repeat(i % 90)},1\n`;
      for (let i = 0; text.length < KERNEL_CHUNK_BYTES - 100; i++) text += `${i % 7 === 0 ? COLLIDING_A : i % 7 === 1 ? COLLIDING_B : `${i}@${'x'.repeat(i % 40)}`},2\n`;
      const rows = text.split('\n').slice(0, -1);
      const end = k.chunk.write(text, 0, 'latin1');
      let pos = 0;
      const first = line;
      while (pos < end) {
        const found: number[][] = [];
        pos = k.scan(pos, end, 2, false, 128, 60000, Infinity, Infinity, line, (r, _idEnd, row) => found.push([r, row]));
        assert.ok(k.count > 0);
        const dups: number[][] = [];
        for (let r = line; r < line + k.count; r++) {
          const row = rows[r - first];
          const row0 = expected.add(row.slice(0, row.indexOf(',')).replace('%40', '@'), r * 2097152 + row.indexOf(','));
          if (row0 !== -1) dups.push([r, row0]);
        }
        assert.deepStrictEqual(found, dups);
        line += k.count;
        calls++;
      }
      assert.strictEqual(line - first, rows.length);
    }
    assert.strictEqual(k.size, expected.map.size);
    assert.ok(calls > 15, `${calls} scans`);
  });

  it('moves its ids to an IdIndex when its memory cannot grow, and answers the same', () => {
    // Room for the fixed part, the first table, one arena segment and a few pages: the table
    // grows twice, then cannot.
    const k = RowKernel.create(BYTE_CLASS, HEX, KERNEL_CHUNK_BYTES + (4 << 20) + (512 << 10))!;
    const expected = new ExpectedIds();
    const rand = prng(41);
    let text = '';
    for (let i = 0; text.length < KERNEL_CHUNK_BYTES - 100; i++) text += `${Math.floor(rand() * 30000)}%40x,1\n`;
    const rows = text.split('\n').slice(0, -1);
    const end = k.chunk.write(text, 0, 'latin1');
    let pos = 0;
    let line = 0;
    while (pos < end && k.usable) {
      pos = k.scan(pos, end, 2, false, 128, 60000, Infinity, Infinity, line, () => undefined);
      for (let r = line; r < line + k.count; r++) expected.add(rows[r].slice(0, rows[r].indexOf(',')).replace('%40', '@'), r * 2097152 + rows[r].indexOf(','));
      line += k.count;
    }
    assert.ok(!k.usable && line < rows.length && line > 1000, `${line} rows`);
    for (; line < rows.length; line++) {
      const id = rows[line].slice(0, rows[line].indexOf(',')).replace('%40', '@');
      k.setKey(id);
      assert.strictEqual(k.addKey(line * 2097152 + 9), expected.add(id, line * 2097152 + 9));
    }
    assert.strictEqual(k.size, expected.map.size);
  });
});

describe('id tables', () => {
  it('answer like a Map, narrow and wide ids and colliding hashes included', () => {
    assert.notStrictEqual(COLLIDING_A, COLLIDING_B);
    assert.strictEqual(hashOf(COLLIDING_A), hashOf(COLLIDING_B));
    for (const index of [new IdIndex(), RowKernel.create(BYTE_CLASS, HEX)!]) {
      const rand = prng(23);
      index.expect(3000);
      const expected = new ExpectedIds();
      for (let row = 0; row < 20_000; row++) {
        const r = rand();
        const id = r < 0.1 ? COLLIDING_A : r < 0.2 ? COLLIDING_B : r < 0.25 ? '\u00e9' + Math.floor(rand() * 50) : r < 0.3 ? '\u4e2d' + Math.floor(rand() * 50) : `k${Math.floor(rand() * 8000)}`;
        index.setKey(id);
        assert.strictEqual(index.addKey(row), expected.add(id, row), `${id} on row ${row}`);
      }
      assert.strictEqual(index.size, expected.map.size);
    }
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

  it('equals validateText for ids whose hashes collide and for duplicates across the kernel and the JavaScript paths', async () => {
    const rand = prng(29);
    let text = 'batch=pcId,x,y\n';
    const id = (k: number) => {
      const r = rand();
      if (r < 0.01) return COLLIDING_A;
      if (r < 0.02) return COLLIDING_B;
      if (r < 0.03) return COLLIDING_A.replace('c', '%63');
      if (r < 0.04) return `%E4%B8%AD${k % 10}`;
      // Often an id seen before, whichever path either row takes.
      return r < 0.1 ? `id${Math.floor(rand() * k)}` : `id${k}`;
    };
    for (let k = 0; text.length < 2.5 * KERNEL_CHUNK_BYTES; k++) {
      const r = rand();
      // The kernel's rows; a space inside a value (scanPlainRowBytes's); one at its start (scanRow's).
      text += `${id(k)},${k},${r < 0.9 ? 'v' : r < 0.95 ? 'v w' : ' v'}\n`;
    }
    const file = path.join(dir, 'collide.batch');
    fs.writeFileSync(file, text);
    const fromFile = await validateFile(file);
    assert.deepStrictEqual(fromFile, validateText(text));
    assert.ok(fromFile.diagnostics.filter((d) => d.code === 'TP014').length > 1000);
  });
});
