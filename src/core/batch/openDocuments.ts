import { promises as fsp } from 'fs';
import { countSafelyFixable } from './fixes';
import { BatchDocumentModel, cleanRows } from './incremental';
import {
  type BatchDiagnostic,
  type BatchPiece,
  type BatchSummary,
  type TextFacts,
  validateBytes,
  validateFile,
} from './validator';

/**
 * The problems of the batch documents open in the editor, computed away from the editor's thread:
 * this side runs in a worker (see worker.ts), and documentChecks.ts is the editor's side. The
 * messages are plain data, so the same class also runs in the editor's process where no worker can
 * start.
 *
 * A document's first pass goes through the batch engine (validateFile or validateBytes, the kernel
 * and its id log): from the file on disk when the editor's document is that file unchanged, else
 * from the document's text, sent a slice at a time. Then the incremental model is built from the
 * same text, and every later edit is applied to it line by line.
 */

/** The editor's side asks. `id` names one opening of one document. */
export type DocumentRequest =
  | {
      kind: 'open';
      id: number;
      version: number;
      /**
       * The file the document was read from, unchanged since: the first pass reads it from disk,
       * and checks it against `expect` (what the editor holds), answering 'mismatch' when they differ.
       */
      path?: string;
      expect?: { lineCount: number; utf16Length: number };
      /** The document's line end, which its text slices use. */
      eol?: '\n' | '\r\n';
    }
  /** The document's text, in order, a slice at a time (for an open without `path`). */
  | { kind: 'text'; id: number; text: string; last: boolean; version: number }
  /** Lines start..oldEnd (numbered before the change) were replaced by `lines`; the document is now at `version`. */
  | { kind: 'change'; id: number; version: number; start: number; oldEnd: number; lines: string[] }
  /** The complete list of problems, when the last answer had only the first ones. */
  | { kind: 'all'; id: number; request: number }
  | { kind: 'close'; id: number };

/** The answers. */
export type DocumentReply =
  | {
      kind: 'problems';
      id: number;
      version: number;
      /** Sorted by position; the first MAX_SENT of them when there are more (see `total`). */
      diagnostics: BatchDiagnostic[];
      total: number;
      /** Undefined for a partial answer: the lines read so far, before the file-level rules. */
      summary?: BatchSummary;
      /** How many fix-all would fix, when known here (the model's lines are). */
      fixable?: number;
    }
  | { kind: 'all'; id: number; request: number; version: number; diagnostics: BatchDiagnostic[] }
  /** The file on disk is not what the editor holds: send the text. */
  | { kind: 'mismatch'; id: number; version: number }
  /** A slice of text was taken: the next one may come. */
  | { kind: 'taken'; id: number }
  | { kind: 'failed'; id: number; version: number; message: string };

/**
 * How many problems an answer carries. The editor shows a thousand at most; a file with hundreds of
 * thousands would cost the editor's thread more to receive than the Problems panel could show.
 */
export const MAX_SENT = 20_000;

/** How often a long first pass reports the problems found so far. */
const PROGRESS_MS = 100;

