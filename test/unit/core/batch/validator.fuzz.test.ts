import * as assert from 'assert';
import fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isUtf8 } from 'buffer';
import { BatchDocumentModel, cleanRows } from '../../../../src/core/batch/incremental';
import { rules } from '../../../../src/core/batch/rules';
import {
  BatchDiagnostic,
  BatchValidation,
  Range,
  BatchPiece,
  validateBytes,
  validateFile,
  validateText,
} from '../../../../src/core/batch/validator';

/**
 * Property-based tests of the batch validator (docs/rules.md: "never throw on any input",
 * "run in time linear in the file's size"): random and adversarial files, checked for crashes, ranges
 * inside the document, catalogue codes, validateFile == validateText, linear time, and the editor's
 * incremental model == a full pass after random edit sequences.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-fuzz-'));
let fileCounter = 0;
function tempFile(bytes: Uint8Array): string {
  const file = path.join(dir, `f${fileCounter++}.batch`);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Lines as the validator numbers them: split on LF only (a CR stays in its line). */
/**
 * `text` cut at `cuts` (positions modulo its length) into strings, or into UTF-8 bytes cut
 * anywhere, even inside a character.
 */
function piecesOf(text: string, cuts: number[], asBytes: boolean): BatchPiece[] {
  const whole: string | Buffer = asBytes ? Buffer.from(text, 'utf8') : text;
  const at = [...new Set(cuts.map((c) => (whole.length === 0 ? 0 : c % whole.length)))].sort((a, b) => a - b);
  const pieces: BatchPiece[] = [];
  let from = 0;
  for (const cut of [...at, whole.length]) {
    pieces.push(whole.slice(from, cut));
    from = cut;
  }
  return pieces;
}

function linesOf(text: string): string[] {
  return text.split('\n');
}

function checkRange(r: Range, lines: string[], what: string): void {
  const where = `${what} ${JSON.stringify(r)} (lineCount ${lines.length})`;
  for (const n of [r.line, r.column, r.endLine, r.endColumn]) assert.ok(Number.isInteger(n) && n >= 0, where);
  assert.ok(r.line < lines.length && r.endLine < lines.length, `line outside the document: ${where}`);
  assert.ok(r.endLine > r.line || (r.endLine === r.line && r.endColumn >= r.column), `end before start: ${where}`);
  assert.ok(r.column <= lines[r.line].length, `column past the line's ${lines[r.line].length} characters: ${where}`);
  assert.ok(
    r.endColumn <= lines[r.endLine].length,
    `end column past the line's ${lines[r.endLine].length} characters: ${where}`,
  );
}

/** Every diagnostic (and its related information) lies inside the document and comes from the catalogue. */
function checkDiagnostics(result: BatchValidation, text: string): void {
  const lines = linesOf(text);
  for (const d of result.diagnostics) {
    assert.ok(Object.prototype.hasOwnProperty.call(rules, d.code), `code ${d.code} is not in the catalogue`);
    assert.strictEqual(d.severity, rules[d.code].severity, `${d.code} severity`);
    assert.ok(typeof d.message === 'string' && d.message.length > 0, `${d.code} has no message`);
    checkRange(d, lines, d.code);
    for (const r of d.related ?? []) checkRange(r, lines, `${d.code} related`);
  }
  assert.ok(result.summary.bytes >= 0 && result.summary.rows >= 0 && result.summary.uploads >= 0);
}

// ---- Generators -------------------------------------------------------------------------------

/** Pieces a hostile or careless batch file is made of. */
const fragment = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom('a', 'crm-1', 'crm-2', '1', 'gold', 'x', 'pcId', 'thirdPartyId', 'tier', 'age'),
  },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      ',',
      ',',
      ',,',
      '%',
      '%2',
      '%zz',
      '%2C',
      '%26',
      '%C3%A9',
      '%FF',
      '%%',
      '&',
      '+',
      '"',
      "'",
      '=',
      '/',
      '%2B',
      '%2F',
    ),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '\r',
      '\uFEFF',
      '\0',
      ' ',
      '\t',
      '\u00e9',
      '\u{1F600}',
      '\uD800',
      '\uDC00',
      '\u2028',
      '\x7f',
      '\x01',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('batch=', 'Batch=', 'profile.', 'mbox3rdPartyId', 'pcid', '\n', '\r\n') },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('%', '&', '"', ',', 'a', '+', '\r', ' '), fc.integer({ min: 100, max: 3000 }))
      .map(([c, n]) => c.repeat(n)),
  },
);

