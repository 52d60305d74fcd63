import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { IdMap } from '../../../../src/core/batch/idIndex';
import { onKernelFallback, type KernelFallback } from '../../../../src/core/batch/kernelFallback';
import {
  KERNEL_CHUNK_BYTES,
  KERNEL_FIXED_BYTES,
  RowKernel,
  type RowKernelOptions,
} from '../../../../src/core/batch/rowKernel';
import {
  HEX,
  MAX_ID_LENGTH,
  MAX_ROW_DATA_BYTES,
  idOfLine,
  newRowFacts,
  scanHeader,
  scanRow,
  type BatchHeader,
  type LineDiagnostic,
} from '../../../../src/core/batch/scan';
import { validateFile, validateText } from '../../../../src/core/batch/validator';
import { prng } from '../../../support/prng';
import { repoRoot } from '../../../support/repoRoot';

// Mostly clean pieces, with every kind of byte the kernel must leave to the JavaScript scanners.
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
  '%',
  '&',
  '+',
  '"',
  '\t',
  '\r',
  '\u0001',
  '\u007f',
  '\u00e9',
  'v'.repeat(120),
  '%41'.repeat(90),
  'w'.repeat(300),
];

function randomRow(rand: () => number): string {
  if (rand() < 0.4) return `id${Math.floor(rand() * 1e6)}%40x.example,${Math.floor(rand() * 100)},S%C3%A3o%20Paulo`;
  let row = '';
  const n = Math.floor(rand() * 12);
  for (let k = 0; k < n; k++) row += PIECES[Math.floor(rand() * PIECES.length)];
  return row;
}

/**
 * What the reference scanner says of the line at `pos` of `chunk` (up to its LF, before `end`): where
 * its LF is, whether scanRow finds nothing in it (the only rows the kernel may accept), and its id as
 * the validation records it; undefined for a line without its LF.
 */
function reference(chunk: Buffer, pos: number, end: number, header: BatchHeader) {
  const lf = chunk.indexOf(10, pos);
  if (lf === -1 || lf >= end) return undefined;
  const bytes = chunk.subarray(pos, lf);
  const out: LineDiagnostic[] = [];
  const facts = newRowFacts();
  scanRow(bytes.toString('utf8'), header, out, facts, bytes.length);
  return { lf, clean: out.length === 0 && facts.hasValues && !facts.blank, id: facts.id, idEnd: facts.idEnd };
}

/** Two different ids of one length: the kernel's hashes of them collide when masked (hashMask). */
const [COLLIDING_A, COLLIDING_B] = ['c00000001', 'c00000002'];

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

/** The exact duplicates among `rows` ([line, id]): [line, first line] pairs, in line order. */
function duplicatesOf(rows: [number, string][]): number[][] {
  const expected = new ExpectedIds();
  const pairs: number[][] = [];
  for (const [line, id] of [...rows].sort((a, b) => a[0] - b[0])) {
    const first = expected.add(id, line);
    if (first !== -1) pairs.push([line, first]);
  }
  return pairs;
}

