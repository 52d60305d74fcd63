import * as l10n from '@vscode/l10n';
import { isAscii, isUtf8 } from 'buffer';
import { promises as fsp } from 'fs';
import { MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS, UploadPlanner } from './limits';
import { rules, type BatchDiagnostic, type RuleCode } from './rules';
import {
  BatchHeader,
  HEX,
  LineDiagnostic,
  MAX_ID_LENGTH,
  MAX_LINE_BYTES,
  MAX_ROW_DATA_BYTES,
  diagnostic,
  idOfLine,
  invalidUtf8,
  isLeadingBlankLine,
  newRowFacts,
  scanHeader,
  scanRow,
} from './scan';
import { IdMap, type IdSet } from './idIndex';
import { KERNEL_CHUNK_BYTES, KERNEL_MAX_FILE_BYTES, RowKernel } from './rowKernel';
import { count } from '../displayLanguage';

export type { BatchDiagnostic, Range } from './rules';

export interface BatchSummary {
  bytes: number;
  /** Data rows: the header and blank lines are not counted. */
  rows: number;
  idColumn?: 'pcId' | 'thirdPartyId';
  /** Header names after the id column, as written. */
  attributes: string[];
  /** How many uploads `submit` will make (see UploadPlanner). */
  uploads: number;
}

export interface BatchValidation {
  diagnostics: BatchDiagnostic[];
  summary: BatchSummary;
}