const line = fc.array(fragment, { maxLength: 12 }).map((parts) => parts.join('').replace(/\n/g, ''));

const headerLine = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(
        fc.constantFrom('thirdPartyId', 'pcId'),
        fc.array(fc.oneof(fc.constantFrom('tier', 'age', 'profile.x', '', 'tier', 'a b', '%zz', 'n%C3%A9'), line), {
          maxLength: 6,
        }),
      )
      .map(([id, cols]) => `batch=${[id, ...cols].join(',')}`),
  },
  { weight: 1, arbitrary: line },
  { weight: 1, arbitrary: line.map((l) => `\uFEFFbatch=${l}`) },
);

/** A batch file: usually a plausible header (so rows are really checked), then rows, duplicates and junk. */
const batchText = fc
  .tuple(
    fc.array(fc.constantFrom('', ' ', '\r', '\t'), { maxLength: 2 }),
    headerLine,
    fc.array(
      fc.oneof(
        {
          weight: 3,
          arbitrary: fc
            .tuple(fc.constantFrom('a', 'b', 'c', '', 'crm+1', 'x/y'), line)
            .map(([id, rest]) => `${id},${rest}`),
        },
        { weight: 2, arbitrary: line },
      ),
      { maxLength: 25 },
    ),
    fc.constantFrom('', '\n', '\r\n', '\n\n'),
  )
  .map(([blank, header, rows, end]) => [...blank, header, ...rows].join('\n') + end);

const anyText = fc.oneof(
  { weight: 4, arbitrary: batchText },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 400 }) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom('%', '&', '"', ',', '\r', '\n', '\uFEFF', '\0', '+', 'a', 'é'),
      maxLength: 400,
    }),
  },
);

// ---- Properties -------------------------------------------------------------------------------