/** Slices of text waiting for the first pass, in order. */
class TextQueue implements AsyncIterable<BatchPiece> {
  private readonly slices: string[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  push(text: string, last: boolean): void {
    this.slices.push(text);
    if (last) this.ended = true;
    this.wake?.();
  }

  /** Wakes a waiting pass so that it sees its signal aborted. */
  stop(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<BatchPiece> {
    for (let next = 0; ; next++) {
      while (next >= this.slices.length && !this.ended) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
      if (next >= this.slices.length) return;
      yield this.slices[next];
    }
  }

  get text(): string[] {
    return this.slices;
  }
}

class OpenDocument {
  readonly abort = new AbortController();
  version: number;
  model: BatchDocumentModel | undefined;
  lines: string[] = [];
  /** Changes that came before the model was built, applied once it is. */
  readonly pending: Extract<DocumentRequest, { kind: 'change' }>[] = [];
  readonly text = new TextQueue();
  answerScheduled = false;
  /** Whether the document changed while its first pass read it: that pass's answer is no version's. */
  mixed = false;
  /** The latest version a slice of text was read at. */
  readVersion: number;

  constructor(
    readonly id: number,
    version: number,
    readonly crlf: boolean,
  ) {
    this.version = version;
    this.readVersion = version;
  }
}

export class OpenDocuments {
  private readonly documents = new Map<number, OpenDocument>();

  constructor(private readonly post: (reply: DocumentReply) => void) {}

  handle(request: DocumentRequest): void {
    switch (request.kind) {
      case 'open':
        void this.open(request);
        return;
      case 'text': {
        const document = this.documents.get(request.id);
        if (document) {
          // A slice read after an edit: the text is no single version until the edits are applied.
          if (request.version !== document.version) document.mixed = true;
          document.readVersion = Math.max(document.readVersion, request.version);
          // An editor's lines hold no CR, so its CRLFs are line ends and nothing else.
          document.text.push(document.crlf ? request.text.replaceAll('\r\n', '\n') : request.text, request.last);
        }
        this.post({ kind: 'taken', id: request.id });
        return;
      }
      case 'change': {
        const document = this.documents.get(request.id);
        if (!document) return;
        if (!document.model) {
          document.pending.push(request);
          document.mixed = true;
          return;
        }
        this.apply(document, request);
        this.answerSoon(document);
        return;
      }
      case 'all': {
        const document = this.documents.get(request.id);
        if (!document?.model) return;
        this.post({
          kind: 'all',
          id: request.id,
          request: request.request,
          version: document.version,
          diagnostics: document.model.sortedDiagnostics(),
        });
        return;
      }
      case 'close': {
        const document = this.documents.get(request.id);
        if (!document) return;
        this.documents.delete(request.id);
        document.abort.abort();
        document.text.stop();
        return;
      }
    }
  }

  private async open(request: Extract<DocumentRequest, { kind: 'open' }>): Promise<void> {
    const document = new OpenDocument(request.id, request.version, request.eol === '\r\n');
    this.documents.set(request.id, document);
    const signal = document.abort.signal;
    const version = request.version;
    try {
      // The first pass's problems, by line: the model takes the other rows as clean without scanning them.
      let firstPass: BatchDiagnostic[];
      if (request.path !== undefined) {
        let facts: TextFacts | undefined;
        const result = await validateFile(request.path, { signal, onFacts: (f) => (facts = f) });
        firstPass = result.diagnostics;
        if (!sameText(facts, request.expect)) {
          this.mismatch(document);
          return;
        }
        this.answer(document, version, result.diagnostics, result.summary);
        const text = await fsp.readFile(request.path, { encoding: 'utf8', signal });
        document.lines = text.split('\n');
        if (text.length !== request.expect!.utf16Length || document.lines.length !== request.expect!.lineCount) {
          // The file changed between the two reads.
          this.mismatch(document);
          return;
        }
      } else {
        const result = await validateBytes(document.text, {
          signal,
          progressMs: PROGRESS_MS,
          onProblems: (diagnostics) => {
            if (!document.mixed) this.answer(document, version, diagnostics);
          },
        });
        if (!document.mixed) this.answer(document, version, result.diagnostics, result.summary);
        firstPass = result.diagnostics;
        document.lines = linesOf(document.text.text);
        // The edits sent meanwhile (document.pending) bring it to the version of the last slice, or later.
        document.version = document.readVersion;
      }
      if (signal.aborted) return;
      const lines = document.lines;
      // Only for a first pass over exactly these lines: a document edited meanwhile was read in parts
      // of different versions.
      document.model = new BatchDocumentModel(
        lines.length,
        (i) => lines[i],
        document.mixed ? undefined : cleanRows(firstPass, lines.length),
      );
      if (document.pending.length > 0) {
        for (const change of document.pending.splice(0)) this.apply(document, change);
        this.answerSoon(document);
      } else if (lines.length > 0) {
        // The fix-all count needs the lines, which the first answer did not have.
        this.answerSoon(document);
      }
    } catch (error) {
      if (signal.aborted) return;
      this.documents.delete(request.id);
      this.post({ kind: 'failed', id: request.id, version, message: (error as Error).message });
    }
  }

  private mismatch(document: OpenDocument): void {
    this.documents.delete(document.id);
    this.post({ kind: 'mismatch', id: document.id, version: document.version });
  }

  private apply(document: OpenDocument, change: Extract<DocumentRequest, { kind: 'change' }>): void {
    const lines = document.lines;
    const removed = change.oldEnd - change.start + 1;
    // Spreading a very large paste into splice() would overflow the argument limit.
    if (change.lines.length > 10_000) {
      document.lines = lines.slice(0, change.start).concat(change.lines, lines.slice(change.oldEnd + 1));
    } else {
      lines.splice(change.start, removed, ...change.lines);
    }
    const current = document.lines;
    document.model!.applyChange(change.start, change.oldEnd, change.lines.length, (i) => current[i]);
    document.version = Math.max(document.version, change.version);
  }

  /** Answers once the changes already queued are applied: a burst of typing gets one answer. */
  private answerSoon(document: OpenDocument): void {
    if (document.answerScheduled) return;
    document.answerScheduled = true;
    setImmediate(() => {
      document.answerScheduled = false;
      if (!this.documents.has(document.id) || !document.model) return;
      const diagnostics = document.model.sortedDiagnostics();
      const lines = document.lines;
      const fixable = countSafelyFixable(lines.length, (i) => lines[i], diagnostics);
      this.answer(document, document.version, diagnostics, document.model.summary(), fixable);
    });
  }

  private answer(
    document: OpenDocument,
    version: number,
    diagnostics: BatchDiagnostic[],
    summary?: BatchSummary,
    fixable?: number,
  ): void {
    if (!this.documents.has(document.id)) return;
    this.post({
      kind: 'problems',
      id: document.id,
      version,
      diagnostics: diagnostics.length > MAX_SENT ? diagnostics.slice(0, MAX_SENT) : diagnostics,
      total: diagnostics.length,
      ...(summary ? { summary } : {}),
      ...(fixable !== undefined ? { fixable } : {}),
    });
  }
}

function sameText(facts: TextFacts | undefined, expect: { lineCount: number; utf16Length: number } | undefined) {
  return (
    facts !== undefined &&
    expect !== undefined &&
    facts.editorReadsAsIs &&
    facts.lineCount === expect.lineCount &&
    facts.utf16Length === expect.utf16Length
  );
}

/** The lines of text given in slices (each slice ends with an LF, but the last). */
function linesOf(slices: string[]): string[] {
  if (slices.length === 1) return slices[0].split('\n');
  const lines: string[] = [''];
  for (const slice of slices) {
    const parts = slice.split('\n');
    lines[lines.length - 1] += parts[0];
    for (let i = 1; i < parts.length; i++) lines.push(parts[i]);
  }
  return lines;
}
