import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KERNEL_CHUNK_BYTES, ROWS_OFF, ROW_RECORD_BYTES } from '../../../../src/core/batch/kernel/layout';
import { RowKernel } from '../../../../src/core/batch/rowKernel';
import {
  HEX,
  MAX_ID_LENGTH,
  MAX_ROW_DATA_BYTES,
  newRowFacts,
  scanHeader,
  scanRow,
  type BatchHeader,
  type LineDiagnostic,
} from '../../../../src/core/batch/scan';
import { validateFile, validateText } from '../../../../src/core/batch/validator';
import { prng } from '../../../support/prng';

/**
 * Spaces in the row kernel: it accepts a row with spaces inside its fields (ids and values), which
 * scanRow takes as written, and stops at one with a space at a field's edge (TP027) or inside an
 * escape (TP021). Every row it accepts must be one scanRow finds nothing in, with the same id.
 */

/** Where a test writes a decoded id to hash it with the kernel's hash: far past any row. */
const SCRATCH = KERNEL_CHUNK_BYTES - 4096;

const HEADERS = ['batch=pcId,a,b,c', 'batch=thirdPartyId,a,b', 'batch=pcId,a'];

interface Scanned {
  /** Rows accepted, from the first. */
  count: number;
  /** Where the scan stopped. */
  next: number;
}

/** One kernel scan from `pos` with the limits validateFile gives for `header`. */
function scanFrom(k: RowKernel, header: BatchHeader, pos: number, end: number, line: number): Scanned {
  const budget = MAX_ROW_DATA_BYTES - header.attributeBytes.reduce((a, b) => a + b, 0);
  const next = k.scan(
    pos,
    end,
    header.fieldCount!,
    header.idColumn === 'thirdPartyId',
    MAX_ID_LENGTH[header.idColumn!],
    budget,
    Infinity,
    Infinity,
    line,
  );
  return { count: k.count, next };
}

/** The id facts the kernel prepared for row `ordinal` of the first slot's chunk: its hash and decoded length. */
function recordOf(k: RowKernel, ordinal: number): { hash: bigint; n: number } {
  const view = new DataView(k.chunk.buffer, k.chunk.byteOffset + ROWS_OFF + ordinal * ROW_RECORD_BYTES, 16);
  return { hash: view.getBigUint64(0, true), n: view.getUint32(8, true) };
}

/** The kernel's hash of an ASCII id, as it hashes a decoded id. */
function kernelHashOf(k: RowKernel, id: string): bigint {
  const n = k.chunk.write(id, SCRATCH, 'latin1');
  return k.hashChunk(SCRATCH, n, n * 2);
}

/** scanRow's diagnostics and id for a row (the row's bytes read as latin1, as they are ASCII). */
function reference(line: string, header: BatchHeader): { out: LineDiagnostic[]; id: string | undefined } {
  const out: LineDiagnostic[] = [];
  const facts = newRowFacts();
  scanRow(line, header, out, facts);
  return { out, id: facts.id };
}

/**
 * Checks that the row the kernel accepted at `pos` (row `ordinal` of the chunk, ending at the LF
 * `lf`) is one scanRow finds nothing in, with the same id. Returns the row.
 */
function checkAccepted(k: RowKernel, header: BatchHeader, pos: number, lf: number, ordinal: number): string {
  const line = k.chunk.toString('latin1', pos, lf);
  const { out, id } = reference(line, header);
  assert.deepStrictEqual(
    out.map((d) => d.code),
    [],
    `the kernel accepted ${JSON.stringify(line)}, in which scanRow finds ${out.map((d) => d.code).join(' ')}`,
  );
  assert.ok(id !== undefined, JSON.stringify(line));
  const record = recordOf(k, ordinal);
  assert.strictEqual(record.n, id.length, `decoded id length of ${JSON.stringify(line)}`);
  assert.strictEqual(record.hash, kernelHashOf(k, id), `id hash of ${JSON.stringify(line)} (${JSON.stringify(id)})`);
  return line;
}

const ID_PIECES = ['c', 'r', 'm', '-', '7', '.', '_', '%40', '%41', '%20', '%2C', '%7e', '%25', 'x'.repeat(14)];
const VALUE_PIECES = [...ID_PIECES, '/', '%C3%A9', '%2B', 'y'.repeat(30), 'Z'.repeat(40)];