describe('batch validator fuzzing (fast-check)', function () {
  this.timeout(60_000);
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('validateText never throws and keeps every diagnostic inside the document with a catalogue code', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        checkDiagnostics(validateText(text), text);
      }),
      { numRuns: 1000 },
    );
  });

  it('validateFile on random bytes (invalid UTF-8 included) never throws and stays inside the decoded document', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      // Mostly a batch file, with random bytes (lone continuation bytes, truncated sequences, 0xFF) spliced in.
      fc
        .tuple(batchText, fc.array(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 })), { maxLength: 6 }))
        .map(([text, splices]) => {
          const base = Buffer.from(text, 'utf8');
          const parts: Buffer[] = [];
          let at = 0;
          for (const [pos, junk] of splices
            .map(([p, j]) => [base.length ? p % base.length : 0, j] as const)
            .sort((a, b) => a[0] - b[0])) {
            parts.push(base.subarray(at, pos), Buffer.from(junk));
            at = pos;
          }
          parts.push(base.subarray(at));
          return new Uint8Array(Buffer.concat(parts));
        }),
    );
    await fc.assert(
      fc.asyncProperty(bytes, async (data) => {
        const file = tempFile(data);
        try {
          const result = await validateFile(file);
          const decoded = Buffer.from(data).toString('utf8');
          checkDiagnostics(result, decoded);
          assert.strictEqual(result.summary.bytes, data.length, 'bytes counts the bytes sent');
          if (!isUtf8(data)) {
            assert.ok(
              result.diagnostics.some((d) => d.code === 'TP033'),
              'invalid UTF-8 is reported as TP033',
            );
          }
        } finally {
          fs.rmSync(file, { force: true });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('validateFile(bytes) equals validateText(decoded) whenever the file is valid UTF-8', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        const data = Buffer.from(text, 'utf8');
        fc.pre(isUtf8(data) && data.toString('utf8') === text);
        const file = tempFile(data);
        try {
          assert.deepStrictEqual(await validateFile(file), validateText(text));
        } finally {
          fs.rmSync(file, { force: true });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('validateBytes(pieces) equals validateText whatever the cuts, as text or as UTF-8 bytes', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), async (text, cuts, asBytes) => {
        fc.pre(Buffer.from(text, 'utf8').toString('utf8') === text);
        const { lineCount, ...result } = await validateBytes(piecesOf(text, cuts, asBytes));
        assert.deepStrictEqual(result, validateText(text));
        assert.strictEqual(lineCount, text.split('\n').length);
      }),
      { numRuns: 300 },
    );
  });

  it('survives adversarial shapes: NUL, huge lines, thousands of %, &, quotes, CRs, BOMs, 10,000 columns', async () => {
    const columns = Array.from({ length: 10_000 }, (_, i) => `c${i}`);
    const cases: string[] = [
      '\0'.repeat(5000),
      'batch=thirdPartyId,a\n' + '\0,\0\n'.repeat(2000),
      'batch=thirdPartyId,a\n' + 'x,' + '%'.repeat(20_000) + '\n',
      'batch=thirdPartyId,a\n' + 'x,' + '&'.repeat(20_000) + '\n' + '"'.repeat(20_000),
      'batch=thirdPartyId,a\n' + 'x,' + '%2'.repeat(10_000) + '%\n',
      'batch=thirdPartyId,a\r\n' + 'x,1\r\n'.repeat(3000) + '\r\r\r',
      '\uFEFF\uFEFFbatch=pcId,a\n\uFEFF1,\uFEFF\n',
      '\n\n\n\r\n   batch=pcId,a\n1,2\n',
      // A line over 1 MiB (TP033) between normal rows, in ASCII and in multi-byte text.
      'batch=thirdPartyId,a\nx,1\ny,' + 'a'.repeat(1_100_000) + '\nz,2\n',
      'batch=thirdPartyId,a\nx,1\ny,' + '\u00e9\u{1F600}'.repeat(300_000) + '\nz,2\n',
      'batch=thirdPartyId,a\n' + 'y,' + '%'.repeat(1_100_000),
      // 10,000 columns in the header and in a row, with and without problems.
      `batch=thirdPartyId,${columns.join(',')}\n` +
        `id,${columns.map((c, i) => (i % 3 ? c : '%z&"+ ')).join(',')}\n` +
        `id2,${','.repeat(12_000)}x\n`,
      `batch=thirdPartyId,${columns.map((c, i) => (i % 2 ? `profile.${c}` : '')).join(',')}\n`,
      'batch=thirdPartyId,a\n' + Array.from({ length: 3000 }, () => 'dup,1').join('\n'),
      '\uD800\uDFFF\uDC00batch=\uD800,\uDFFF\n\uDBFF,\uD800\n',
    ];
    for (const text of cases) {
      const result = validateText(text);
      checkDiagnostics(result, text);
      const file = tempFile(Buffer.from(text, 'utf8'));
      try {
        const fromFile = await validateFile(file);
        checkDiagnostics(fromFile, Buffer.from(text, 'utf8').toString('utf8'));
        const { lineCount: _, ...fromBytes } = await validateBytes([Buffer.from(text, 'utf8')]);
        assert.deepStrictEqual(fromBytes, fromFile, JSON.stringify(text.slice(0, 60)));
        // Lone surrogates do not survive UTF-8 encoding; every other case must agree exactly.
        if (Buffer.from(text, 'utf8').toString('utf8') === text) {
          assert.deepStrictEqual(fromFile, result, JSON.stringify(text.slice(0, 60)));
        }
      } finally {
        fs.rmSync(file, { force: true });
      }
    }
  });

  it('runs in linear time: doubling the input keeps the time ratio under 3x (best of several runs)', async function () {
    this.timeout(90_000);
    /** Rows with a mix of problems, all unique ids but a few duplicates, so every rule path runs. */
    const shapes: Record<string, (rows: number) => string> = {
      mixed: (rows) => {
        const out = ['batch=thirdPartyId,tier,city,note'];
        for (let i = 0; i < rows; i++) {
          const k = i % 10;
          out.push(
            k === 0
              ? `c${i},gold,Par&is,"q"`
              : k === 1
                ? `c${i},%zz,a+b, x `
                : k === 2
                  ? `c${i % 50},,,`
                  : k === 3
                    ? `c${i},Caf%C3%A9,\u00e9,1,2,3`
                    : `c${i},silver,Berlin,plain-${i}`,
          );
        }
        return out.join('\n') + '\n';
      },
      percents: (rows) => {
        const out = ['batch=pcId,a,b'];
        for (let i = 0; i < rows; i++) {
          out.push(`p${i},${i % 4 ? 'v%41%42-' + i : '%%%%'},${i % 5 ? 'x%2C%26%22-' + i : '&&'}`);
        }
        return out.join('\n') + '\n';
      },
      duplicates: (rows) => {
        const out = ['batch=thirdPartyId,a'];
        for (let i = 0; i < rows; i++) out.push(`d${i % 7},value-${i}-with-a-repeated-id`);
        return out.join('\n') + '\n';
      },
    };
    /**
     * Best time of each input over several rounds, the two measured alternately so that a burst of
     * load on the machine (other tests, other processes) hits both alike. Starts with `rounds` and
     * adds rounds (up to `maxRounds`) only while the ratio is not yet under the bound.
     */
    const bestOfPair = async (
      runSmall: () => unknown,
      runLarge: () => unknown,
      rounds: number,
      maxRounds = 3 * rounds,
    ): Promise<[number, number]> => {
      // CPU time of this process (its worker threads included), in ms: unlike wall time, it does not
      // grow while other processes on the machine have the cores.
      const time = async (run: () => unknown) => {
        const t0 = process.cpuUsage();
        await run();
        const used = process.cpuUsage(t0);
        return (used.user + used.system) / 1e3;
      };
      let small = Infinity;
      let large = Infinity;
      for (let i = 0; i < maxRounds && (i < rounds || large / small >= 3); i++) {
        small = Math.min(small, await time(runSmall));
        large = Math.min(large, await time(runLarge));
      }
      return [small, large];
    };
    const report: string[] = [];
    for (const [name, make] of Object.entries(shapes)) {
      // ~3-4 MB and ~6-8 MB of text.
      const small = make(100_000);
      const large = make(200_000);
      assert.ok(small.length > 2_000_000 && large.length < 10_000_000, `${name}: ${small.length} bytes`);
      // Warm up the JIT on the small input first, then measure both in the same run.
      validateText(small);
      const [tSmall, tLarge] = await bestOfPair(
        () => validateText(small),
        () => validateText(large),
        3,
      );
      report.push(
        `${name}: ${(small.length / 1e6).toFixed(1)} MB ${tSmall.toFixed(0)} ms, ${(large.length / 1e6).toFixed(1)} MB ${tLarge.toFixed(0)} ms`,
      );
      assert.ok(
        tLarge / tSmall < 3,
        `validateText ${name}: ${tSmall.toFixed(1)} ms -> ${tLarge.toFixed(1)} ms for twice the input`,
      );
      // The streaming file pass once, on the shape that takes every path (fast path, decoded lines, ids).
      if (name !== 'mixed') continue;
      const smallFile = tempFile(Buffer.from(small));
      const largeFile = tempFile(Buffer.from(large));
      try {
        await validateFile(smallFile);
        const [fSmall, fLarge] = await bestOfPair(
          () => validateFile(smallFile),
          () => validateFile(largeFile),
          3,
        );
        report.push(`  validateFile: ${fSmall.toFixed(0)} ms, ${fLarge.toFixed(0)} ms`);
        assert.ok(
          fLarge / fSmall < 3,
          `validateFile ${name}: ${fSmall.toFixed(1)} ms -> ${fLarge.toFixed(1)} ms for twice the input`,
        );
      } finally {
        fs.rmSync(smallFile, { force: true });
        fs.rmSync(largeFile, { force: true });
      }
    }
    if (process.env.TP_FUZZ_VERBOSE) console.log(report.join('\n'));
  });

  describe('incremental revalidation (BatchDocumentModel)', () => {
    /** A line for the incremental model: no LF, with a small id pool so duplicates come and go. */
    const docLine = fc.oneof(
      {
        weight: 5,
        arbitrary: fc
          .tuple(
            fc.constantFrom('a', 'b', 'c', 'd', '', 'x+y'),
            fc.array(fc.constantFrom(',', '1', 'gold', '%', '%2C', '&', '"', ' ', '\r', 'é', '+'), { maxLength: 6 }),
          )
          .map(([id, rest]) => id + rest.join('')),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '',
          '\r',
          ' ',
          'batch=thirdPartyId,tier,age',
          'batch=pcId,a',
          'Batch=pcId',
          '\uFEFFbatch=pcId,a',
          'pcId,a',
        ),
      },
      { weight: 1, arbitrary: line },
    );
    const initialDoc = fc
      .tuple(
        fc.constantFrom('batch=thirdPartyId,tier,age', 'batch=pcId,a,a', '', 'batch=', 'pcid,x'),
        fc.array(docLine, { maxLength: 20 }),
      )
      .map(([header, rows]) => [header, ...rows]);
    /** A VS Code-style change: lines start..end (end >= start) replaced by one or more lines. */
    const edit = fc.record({
      start: fc.nat(),
      span: fc.nat({ max: 4 }),
      lines: fc.array(docLine, { minLength: 1, maxLength: 5 }),
    });

    function applyEdits(
      initial: string[],
      edits: { start: number; span: number; lines: string[] }[],
      checkEvery = 1,
      seeded = false,
    ): void {
      const doc = initial.slice();
      // Seeded: built as the worker builds it, told which rows a first pass found clean.
      const clean = seeded ? cleanRows(validateText(doc.join('\n')).diagnostics, doc.length) : undefined;
      const model = new BatchDocumentModel(doc.length, (i) => doc[i], clean);
      const check = (step: number) => {
        const full = validateText(doc.join('\n'));
        const incremental = model.sortedDiagnostics();
        assert.deepStrictEqual(incremental, full.diagnostics, `after edit ${step}`);
        assert.deepStrictEqual(model.summary(), full.summary, `summary after edit ${step}`);
      };
      check(0);
      edits.forEach((e, step) => {
        const start = e.start % doc.length;
        const end = Math.min(doc.length - 1, start + e.span);
        doc.splice(start, end - start + 1, ...e.lines);
        model.applyChange(start, end, e.lines.length, (i) => doc[i]);
        if ((step + 1) % checkEvery === 0 || step === edits.length - 1) check(step + 1);
      });
    }

    it('equals a full pass after every edit of random edit sequences', () => {
      fc.assert(
        fc.property(initialDoc, fc.array(edit, { maxLength: 40 }), (initial, edits) => applyEdits(initial, edits)),
        { numRuns: 400 },
      );
    });

    it('equals a full pass after every edit when built from a first pass (clean rows not scanned)', () => {
      fc.assert(
        fc.property(initialDoc, fc.array(edit, { maxLength: 40 }), (initial, edits) =>
          applyEdits(initial, edits, 1, true),
        ),
        { numRuns: 400 },
      );
    });

    it('equals a full pass after long sequences (past the renumbering threshold) and edits below the header only', () => {
      // Edits that keep the header make the model follow the shifted lines instead of rebuilding.
      const belowHeader = fc.record({
        start: fc.nat(),
        span: fc.nat({ max: 3 }),
        lines: fc.array(
          docLine.filter((l) => !l.startsWith('batch=')),
          { minLength: 1, maxLength: 4 },
        ),
      });
      fc.assert(
        fc.property(
          fc.array(docLine, { minLength: 5, maxLength: 40 }),
          fc.array(belowHeader, { minLength: 300, maxLength: 700 }),
          (rows, edits) => {
            const initial = ['batch=thirdPartyId,tier,age', ...rows];
            applyEdits(
              initial,
              edits.map((e) => ({ ...e, start: 1 + (e.start % Math.max(1, initial.length - 1)) })),
              25,
            );
          },
        ),
        { numRuns: 15 },
      );
    });

    it('equals a full pass when duplicates appear, move and disappear', () => {
      const doc = ['batch=thirdPartyId,a', 'x,1', 'y,1', 'x,2'];
      const model = new BatchDocumentModel(doc.length, (i) => doc[i]);
      const steps: [number, number, string[]][] = [
        [1, 1, ['y,0', 'x,0']],
        [0 + 2, 2, ['z,1']],
        [3, 3, ['x,9', '', 'x,8']],
        [1, 2, ['x,1']],
      ];
      for (const [start, end, lines] of steps) {
        doc.splice(start, end - start + 1, ...lines);
        model.applyChange(start, end, lines.length, (i) => doc[i]);
        const expected: BatchDiagnostic[] = validateText(doc.join('\n')).diagnostics;
        assert.deepStrictEqual(model.sortedDiagnostics(), expected, doc.join('|'));
      }
    });
  });
});