/** The kernel's candidates as [line, first line] pairs, in line order. */
async function candidatePairs(k: RowKernel): Promise<number[][]> {
  const flat = await k.candidates();
  const pairs: number[][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  return pairs.sort((a, b) => a[0] - b[0]);
}

/**
 * validateFile(file) with a kernel made with `options`, `times` times: acquired with them and let
 * go, it is the kernel validateFile's RowKernel.acquire(HEX) takes, and lets go again for the next
 * time (see acquire); then it is let go for good, so that later validations get a kernel of their own.
 */
async function validateWithKernel(file: string, options: RowKernelOptions, times = 1) {
  RowKernel.acquire(HEX, options)!.release();
  try {
    const results = [];
    for (let i = 0; i < times; i++) results.push(await validateFile(file));
    return results;
  } finally {
    RowKernel.acquire(HEX, options)?.discard();
  }
}

describe('batch row kernel (WebAssembly)', () => {
  it('is available in Node', () => {
    assert.ok(RowKernel.create(HEX));
  });

  it('hashes only the id: bytes past it do not change the hash, the length does', () => {
    const k = RowKernel.create(HEX)!;
    const rand = prng(5);
    for (let round = 0; round < 2000; round++) {
      const n = 1 + Math.floor(rand() * 60);
      const id = Buffer.from(Array.from({ length: n }, () => 33 + Math.floor(rand() * 90)));
      k.chunk.fill(0xa5, 0, 128);
      id.copy(k.chunk, 0);
      const h = k.hashChunk(0, n, 2 * n);
      k.chunk.fill(0x5a, n, 128);
      assert.strictEqual(k.hashChunk(0, n, 2 * n), h);
      assert.notStrictEqual(k.hashChunk(0, n, 2 * n + 1), h);
      assert.notStrictEqual(h, 0n);
    }
  });

  it('accepts only rows the reference scanner finds nothing in, with the same LF and id, and lists exactly the duplicates', async () => {
    const rand = prng(17);
    let accepted = 0;
    let duplicates = 0;
    for (const headerLine of [
      'batch=thirdPartyId,a,b,c',
      'batch=pcId,a,b,c,d,e',
      'batch=mboxPC,a',
      'batch=pcId',
      'batch=pcId,' + 'n'.repeat(65000),
    ]) {
      // One kernel per header, its ids shared by every round and by the rows the JavaScript path
      // takes, as in a file.
      const k = RowKernel.create(HEX)!;
      const rows: [number, string][] = [];
      const header = scanHeader(headerLine, 0, 0);
      const columns = header.fieldCount!;
      const maxId = header.idColumn === undefined ? Infinity : MAX_ID_LENGTH[header.idColumn];
      const budget = MAX_ROW_DATA_BYTES - header.attributeBytes.reduce((a, b) => a + b, 0);
      let line = 1;
      for (let round = 0; round < 60; round++) {
        let text = '';
        while (text.length < 20_000) text += randomRow(rand) + '\n';
        // Cut anywhere, so that the last row is often incomplete or cut inside an escape.
        const end = Buffer.from(text, 'utf8').copy(k.chunk, 0, 0, Math.floor(text.length * (0.5 + rand() / 2)));
        k.classify(end);
        let pos = 0;
        while (pos < end) {
          // Now and then an upload that is nearly full.
          const rowsLeft = rand() < 0.1 ? Math.floor(rand() * 5) : Infinity;
          const bytesLeft = rand() < 0.1 ? Math.floor(rand() * 500) : Infinity;
          const next = k.scan(
            pos,
            end,
            columns,
            header.idColumn === 'thirdPartyId',
            maxId,
            budget,
            rowsLeft,
            bytesLeft,
            line,
          );
          let bytes = 0;
          for (let r = 0; r < k.count; r++) {
            const verdict = reference(k.chunk, pos, end, header);
            const row = k.chunk.toString('latin1', pos, verdict?.lf ?? end);
            assert.ok(verdict?.clean, `the kernel accepted a row scanRow reports: ${JSON.stringify(row)}`);
            rows.push([line + r, verdict.id!]);
            bytes += verdict.lf + 1 - pos;
            pos = verdict.lf + 1;
            accepted++;
          }
          assert.strictEqual(next, pos);
          assert.strictEqual(k.bytes, bytes);
          assert.ok(k.count <= rowsLeft && (k.count === 0 || bytes < bytesLeft));
          line += k.count;
          // The row the kernel stopped at: scanRow's, which logs its id as the validation does.
          const verdict = reference(k.chunk, pos, end, header);
          if (verdict === undefined) break;
          if (verdict.id !== undefined) {
            rows.push([line, verdict.id]);
            k.setKey(verdict.id);
            assert.strictEqual(k.addKey(line * 2097152 + verdict.idEnd), -1);
          }
          line++;
          pos = verdict.lf + 1;
        }
      }
      // With 64-bit hashes, the candidates are the duplicates: no two of these ids hash alike.
      const expected = duplicatesOf(rows);
      assert.deepStrictEqual(await candidatePairs(k), expected);
      duplicates += expected.length;
    }
    assert.ok(accepted > 5000, `only ${accepted} rows accepted`);
    assert.ok(duplicates > 50, `only ${duplicates} duplicates`);
  });

  it('classifies every byte and every escape at every lane of a block as the reference scanner does', () => {
    // The kernel classifies 64 bytes at a time, sixteen per table lookup, and carries a % into
    // the next block: each byte value and escape is tried at each lane of the id's and the
    // values' first blocks, so that lane and block edges and escapes carried over are hit.
    const k = RowKernel.create(HEX)!;
    let n = 0;
    let accepted = 0;
    const check = (headerLine: string, row: Buffer, mustAccept: boolean, at = 0) => {
      const header = scanHeader(headerLine, 0, 0);
      k.chunk.fill(0x61, 0, at);
      const end = row.copy(k.chunk, at) + at;
      k.chunk[end] = 10;
      k.classify(end + 1);
      const next = k.scan(
        at,
        end + 1,
        header.fieldCount!,
        header.idColumn === 'thirdPartyId',
        MAX_ID_LENGTH[header.idColumn!],
        60000,
        Infinity,
        Infinity,
        n++,
      );
      const verdict = reference(k.chunk, at, end + 1, header);
      const text = row.toString('latin1');
      if (k.count === 1) {
        accepted++;
        assert.strictEqual(next, end + 1, text);
        assert.ok(verdict?.clean && verdict.lf === end, text);
      } else {
        assert.strictEqual(k.count, 0, text);
        assert.ok(!mustAccept, `not accepted: ${JSON.stringify(text)}`);
      }
    };
    const idOf = () => `u${n.toString(36).padStart(7, '0')}`;
    const plain = (b: number) => b >= 0x21 && b <= 0x7e && !'%&+",'.includes(String.fromCharCode(b));
    for (let lane = 0; lane < 70; lane++) {
      for (let b = 0; b < 256; b++) {
        if (b === 10) continue;
        // In a value, after `lane` bytes of the values' blocks (which start at the id's comma).
        const value = Buffer.concat([
          Buffer.from(`${idOf()},${'v'.repeat(lane)}`, 'latin1'),
          Buffer.from([b]),
          Buffer.from('vv,w', 'latin1'),
        ]);
        check('batch=pcId,a,b', value, plain(b), lane % 3);
        // In a thirdPartyId, which also may not hold a /.
        if (lane < 20) {
          const id = Buffer.concat([
            Buffer.from(`${idOf()}${'i'.repeat(lane)}`, 'latin1'),
            Buffer.from([b]),
            Buffer.from('i,1', 'latin1'),
          ]);
          check('batch=thirdPartyId,a', id, plain(b) && b !== 0x2f);
        }
      }
      for (const escape of [
        '%41',
        '%2C',
        '%2c',
        '%C3%A9',
        '%e9%20',
        '%fF',
        '%0a',
        '%4',
        '%4g',
        '%g4',
        '%:0',
        '%/0',
        '%@1',
        '%`1',
        '%G1',
        '%',
        '%%41',
      ]) {
        const valid = /^(%[0-9a-fA-F]{2})+$/.test(escape);
        check('batch=pcId,a', Buffer.from(`${idOf()},${'v'.repeat(lane)}${escape}vv`, 'latin1'), valid);
        check('batch=pcId,a', Buffer.from(`${idOf()},${'v'.repeat(lane)}${escape}`, 'latin1'), valid);
        // In an id: escapes of ASCII decode there, + and / are a thirdPartyId's TP012.
        const ascii = valid && !/%[89a-fA-F]/.test(escape);
        check('batch=pcId,a', Buffer.from(`${'i'.repeat(lane % 40)}${escape}i,1`, 'latin1'), ascii);
        check(
          'batch=thirdPartyId,a',
          Buffer.from(`${'i'.repeat(lane % 40)}${escape}i,1`, 'latin1'),
          ascii && !/%2[bBfF]/.test(escape),
        );
      }
    }
    assert.ok(accepted > 5000, `only ${accepted} rows accepted`);
  });

  it('grows its id log by segments, goes on from where it stopped, and finds duplicates whatever their hashes', async () => {
    for (const mask of [-1n, 0xffn, 0x3n]) {
      // Small segments: each partition fills several times in a chunk.
      const k = RowKernel.create(HEX, { hashMask: mask, segmentBytes: 4096 })!;
      const rows: [number, string][] = [];
      let line = 0;
      let calls = 0;
      // Five chunks of ids, well over one segment a partition; in each, often an id seen before.
      for (let round = 0; round < 5; round++) {
        let text = '';
        for (let i = 0; text.length < KERNEL_CHUNK_BYTES - 100; i++) {
          text += `${i % 7 === 0 ? `again${i % 50}` : `${round}.${i}%40${'x'.repeat(i % 90)}`},1\n`;
        }
        const lines = text.split('\n').slice(0, -1);
        const end = k.chunk.write(text, 0, 'latin1');
        k.classify(end);
        let pos = 0;
        const first = line;
        while (pos < end) {
          pos = k.scan(pos, end, 2, false, 128, 60000, Infinity, Infinity, line);
          assert.ok(k.count > 0);
          line += k.count;
          calls++;
        }
        assert.strictEqual(line - first, lines.length);
        lines.forEach((row, i) => rows.push([first + i, row.slice(0, row.indexOf(',')).replace('%40', '@')]));
      }
      assert.ok(calls > 50, `${calls} scans`);
      const pairs = await candidatePairs(k);
      const expected = duplicatesOf(rows);
      if (mask === -1n) {
        assert.deepStrictEqual(pairs, expected);
      } else {
        // Hashes that collide make candidates of rows that are not duplicates, never the reverse:
        // every duplicate is listed with a first line whose hash is the same (same group).
        const listed = new Set(pairs.map(([l]) => l));
        for (const [l] of expected) assert.ok(listed.has(l), `line ${l} not a candidate`);
        assert.ok(pairs.length > expected.length);
      }
    }
  });

  it('logs ids outside its memory once the memory cannot grow, and finds the same duplicates', async () => {
    // Room for the fixed part and a few segments: the log fills, then cannot grow.
    const k = RowKernel.create(HEX, { maxBytes: KERNEL_FIXED_BYTES + (320 << 10), segmentBytes: 8192 })!;
    const rand = prng(41);
    let text = '';
    for (let i = 0; text.length < KERNEL_CHUNK_BYTES - 100; i++) text += `${Math.floor(rand() * 30000)}%40x,1\n`;
    const lines = text.split('\n').slice(0, -1);
    const end = k.chunk.write(text, 0, 'latin1');
    k.classify(end);
    const rows: [number, string][] = [];
    let pos = 0;
    let line = 0;
    while (pos < end && k.usable) {
      pos = k.scan(pos, end, 2, false, 128, 60000, Infinity, Infinity, line);
      line += k.count;
    }
    assert.ok(!k.usable && line < lines.length && line > 1000, `${line} rows`);
    for (let r = 0; r < lines.length; r++) rows.push([r, lines[r].slice(0, lines[r].indexOf(',')).replace('%40', '@')]);
    for (; line < lines.length; line++) {
      k.setKey(rows[line][1]);
      k.addKey(line * 2097152 + 9);
    }
    assert.deepStrictEqual(await candidatePairs(k), duplicatesOf(rows));
  });

  it('is kept for the next validation, emptied', async () => {
    const k = RowKernel.acquire(HEX)!;
    k.setKey('same');
    k.addKey(1 * 2097152);
    k.release();
    const again = RowKernel.acquire(HEX)!;
    assert.strictEqual(again, k);
    again.setKey('same');
    again.addKey(2 * 2097152);
    assert.deepStrictEqual(await again.candidates(), []);
    // Only one is kept: a second one let go is left to the garbage collector.
    const other = RowKernel.acquire(HEX)!;
    assert.notStrictEqual(other, again);
    again.release();
    other.release();
    assert.strictEqual(RowKernel.acquire(HEX), again);
    // Without options, the kernel kept is taken whatever made it (so a test hands validateFile a
    // kernel of its own); with options, only a kernel they would make.
    again.discard();
    const masked = RowKernel.acquire(HEX, { hashMask: 0xffn })!;
    masked.release();
    assert.strictEqual(RowKernel.acquire(HEX), masked);
    masked.release();
    assert.strictEqual(RowKernel.acquire(HEX, { hashMask: 0xffn }), masked);
    masked.release();
    const plain = RowKernel.acquire(HEX, {})!;
    assert.notStrictEqual(plain, masked);
    plain.release();
  });
});

describe('confirming duplicates', () => {
  it('idOfLine finds the id and its end as scanRow does, for any line', () => {
    const rand = prng(43);
    const header = scanHeader('batch=thirdPartyId,a,b', 0, 0);
    const facts = newRowFacts();
    const extra = [' ', '\t', '\r', '', ',', '%41', '+', '\u00e9', '%C3%A9', '%', '%zz', '  ,', '\r\r'];
    for (let round = 0; round < 20_000; round++) {
      let line = rand() < 0.5 ? randomRow(rand) : '';
      for (let k = Math.floor(rand() * 4); k > 0; k--) {
        line =
          rand() < 0.5
            ? extra[Math.floor(rand() * extra.length)] + line
            : line + extra[Math.floor(rand() * extra.length)];
      }
      scanRow(line, header, [], facts);
      const row = idOfLine(line);
      assert.deepStrictEqual(
        row,
        facts.id === undefined ? undefined : { id: facts.id, idEnd: facts.idEnd },
        JSON.stringify(line),
      );
    }
  });
});

describe('id tables', () => {
  it('answer like a Map, narrow and wide ids included', () => {
    const index = new IdMap();
    const rand = prng(23);
    index.expect(3000);
    const expected = new ExpectedIds();
    for (let row = 0; row < 20_000; row++) {
      const r = rand();
      const id =
        r < 0.1
          ? COLLIDING_A
          : r < 0.2
            ? COLLIDING_B
            : r < 0.25
              ? '\u00e9' + Math.floor(rand() * 50)
              : r < 0.3
                ? '\u4e2d' + Math.floor(rand() * 50)
                : `k${Math.floor(rand() * 8000)}`;
      index.setKey(id);
      assert.strictEqual(index.addKey(row), expected.add(id, row), `${id} on row ${row}`);
    }
    assert.strictEqual(index.size, expected.map.size);
  });

  it('the kernel lists every duplicate key JavaScript gives it, narrow, wide and long', async () => {
    for (const mask of [-1n, 0xfn]) {
      const k = RowKernel.create(HEX, { hashMask: mask })!;
      const rand = prng(31);
      const rows: [number, string][] = [];
      for (let line = 0; line < 20_000; line++) {
        const r = rand();
        const id =
          r < 0.05
            ? '\u00e9' + Math.floor(rand() * 50)
            : r < 0.1
              ? '\u4e2d' + Math.floor(rand() * 50)
              : r < 0.11
                ? 'L'.repeat(70_000 + Math.floor(rand() * 3))
                : `k${Math.floor(rand() * 8000)}`;
        k.setKey(id);
        k.addKey(line * 2097152);
        rows.push([line, id]);
      }
      const pairs = await candidatePairs(k);
      if (mask === -1n) assert.deepStrictEqual(pairs, duplicatesOf(rows));
      else {
        const listed = new Set(pairs.map(([l]) => l));
        for (const [l] of duplicatesOf(rows)) assert.ok(listed.has(l));
      }
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

  it('equals validateText when its worker reads and classifies every chunk, and when a validation is cancelled', async function () {
    this.timeout(60_000);
    const rand = prng(37);
    let text = 'batch=thirdPartyId,a,b\n';
    for (let k = 0; text.length < 5.5 * KERNEL_CHUNK_BYTES; k++) {
      const r = rand();
      text += `${r < 0.05 ? `id${Math.floor(rand() * k)}` : `id${k}`}%40x.example,${k},${r < 0.02 ? 'a&b' : 'v'}\n`;
    }
    const file = path.join(dir, 'worker.batch');
    fs.writeFileSync(file, text);
    const fromText = validateText(text);
    // The first validation starts the worker; the next ones find it running. Every chunk left to
    // the worker, then chunks prepared by both threads at once.
    for (const workerOnly of [true, false]) {
      const results = await validateWithKernel(file, { workerOnly }, 3);
      results.forEach((result, round) => assert.deepStrictEqual(result, fromText, `round ${round}, ${workerOnly}`));
    }
    // Cancelled after the first chunk, with the worker ahead: the next validation is whole.
    const controller = new AbortController();
    await assert.rejects(validateFile(file, { signal: controller.signal, onProgress: () => controller.abort() }), {
      name: 'AbortError',
    });
    assert.deepStrictEqual(await validateFile(file), fromText);
  });

  it('lets the process exit once it has validated a file (the worker and the kept kernel hold nothing open)', function () {
    this.timeout(60_000);
    let text = 'batch=pcId,a\n';
    for (let k = 0; text.length < 3 * KERNEL_CHUNK_BYTES; k++) text += `id${k},${k}\n`;
    const file = path.join(dir, 'exit.batch');
    fs.writeFileSync(file, text);
    const cli = path.join(repoRoot, 'dist', 'cli.js');
    // Well under the 20 s a kept kernel waits before it lets its worker go.
    const run = spawnSync(process.execPath, [cli, 'validate', file], { encoding: 'utf8', timeout: 10_000 });
    assert.strictEqual(run.error, undefined, 'the command line did not exit');
    assert.match(run.stdout, /1 file checked/);
  });

  it('equals validateText for ids whose hashes collide and for duplicates across the kernel and the JavaScript paths', async function () {
    this.timeout(60_000);
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
      // The kernel's rows, a space inside a value among them; one at its start (scanRow's).
      text += `${id(k)},${k},${r < 0.9 ? 'v' : r < 0.95 ? 'v w' : ' v'}\n`;
    }
    const file = path.join(dir, 'collide.batch');
    fs.writeFileSync(file, text);
    const fromText = validateText(text);
    // The kernel's hashes as they are, then made to collide (the candidates grow; the answer may not).
    for (const mask of [-1n, 0xffffn, 0x3n]) {
      const [result] = await validateWithKernel(file, { hashMask: mask });
      assert.deepStrictEqual(result, fromText, `hash mask ${mask}`);
    }
    assert.ok(fromText.diagnostics.filter((d) => d.code === 'TP014').length > 1000);
  });

  it('runs on one thread without its worker script, and without WebAssembly not at all, and says so once each', async function () {
    this.timeout(60_000);
    let text = 'batch=pcId,a\n';
    for (let k = 0; text.length < 2.5 * KERNEL_CHUNK_BYTES; k++) text += `id${k % 30000},${k}\n`;
    const file = path.join(dir, 'fallback.batch');
    fs.writeFileSync(file, text);
    const fromText = validateText(text);
    const heard: KernelFallback[] = [];
    const stop = onKernelFallback((fallback) => heard.push(fallback));
    const wasm = (globalThis as { WebAssembly?: unknown }).WebAssembly;
    try {
      // No worker: the kernel prepares every chunk itself (even when told to leave them to the worker).
      const workerScript = path.join(dir, 'missing', 'batchWorker.js');
      for (const workerOnly of [false, true]) {
        const [result] = await validateWithKernel(file, { workerScript, workerOnly });
        assert.deepStrictEqual(result, fromText);
      }
      assert.deepStrictEqual(
        heard.map((f) => f.kind),
        ['worker'],
      );
      assert.match(heard[0].message, /batchWorker\.js\) is missing/);
      // No WebAssembly: no kernel; validateFile uses the JavaScript scanners alone.
      RowKernel.acquire(HEX)?.discard();
      delete (globalThis as { WebAssembly?: unknown }).WebAssembly;
      assert.strictEqual(RowKernel.create(HEX), undefined);
      assert.strictEqual(RowKernel.acquire(HEX), undefined);
      assert.deepStrictEqual(await validateFile(file), fromText);
      assert.deepStrictEqual(
        heard.map((f) => f.kind),
        ['worker', 'kernel'],
      );
      assert.match(heard[1].message, /no WebAssembly/);
    } finally {
      (globalThis as { WebAssembly?: unknown }).WebAssembly = wasm;
      stop();
    }
    // Unsubscribed: told nothing more.
    RowKernel.acquire(HEX, { workerScript: path.join(dir, 'missing.js') })?.discard();
    assert.strictEqual(heard.length, 2);
  });
});
