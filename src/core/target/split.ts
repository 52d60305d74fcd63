import * as l10n from '@vscode/l10n';
import * as fs from 'fs';
import { MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS, UploadPlanner } from '../batch/limits';
import { TargetError } from './errors';

/** Files are read in 1 MiB chunks rather than Node's default 64 KiB: fewer, larger writes per upload. */
const CHUNK_BYTES = 1024 * 1024;

/** One upload of a batch file: the header line, then the file's bytes [start, end). */
export interface UploadPart {
  /** Data rows in this upload (blank lines are not rows). */
  rows: number;
  /** Bytes sent: the header line plus the range. */
  bytes: number;
  start: number;
  end: number;
}

export interface UploadPlan {
  path: string;
  /** The first line (`batch=...`) with its line ending, repeated at the start of every upload. */
  header: Buffer;
  parts: UploadPart[];
}

export interface PlanOptions {
  signal?: AbortSignal;
  /** Overridable for tests; default to Target's limits (src/core/batch/limits.ts). */
  maxBytes?: number;
  maxRows?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** A header line this long is not a batch header (the validator reports it as TP033). */
const MAX_HEADER_BYTES = CHUNK_BYTES;

/**
 * Plans how a batch file is uploaded, in one streaming pass that keeps only the header line in memory:
 * the cut points are byte offsets at line boundaries chosen by `UploadPlanner`, so every upload stays
 * under 50 MB and 500,000 rows. Blank lines are not rows (as in the validator); they travel with the
 * next row, and blank lines at a cut or at the end of the file are left out since they carry nothing.
 */
export async function planUploads(path: string, options: PlanOptions = {}): Promise<UploadPlan> {
  const total = (await fs.promises.stat(path)).size;
  const headerChunks: Buffer[] = [];
  let headerEnd = -1;
  let planner: UploadPlanner | undefined;
  const parts: UploadPart[] = [];
  let current: UploadPart | undefined;
  let blankStart = -1;
  let offset = 0;
  let lineStart = 0;
  let lastByte = -1;

  const onLine = (start: number, end: number, blank: boolean) => {
    if (headerEnd === -1) {
      headerEnd = end;
      planner = new UploadPlanner(end, options.maxBytes ?? MAX_UPLOAD_BYTES, options.maxRows ?? MAX_UPLOAD_ROWS);
      return;
    }
    if (blank) {
      if (blankStart === -1) blankStart = start;
      return;
    }
    const startsNew = planner!.addRow(end - (blankStart === -1 ? start : blankStart));
    if (!current || startsNew) {
      current = { rows: 0, bytes: 0, start, end };
      parts.push(current);
    }
    current.rows++;
    current.end = end;
    blankStart = -1;
  };

  const stream = fs.createReadStream(path, { highWaterMark: CHUNK_BYTES, signal: options.signal });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (headerEnd === -1) {
        headerChunks.push(chunk);
        if (offset + chunk.length > MAX_HEADER_BYTES && chunk.indexOf(10) === -1) {
          throw new TargetError(
            'usage',
            l10n.t('{0}: the first line is longer than 1 MiB; this is not a batch file header.', path),
          );
        }
      }
      let pos = 0;
      for (let nl = chunk.indexOf(10, pos); nl !== -1; nl = chunk.indexOf(10, pos)) {
        const end = offset + nl + 1;
        const before = nl > 0 ? chunk[nl - 1] : lastByte;
        // A blank line is "\n" or "\r\n" (CRLF files are tolerated).
        onLine(lineStart, end, end - lineStart === 1 || (end - lineStart === 2 && before === 13));
        lineStart = end;
        pos = nl + 1;
      }
      lastByte = chunk[chunk.length - 1];
      offset += chunk.length;
      options.onProgress?.(offset, total);
    }
  } catch (error) {
    if (options.signal?.aborted) throw new TargetError('cancelled', l10n.t('Cancelled.'));
    throw error;
  }
  // A last line without a line ending.
  if (lineStart < offset) onLine(lineStart, offset, offset - lineStart === 1 && lastByte === 13);
  if (headerEnd === -1) {
    throw new TargetError('usage', l10n.t("{0} is empty: a batch file starts with a 'batch=' header line.", path));
  }
  // Copied out so the plan does not keep the whole first chunk alive.
  const header = Buffer.from(Buffer.concat(headerChunks).subarray(0, headerEnd));
  if (parts.length === 0) parts.push({ rows: 0, bytes: 0, start: headerEnd, end: headerEnd });
  for (const part of parts) part.bytes = header.length + part.end - part.start;
  return { path, header, parts };
}

/** Streams one upload from disk: the header, then the part's byte range, in 1 MiB chunks. */
export async function* readUploadPart(plan: UploadPlan, part: UploadPart): AsyncGenerator<Uint8Array> {
  yield plan.header;
  if (part.end <= part.start) return;
  yield* fs.createReadStream(plan.path, {
    start: part.start,
    end: part.end - 1,
    highWaterMark: CHUNK_BYTES,
  }) as AsyncIterable<Buffer>;
}