/**
 * A field of `pieces`, with spaces between pieces (never inside an escape) and, with probability
 * `edges`, at each edge; under the limits of an id and a value's length.
 */
function field(rand: () => number, pieces: string[], edges: number): string {
  const n = 1 + Math.floor(rand() * 4);
  let text = '';
  for (let i = 0; i < n; i++) {
    if (i > 0 && rand() < 0.5) text += rand() < 0.8 ? ' ' : '  ';
    text += pieces[Math.floor(rand() * pieces.length)];
  }
  if (rand() < edges) text = ' ' + text;
  if (rand() < edges) text += ' ';
  return text;
}

/** A row of `columns` fields: spaces inside them, at their edges with probability `edges`. */
function spacedRow(rand: () => number, columns: number, edges: number): string {
  const fields = [field(rand, ID_PIECES, edges)];
  const values = 1 + Math.floor(rand() * (columns - 1));
  for (let i = 0; i < values; i++) fields.push(rand() < 0.15 ? '' : field(rand, VALUE_PIECES, edges));
  if (fields.slice(1).every((f) => f === '')) fields[1] = 'v';
  return fields.join(',');
}

/** The row with one space inserted at `at`. */
function withSpace(row: string, at: number): string {
  return row.slice(0, at) + ' ' + row.slice(at);
}