/** Orders diagnostics by position, then code: the order validateText returns them in. */
export function sortDiagnostics(diagnostics: BatchDiagnostic[]): BatchDiagnostic[] {
  return diagnostics.sort(
    (a, b) =>
      a.line - b.line ||
      a.column - b.column ||
      a.endLine - b.endLine ||
      a.endColumn - b.endColumn ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

export function lineDiagnostic(d: LineDiagnostic, line: number): BatchDiagnostic {
  return diagnostic(d.code, line, d.column, d.endColumn, d.message);
}

const DUPLICATE_SEVERITY = rules.TP014.severity;

export function duplicateIdDiagnostic(
  line: number,
  idEnd: number,
  firstLine: number,
  firstIdEnd: number,
): BatchDiagnostic {
  // Written out rather than spread from diagnostic(): a file may have hundreds of thousands.
  return {
    line,
    column: 0,
    endLine: line,
    endColumn: idEnd,
    code: 'TP014',
    severity: DUPLICATE_SEVERITY,
    message: l10n.t('This id is already on line {0}; which row wins is undefined', String(firstLine + 1)),
    related: [
      {
        line: firstLine,
        column: 0,
        endLine: firstLine,
        endColumn: firstIdEnd,
        message: l10n.t('first row with this id'),
      },
    ],
  };
}

export interface FileCounts {
  rows: number;
  rowsWithValues: number;
  bytes: number;
  uploads: number;
}

/** The rules about the file as a whole, reported over the header line (line 1). */
export function fileDiagnostics(header: BatchHeader | undefined, counts: FileCounts): BatchDiagnostic[] {
  if (!header) {
    return [diagnostic('TP001', 0, 0, 0, l10n.t('The file is empty: it must start with batch= and a header row'))];
  }
  const found: BatchDiagnostic[] = [];
  const at = (code: RuleCode, message: string) =>
    found.push(diagnostic(code, header.line, 0, header.endColumn, message));
  const uploads = l10n.t('submit will split it into {0} uploads, each with the header line', count(counts.uploads));
  if (counts.rows > 0 && counts.rowsWithValues === 0) {
    at('TP029', l10n.t('Every data row is empty of values: the server skips the whole upload'));
  }
  if (counts.bytes >= MAX_UPLOAD_BYTES) {
    at('TP030', l10n.t('The file is {0} bytes; an upload must stay under 50 MB, so {1}', count(counts.bytes), uploads));
  }
  if (counts.rows > MAX_UPLOAD_ROWS) {
    at(
      'TP031',
      l10n.t(
        'The file has {0} data rows; an upload holds at most {1}, so {2}',
        count(counts.rows),
        count(MAX_UPLOAD_ROWS),
        uploads,
      ),
    );
  }
  return found;
}

/** Validates a batch file line by line, in order, holding only the header and the ids seen. */
class BatchFileScanner {
  private lineIndex = 0;
  private leadingBlankLines = 0;
  /** Set once the header line is read. */
  header: BatchHeader | undefined;
  private planner: UploadPlanner | undefined;
  private readonly diagnostics: BatchDiagnostic[] = [];
  private readonly out: LineDiagnostic[] = [];
  readonly facts = newRowFacts();
  private rows = 0;
  private rowsWithValues = 0;
  private bytes = 0;
  /** UTF-16 code units of the text, LFs included, as an editor would hold it. */
  units = 0;
  /**
   * Whether an editor could show something other than these lines: a CR (an editor takes it for a
   * line end), a byte-order mark (an editor hides it), bytes that are not UTF-8, a line too long to read.
   */
  differsInEditor = false;

  /**
   * `ids` holds each id's first row, packed as line * 2^21 + end column of the id (ids are under
   * 1 MiB): an IdMap, or the kernel's log, which its scans fill too.
   */
  constructor(readonly ids: IdSet = new IdMap()) {}

  /**
   * One line without its LF. `knownBytes` is its size on disk when read from a file; `text` is
   * empty with `utf16Length` set for an over-long line the reader did not decode.
   */
  addLine(
    text: string,
    hasLineEnd: boolean,
    knownBytes?: number,
    invalidEncoding = false,
    utf16Length = text.length,
  ): void {
    const line = this.lineIndex++;
    const lineEnd = hasLineEnd ? 1 : 0;
    this.units += utf16Length + lineEnd;
    if (
      invalidEncoding ||
      utf16Length !== text.length ||
      text.includes('\r') ||
      (line === 0 && text.charCodeAt(0) === 0xfeff)
    ) {
      this.differsInEditor = true;
    }
    if (invalidEncoding) this.diagnostics.push(lineDiagnostic(invalidUtf8(utf16Length), line));
    if (!this.header) {
      if (isLeadingBlankLine(text, knownBytes)) {
        this.leadingBlankLines++;
        this.bytes += (knownBytes ?? text.length) + lineEnd;
        return;
      }
      const header = scanHeader(text, line, this.leadingBlankLines, knownBytes, utf16Length);
      this.header = header;
      this.planner = new UploadPlanner(header.bytes + lineEnd);
      this.bytes += header.bytes + lineEnd;
      for (const d of header.diagnostics) this.diagnostics.push(d);
      return;
    }
    const facts = this.facts;
    const out = this.out;
    out.length = 0;
    scanRow(text, this.header, out, facts, knownBytes, utf16Length);
    for (const d of out) this.diagnostics.push(lineDiagnostic(d, line));
    this.bytes += facts.bytes + lineEnd;
    if (facts.blank) return;
    this.rows++;
    if (facts.hasValues) this.rowsWithValues++;
    this.planner?.addRow(facts.bytes + lineEnd);
    if (facts.id !== undefined) {
      this.ids.setKey(facts.id);
      this.checkDuplicate(line, facts.idEnd);
    }
  }

  /**
   * Lets the kernel accept the clean rows of its chunk from `pos` up to `end` (see RowKernel.scan),
   * as addLine would each (they have values, no problem of their own, and an LF), and returns where
   * the first row it did not accept starts.
   */
  addKernelRows(
    kernel: RowKernel,
    slot: number,
    pos: number,
    end: number,
    header: BatchHeader,
    maxId: number,
    rowBudget: number,
  ): number {
    const planner = this.planner;
    const next = kernel.scan(
      pos,
      end,
      header.fieldCount!,
      header.idColumn === 'thirdPartyId',
      maxId,
      rowBudget,
      planner ? planner.rowsLeft : Infinity,
      planner ? planner.bytesLeft : Infinity,
      this.lineIndex,
      slot,
    );
    const count = kernel.count;
    this.lineIndex += count;
    this.bytes += kernel.bytes;
    this.units += kernel.bytes;
    this.rows += count;
    this.rowsWithValues += count;
    planner?.addRows(count, kernel.bytes);
    return next;
  }

  get rowCount(): number {
    return this.rows;
  }

  /** Lines added so far. */
  get lineCount(): number {
    return this.lineIndex;
  }

  /** The problems of the lines added so far, in order: no file-level rule is decided yet. */
  problemsSoFar(): BatchDiagnostic[] {
    return sortDiagnostics([...this.diagnostics]);
  }

  /** Records the id in `ids.key` for `line`, or reports it when an earlier row has it (TP014). */
  private checkDuplicate(line: number, idEnd: number): void {
    const first = this.ids.addKey(line * 2097152 + idEnd);
    if (first !== -1) {
      this.diagnostics.push(duplicateIdDiagnostic(line, idEnd, Math.floor(first / 2097152), first % 2097152));
    }
  }

  /** Diagnostics found after the pass (confirmed duplicates). */
  add(diagnostics: BatchDiagnostic[]): void {
    for (const d of diagnostics) this.diagnostics.push(d);
  }

  finish(): BatchValidation {
    const header = this.header;
    const uploads = this.planner ? this.planner.finish().length : 0;
    const counts = { rows: this.rows, rowsWithValues: this.rowsWithValues, bytes: this.bytes, uploads };
    for (const d of fileDiagnostics(header, counts)) this.diagnostics.push(d);
    return {
      diagnostics: sortDiagnostics(this.diagnostics),
      summary: summaryOf(header, counts),
    };
  }
}

export function summaryOf(header: BatchHeader | undefined, counts: FileCounts): BatchSummary {
  const summary: BatchSummary = {
    bytes: counts.bytes,
    rows: counts.rows,
    attributes: header ? header.attributes : [],
    uploads: counts.uploads,
  };
  if (header?.idColumn) summary.idColumn = header.idColumn;
  return summary;
}

/** Validates the text of a batch file (lines split on LF; a CR before it is reported, not removed). */
export function validateText(text: string): BatchValidation {
  const scanner = new BatchFileScanner();
  let start = 0;
  for (;;) {
    const lf = text.indexOf('\n', start);
    if (lf === -1) {
      // A final line without LF is a line; the empty rest after a final LF is not.
      if (start < text.length) scanner.addLine(text.slice(start), false);
      break;
    }
    scanner.addLine(text.slice(start, lf), true);
    start = lf + 1;
  }
  return scanner.finish();
}

function abortError(): Error {
  const error = new Error('Validation was cancelled');
  error.name = 'AbortError';
  return error;
}

/** UTF-16 length of UTF-8 bytes without decoding them: one unit per character, two above U+FFFF. */
function utf16LengthOf(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if ((b & 0xc0) !== 0x80) n += b >= 0xf0 ? 2 : 1;
  }
  return n;
}

/**
 * The pass over a batch file's bytes, chunk by chunk, shared by validateFile (chunks read from
 * disk) and validateBytes (chunks of a buffer or of an open document's text). Holds the line being
 * assembled across chunks (once over 1 MiB only its size) and what the kernel needs of the header.
 * Clean rows are accepted in bulk by the WebAssembly kernel (see rowKernel.ts), which also logs
 * the ids of every row; it only ever proves rows clean. Every other line (one with something to
 * report, one the kernel has a doubt about, non-ASCII text, the header, a line cut by a chunk
 * boundary, every line where there is no kernel) is decoded and decided by scanRow, the one
 * scanner of the rules. Lines over 1 MiB are measured but never decoded.
 */
class ChunkScan {
  readonly scanner: BatchFileScanner;
  private parts: Buffer[] = [];
  private partBytes = 0;
  private overlongUtf16 = -1;
  private kernelHeader: BatchHeader | undefined;
  private maxId = 0;
  private rowBudget = 0;
  private sized = false;

  constructor(readonly kernel: RowKernel | undefined) {
    this.scanner = new BatchFileScanner(kernel);
  }

  /**
   * Scans the first `length` bytes of a chunk. `chunkOf` gives the chunk again after a call that may
   * have grown the kernel's memory (a view of a buffer the growth replaced has no bytes left); `slot`
   * is the kernel slot the chunk was prepared in.
   */
  scan(chunkOf: () => Buffer, slot: number, length: number): void {
    const { scanner, kernel } = this;
    let chunk = chunkOf();
    let pos = 0;
    if (this.partBytes > 0) {
      const lf = chunk.indexOf(10);
      if (lf === -1 || lf >= length) pos = length;
      this.appendPart(chunk, 0, lf === -1 || lf >= length ? length : lf);
      if (lf !== -1 && lf < length) {
        this.finishLine(true);
        pos = lf + 1;
      }
    }
    while (pos < length) {
      if (chunk.byteLength === 0) chunk = chunkOf();
      const header = scanner.header;
      if (header !== undefined) {
        if (kernel?.usable && header.fieldCount !== undefined) {
          if (this.kernelHeader !== header) {
            this.kernelHeader = header;
            this.maxId = header.idColumn === undefined ? Infinity : MAX_ID_LENGTH[header.idColumn];
            // A row this long or shorter cannot reach the 64 KB data limit, whatever it holds.
            this.rowBudget = Math.min(
              MAX_LINE_BYTES,
              MAX_ROW_DATA_BYTES - header.attributeBytes.reduce((sum, b) => sum + b, 0),
            );
          }
          const next = scanner.addKernelRows(kernel, slot, pos, length, header, this.maxId, this.rowBudget);
          if (chunk.byteLength === 0) chunk = chunkOf();
          if (kernel.count > 0) {
            pos = next;
            continue;
          }
        }
      }
      let lf = chunk.indexOf(10, pos);
      if (lf >= length) lf = -1;
      if (lf === -1) {
        this.appendPart(chunk, pos, length);
        break;
      }
      this.addDecodedLine(chunk.subarray(pos, lf), true);
      pos = lf + 1;
    }
  }

  /**
   * Sizes the id index for the rows the file will have at the rate seen so far, once, so that it
   * is not rebuilt as it grows (2% over, for rows a little shorter than the first ones); a wrong
   * guess only costs a rebuild or some room.
   */
  sizeIds(bytesRead: number, totalBytes: number): void {
    if (this.sized || this.scanner.rowCount === 0) return;
    this.sized = true;
    if (bytesRead < totalBytes) {
      this.scanner.ids.expect(Math.ceil(((this.scanner.rowCount * totalBytes) / bytesRead) * 1.02));
    }
  }

  /** Ends the pass (the last line, when it has no LF); returns the lines as an editor counts them. */
  end(): number {
    if (this.partBytes > 0) {
      this.finishLine(false);
      return this.scanner.lineCount;
    }
    // After a final LF (or in an empty file) an editor shows one more, empty, line.
    return this.scanner.lineCount + 1;
  }

  /** What an editor opening these bytes would hold (see TextFacts). */
  facts(lineCount: number): TextFacts {
    return { lineCount, utf16Length: this.scanner.units, editorReadsAsIs: !this.scanner.differsInEditor };
  }

  private addDecodedLine(bytes: Buffer, hasLineEnd: boolean): void {
    if (isAscii(bytes)) this.scanner.addLine(bytes.toString('latin1'), hasLineEnd, bytes.length);
    else if (isUtf8(bytes)) this.scanner.addLine(bytes.toString('utf8'), hasLineEnd, bytes.length);
    else this.scanner.addLine(bytes.toString('utf8'), hasLineEnd, bytes.length, true);
  }

  private appendPart(chunk: Buffer, start: number, end: number): void {
    if (end <= start) return;
    this.partBytes += end - start;
    if (this.overlongUtf16 >= 0) {
      this.overlongUtf16 += utf16LengthOf(chunk.subarray(start, end));
      return;
    }
    // A copy: the chunk's buffer is read into again.
    this.parts.push(Buffer.from(chunk.subarray(start, end)));
    if (this.partBytes > MAX_LINE_BYTES) {
      this.overlongUtf16 = 0;
      for (const part of this.parts) this.overlongUtf16 += utf16LengthOf(part);
      this.parts = [];
    }
  }

  private finishLine(hasLineEnd: boolean): void {
    if (this.overlongUtf16 >= 0) {
      this.scanner.addLine('', hasLineEnd, this.partBytes, false, this.overlongUtf16);
    } else {
      const parts = this.parts;
      this.addDecodedLine(parts.length === 1 ? parts[0] : Buffer.concat(parts, this.partBytes), hasLineEnd);
    }
    this.parts = [];
    this.partBytes = 0;
    this.overlongUtf16 = -1;
  }
}

/**
 * Validates a batch file on disk in one streaming pass, holding two chunks (the one being checked
 * and the next, read meanwhile), the line being assembled across chunks and the ids seen (a hash
 * and a line each); see ChunkScan. The chunk buffers are reused to the end, so that reading leaves
 * no garbage behind. Rows whose id hashes match an earlier row's are read again at the end and
 * compared exactly (see confirmDuplicates). Gives the same result as validateText.
 */
export async function validateFile(
  path: string,
  options: {
    signal?: AbortSignal;
    onProgress?: (bytesRead: number, totalBytes: number) => void;
    /** Hears what an editor opening the file would hold, to tell whether these results are its document's. */
    onFacts?: (facts: TextFacts) => void;
  } = {},
): Promise<BatchValidation> {
  const { signal, onProgress } = options;
  if (signal?.aborted) throw abortError();
  const stats = await fsp.stat(path);
  const totalBytes = stats.size;
  // The kernel reads chunks at fixed offsets, which only a regular file guarantees.
  const kernel = stats.isFile() && totalBytes < KERNEL_MAX_FILE_BYTES ? RowKernel.acquire(HEX) : undefined;
  const pass = new ChunkScan(kernel);
  const scanner = pass.scanner;

  let bytesRead = 0;
  let handle: fsp.FileHandle | undefined;
  // Without the kernel, the next chunk is read while this one is checked (reading is the system's
  // work, done on another thread), into two buffers in turn. The kernel reads ahead itself, into
  // its own memory (see RowKernel.take).
  const buffers = kernel
    ? []
    : [Buffer.allocUnsafeSlow(KERNEL_CHUNK_BYTES), Buffer.allocUnsafeSlow(KERNEL_CHUNK_BYTES)];
  let reading: Promise<{ bytesRead: number }> | undefined;
  let ended = true;
  try {
    try {
      handle = await fsp.open(path, 'r');
      const file = handle;
      const readInto = (into: Buffer, position: number) =>
        file.read(into, 0, KERNEL_CHUNK_BYTES, position).then((r) => r.bytesRead);
      if (kernel) {
        ended = false;
        kernel.startJob(path, totalBytes);
      } else {
        reading = file.read(buffers[0], 0, KERNEL_CHUNK_BYTES, 0);
      }
      for (let turn = 0; ; turn++) {
        if (signal?.aborted) throw abortError();
        let length: number;
        let slot = 0;
        if (kernel) {
          ({ slot, length } = await kernel.take(turn, readInto));
        } else {
          length = (await reading!).bytesRead;
          reading =
            length > 0 ? file.read(buffers[(turn + 1) & 1], 0, KERNEL_CHUNK_BYTES, bytesRead + length) : undefined;
        }
        if (signal?.aborted) throw abortError();
        if (length === 0) break;
        bytesRead += length;
        // Past `length` the buffer still holds an earlier chunk.
        const buffer = () => (kernel ? kernel.chunks[slot] : buffers[turn & 1]);
        pass.scan(buffer, slot, length);
        kernel?.free(turn);
        pass.sizeIds(bytesRead, totalBytes);
        onProgress?.(bytesRead, totalBytes);
      }
    } catch (error) {
      if (signal?.aborted) throw abortError();
      throw error;
    } finally {
      // Nothing may still write to the kernel's memory, and no read may run on a closed file.
      if (kernel) ended = await kernel.endJob();
      await reading?.catch(() => undefined);
      await handle?.close();
    }
    const lineCount = pass.end();
    options.onFacts?.(pass.facts(lineCount));
    const candidates = await kernel?.candidates();
    if (candidates && candidates.length > 0 && scanner.header) {
      scanner.add(await confirmDuplicates(candidates, (lines, onLine) => readFileLines(path, lines, signal, onLine)));
    }
    return scanner.finish();
  } finally {
    if (kernel) {
      if (ended) kernel.release();
      else kernel.discard();
    }
  }
}

/** A piece of a batch file in memory: its text, or its UTF-8 bytes. */
export type BatchPiece = string | Uint8Array;

/**
 * What an editor opening a file holds, to check that a validation of the file is one of the open
 * document: its lines, its length in UTF-16 code units (line ends as one LF each), and whether the
 * editor shows the bytes as they are (no CR, which an editor takes for a line end and may rewrite; no
 * byte-order mark, which it hides; valid UTF-8 throughout; no line too long to read).
 */
export interface TextFacts {
  lineCount: number;
  utf16Length: number;
  editorReadsAsIs: boolean;
}

export interface BytesValidation extends BatchValidation {
  /** Lines as an editor counts them: one more than the LFs. */
  lineCount: number;
}

/**
 * Validates a batch file held in memory, given as pieces in order (strings or UTF-8 bytes, cut
 * anywhere; an open document's text arrives this way, a slice at a time), through the same pass and
 * kernel as validateFile. `onProblems` hears the problems of the lines scanned so far (no file-level
 * rules, no duplicates yet) every `progressMs`, so that a long pass shows its first screenful first.
 * Yields to the event loop between chunks, so that a worker running it hears a cancellation.
 */
export async function validateBytes(
  pieces: AsyncIterable<BatchPiece> | Iterable<BatchPiece>,
  options: {
    signal?: AbortSignal;
    onProblems?: (diagnostics: BatchDiagnostic[]) => void;
    progressMs?: number;
  } = {},
): Promise<BytesValidation> {
  if (options.signal?.aborted) throw abortError();
  // The kept kernel, as for validateFile; no job of its worker runs, so it can always be kept again.
  const kernel = RowKernel.acquire(HEX);
  try {
    return await validatePieces(pieces, kernel, options);
  } finally {
    kernel?.release();
  }
}

async function validatePieces(
  pieces: AsyncIterable<BatchPiece> | Iterable<BatchPiece>,
  kernel: RowKernel | undefined,
  options: { signal?: AbortSignal; onProblems?: (diagnostics: BatchDiagnostic[]) => void; progressMs?: number },
): Promise<BytesValidation> {
  const { signal, onProblems, progressMs = 100 } = options;
  const pass = new ChunkScan(kernel);
  const scanner = pass.scanner;
  const own = kernel ? undefined : Buffer.allocUnsafeSlow(KERNEL_CHUNK_BYTES);
  const target = () => (kernel ? kernel.chunks[0] : own!);
  const kept: BatchPiece[] = [];
  const encoder = new TextEncoder();
  let lastReport = performance.now();
  const scanChunk = async (length: number) => {
    if (length === 0) return;
    kernel?.classify(length, 0);
    pass.scan(target, 0, length);
    if (onProblems && performance.now() - lastReport >= progressMs) {
      onProblems(scanner.problemsSoFar());
      lastReport = performance.now();
    }
    await new Promise((resolve) => setImmediate(resolve));
    if (signal?.aborted) throw abortError();
  };
  // A high surrogate that ends a piece waits for the low one that starts the next.
  let held = '';
  for await (const piece of pieces) {
    if (signal?.aborted) throw abortError();
    if (piece.length === 0) continue;
    kept.push(piece);
    if (typeof piece === 'string') {
      let rest = held + piece;
      held = '';
      const last = rest.charCodeAt(rest.length - 1);
      if (last >= 0xd800 && last <= 0xdbff) {
        held = rest.slice(-1);
        rest = rest.slice(0, -1);
      }
      while (rest.length > 0) {
        const { read, written } = encoder.encodeInto(rest, target());
        rest = rest.substring(read);
        await scanChunk(written);
      }
    } else {
      for (let at = 0; at < piece.length; at += KERNEL_CHUNK_BYTES) {
        const part = piece.subarray(at, Math.min(piece.length, at + KERNEL_CHUNK_BYTES));
        target().set(part);
        await scanChunk(part.length);
      }
    }
  }
  if (held) {
    const { written } = encoder.encodeInto(held, target());
    await scanChunk(written);
  }
  const lineCount = pass.end();
  const candidates = await kernel?.candidates();
  if (candidates && candidates.length > 0 && scanner.header) {
    scanner.add(await confirmDuplicates(candidates, (lines, onLine) => readPieceLines(kept, lines, onLine)));
  }
  return { ...scanner.finish(), lineCount };
}

/**
 * The TP014 diagnostics among the kernel's candidate duplicates (pairs of a line and the first
 * line with the same id hash; see RowKernel): reads those lines again, in one pass in line order,
 * decodes their ids as the validation did, and compares them exactly. A row whose id is its first
 * line's is a duplicate of it: that line is the first row with the hash, so the first with the id.
 * A row whose id differs only shares the hash: it is a duplicate of an earlier such row with its
 * id, if any (a later row with the same id always has the same first line, so they meet). So every
 * duplicate is found, and only real ones are reported.
 */
async function confirmDuplicates(candidates: number[], readLines: LineReader): Promise<BatchDiagnostic[]> {
  // The lines to read, in order; then, by their index there, what each one is: a later row's
  // first line's index (-1 for none), and whether some row's first line it is. Typed arrays and a
  // binary search: a file can have hundreds of thousands of duplicates.
  const wanted = Int32Array.from(candidates).sort();
  let count = 0;
  for (let i = 0; i < wanted.length; i++) if (i === 0 || wanted[i] !== wanted[i - 1]) wanted[count++] = wanted[i];
  const lines = wanted.subarray(0, count);
  const indexOf = (line: number) => {
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (lines[mid] < line) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const firstIndex = new Int32Array(count).fill(-1);
  const isFirst = new Uint8Array(count);
  for (let c = 0; c < candidates.length; c += 2) {
    const first = indexOf(candidates[c + 1]);
    firstIndex[indexOf(candidates[c])] = first;
    isFirst[first] = 1;
  }
  const ids: (string | undefined)[] = new Array(count);
  const idEnds = new Int32Array(count);
  const others = new Map<number, Map<string, { line: number; idEnd: number }>>();
  const found: BatchDiagnostic[] = [];
  await readLines(lines, (index, text, bytes) => {
    const row = idOfLine(text, bytes);
    if (row === undefined) return;
    const { id, idEnd } = row;
    if (isFirst[index] === 1) {
      ids[index] = id;
      idEnds[index] = idEnd;
    }
    const first = firstIndex[index];
    if (first === -1) return;
    const line = lines[index];
    if (ids[first] === id) {
      found.push(duplicateIdDiagnostic(line, idEnd, lines[first], idEnds[first]));
      return;
    }
    let group = others.get(first);
    if (!group) others.set(first, (group = new Map()));
    const earlier = group.get(id);
    if (earlier) found.push(duplicateIdDiagnostic(line, idEnd, earlier.line, earlier.idEnd));
    else group.set(id, { line, idEnd });
  });
  return found;
}

/**
 * Hands `onLine` the text of each line in `lines` (0-based, ascending), without its LF, with its
 * index in `lines` and its size in bytes. Lines over MAX_LINE_BYTES are never wanted (they have no
 * id) and may be skipped.
 */
type LineReader = (
  lines: Int32Array,
  onLine: (index: number, text: string, bytes: number) => void,
) => Promise<void> | void;

/** The LineReader of pieces held in memory (see validateBytes). */
function readPieceLines(
  pieces: BatchPiece[],
  lines: Int32Array,
  onLine: (index: number, text: string, bytes: number) => void,
): void {
  let next = 0;
  let line = 0;
  // The wanted line being assembled across pieces.
  let parts: string[] = [];
  const decoder = new TextDecoder();
  const finish = () => {
    const text = parts.join('');
    onLine(next++, text, Buffer.byteLength(text, 'utf8'));
    parts = [];
  };
  for (const piece of pieces) {
    const text = typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
    let start = 0;
    while (next < lines.length) {
      const lf = text.indexOf('\n', start);
      const end = lf === -1 ? text.length : lf;
      if (line === lines[next]) parts.push(text.slice(start, end));
      if (lf === -1) break;
      if (line === lines[next]) finish();
      line++;
      start = lf + 1;
    }
  }
  if (next < lines.length && line === lines[next] && parts.length > 0) finish();
}

/** The LineReader of a file: reads it again, decoding only the wanted lines. */
function readFileLines(
  path: string,
  lines: Int32Array,
  signal: AbortSignal | undefined,
  onLine: (index: number, text: string, bytes: number) => void,
): Promise<void> {
  return readLineBytes(path, lines, signal, (index, bytes) =>
    onLine(index, isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8'), bytes.length),
  );
}

async function readLineBytes(
  path: string,
  lines: Int32Array,
  signal: AbortSignal | undefined,
  onLine: (index: number, bytes: Buffer) => void,
): Promise<void> {
  const buffer = Buffer.allocUnsafe(KERNEL_CHUNK_BYTES);
  let next = 0;
  let line = 0;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let position = 0;
  const handle = await fsp.open(path, 'r');
  try {
    while (next < lines.length) {
      if (signal?.aborted) throw abortError();
      const length = (await handle.read(buffer, 0, buffer.length, position)).bytesRead;
      if (length === 0) break;
      position += length;
      let start = 0;
      while (next < lines.length) {
        const lf = buffer.indexOf(10, start);
        const end = lf === -1 || lf >= length ? length : lf;
        if (line === lines[next]) {
          // A copy: the buffer is read into again.
          parts.push(Buffer.from(buffer.subarray(start, end)));
          partBytes += end - start;
          // Wanted lines have ids, so they are never over-long; this only bounds the memory.
          if (partBytes > MAX_LINE_BYTES) parts = [];
        }
        if (end === length) break;
        if (line === lines[next]) {
          if (parts.length > 0) onLine(next, parts.length === 1 ? parts[0] : Buffer.concat(parts));
          next++;
        }
        parts = [];
        partBytes = 0;
        line++;
        start = lf + 1;
      }
    }
    // A last line without LF.
    if (next < lines.length && line === lines[next] && parts.length > 0) {
      onLine(next, parts.length === 1 ? parts[0] : Buffer.concat(parts));
    }
  } finally {
    await handle.close();
  }
}