describe('batch row kernel: spaces inside fields', () => {
  it('accepts a row exactly when scanRow finds nothing in it, whatever its spaces, at every lane and block offset', () => {
    const k = RowKernel.create(HEX)!;
    const rand = prng(2024);
    let accepted = 0;
    let acceptedWithInnerSpace = 0;
    let refused = 0;
    let n = 0;
    const check = (headerLine: string, row: string, at: number) => {
      const header = scanHeader(headerLine, 0, 0);
      // A line of `at` bytes before the row, so that the row's bytes fall at every lane of a block.
      let pos = 0;
      if (at > 0) {
        k.chunk.fill(0x61, 0, at - 1);
        k.chunk[at - 1] = 10;
        pos = at;
      }
      const end = k.chunk.write(row, pos, 'latin1') + pos;
      k.chunk[end] = 10;
      k.classify(end + 1);
      const { count, next } = scanFrom(k, header, pos, end + 1, n++);
      const { out } = reference(row, header);
      if (out.length === 0) {
        assert.strictEqual(count, 1, `not accepted at ${at}: ${JSON.stringify(row)}`);
        assert.strictEqual(next, end + 1);
        checkAccepted(k, header, pos, end, at > 0 ? 1 : 0);
        accepted++;
        if (/[^,] +[^,]/.test(row)) acceptedWithInnerSpace++;
      } else {
        assert.strictEqual(count, 0, `accepted at ${at} despite ${out.map((d) => d.code)}: ${JSON.stringify(row)}`);
        assert.strictEqual(next, pos);
        refused++;
      }
    };
    // Random rows, spaces at their fields' edges now and then, at every offset of a block and the next.
    for (let round = 0; round < 3000; round++) {
      const headerLine = HEADERS[round % HEADERS.length];
      const columns = scanHeader(headerLine, 0, 0).fieldCount!;
      check(headerLine, spacedRow(rand, columns, 0.1), Math.floor(rand() * 140));
    }
    // A space at every position of some rows (edges, next to commas and escapes, inside escapes),
    // each at every lane of a block: the space's byte and its neighbours cross 16- and 64-byte edges.
    const rows = [
      'crm-1,New York,gold',
      'a b%41c,%41 %42,x%2C y',
      'id%20x,50%25 off,z',
      'q,' + 'w'.repeat(61) + 'ab,c',
      'i'.repeat(14) + 'jk,v',
    ];
    for (const [r, row] of rows.entries()) {
      const headerLine = HEADERS[r % 2];
      for (let i = 0; i <= row.length; i++) {
        for (let at = 0; at < 70; at += 1 + (i % 3)) check(headerLine, withSpace(row, i), at);
      }
    }
    assert.ok(accepted > 3000, `only ${accepted} rows accepted`);
    assert.ok(acceptedWithInnerSpace > 2000, `only ${acceptedWithInnerSpace} rows with inner spaces accepted`);
    assert.ok(refused > 1000, `only ${refused} rows refused`);
  });

  it('accepts only rows scanRow finds nothing in, with the same id, in chunks of many rows', async () => {
    const rand = prng(77);
    let accepted = 0;
    let withSpaces = 0;
    for (const headerLine of HEADERS) {
      const k = RowKernel.create(HEX)!;
      const header = scanHeader(headerLine, 0, 0);
      const columns = header.fieldCount!;
      // Ids from a small set, so that some repeat: written with a space, as %20, twice spaced.
      const idPool = ['a b', 'a%20b', 'a  b', 'ab', 'x y%41', 'x%20yA', 'k 1', 'k%201'];
      const ids: [number, string][] = [];
      let line = 1;
      for (let round = 0; round < 40; round++) {
        let text = '';
        while (text.length < 30_000) {
          let row = spacedRow(rand, columns, 0.05);
          if (rand() < 0.3) row = idPool[Math.floor(rand() * idPool.length)] + row.slice(row.indexOf(','));
          if (rand() < 0.03) row += rand() < 0.5 ? '\t' : '&';
          text += row + '\n';
        }
        // Cut anywhere: the last row is often incomplete.
        const end = k.chunk.write(text.slice(0, Math.floor(text.length * (0.6 + rand() * 0.4))), 0, 'latin1');
        k.classify(end);
        let pos = 0;
        let ordinal = 0;
        while (pos < end) {
          const { count, next } = scanFrom(k, header, pos, end, line);
          for (let r = 0; r < count; r++) {
            const lf = k.chunk.indexOf(10, pos);
            const row = checkAccepted(k, header, pos, lf, ordinal);
            ids.push([line + r, reference(row, header).id!]);
            if (row.includes(' ')) withSpaces++;
            accepted++;
            ordinal++;
            pos = lf + 1;
          }
          assert.strictEqual(next, pos);
          line += count;
          // The row it stopped at: the JavaScript path's, its id logged as validateFile logs it.
          const lf = k.chunk.indexOf(10, pos);
          if (lf === -1 || lf >= end) break;
          const { id } = reference(k.chunk.toString('latin1', pos, lf), header);
          if (id !== undefined) {
            k.setKey(id);
            k.addKey(line * 2097152);
            ids.push([line, id]);
          }
          line++;
          ordinal++;
          pos = lf + 1;
        }
      }
      // The kernel's candidates are exactly the duplicates of scanRow's ids.
      const seen = new Map<string, number>();
      const expected: number[][] = [];
      for (const [at, id] of ids) {
        const first = seen.get(id);
        if (first === undefined) seen.set(id, at);
        else expected.push([at, first]);
      }
      const flat = await k.candidates();
      const pairs: number[][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
      pairs.sort((a, b) => a[0] - b[0]);
      assert.deepStrictEqual(pairs, expected);
      assert.ok(expected.length > 100, `only ${expected.length} duplicates`);
    }
    assert.ok(withSpaces > 5000, `only ${withSpaces} rows with spaces accepted (of ${accepted})`);
  });
});

describe('validateFile with spaces inside fields', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-kernel-spaces-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('equals validateText on files full of rows with spaces, small and across chunks', async function () {
    this.timeout(120_000);
    const rand = prng(99);
    const file = path.join(dir, 'spaces.batch');
    for (let round = 0; round < 24; round++) {
      const headerLine = HEADERS[round % HEADERS.length];
      const columns = scanHeader(headerLine, 0, 0).fieldCount!;
      // Every fourth file crosses a chunk boundary or two.
      const size =
        round % 4 === 3 ? KERNEL_CHUNK_BYTES + Math.floor(rand() * KERNEL_CHUNK_BYTES) : 2000 + rand() * 60_000;
      const lines = [headerLine];
      let bytes = 0;
      while (bytes < size) {
        let row = spacedRow(rand, columns, rand() < 0.5 ? 0 : 0.02);
        // Duplicate ids, written with a space, as %20 and (in a pcId) as +.
        if (rand() < 0.05) row = ['d 1', 'd%201', 'd+1', 'd  1'][Math.floor(rand() * 4)] + row.slice(row.indexOf(','));
        if (rand() < 0.01) row = ['', ' ', 'x,', ' ,v', 'e,\t', 'e,50% off'][Math.floor(rand() * 6)];
        lines.push(row);
        bytes += row.length + 1;
      }
      const text = lines.join('\n') + (rand() < 0.5 ? '\n' : '');
      fs.writeFileSync(file, text);
      assert.deepStrictEqual(await validateFile(file), validateText(text), `round ${round}`);
    }
  });
});
