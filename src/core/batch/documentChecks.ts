import { Worker } from 'worker_threads';
import { displayLanguage } from '../displayLanguage';
import type { BatchDiagnostic, BatchSummary } from './validator';
import type { DocumentsRoleData } from './documentsRole';
import { type DocumentReply, type DocumentRequest, OpenDocuments } from './openDocuments';
import { batchWorkerScript } from './workerScript';

/**
 * The editor's side of the problems of open batch documents (see openDocuments.ts for the other
 * side, in a worker). What runs here is only what must: reading the document's text a slice at a
 * time when the worker cannot read it from disk, forwarding each edit's lines, and handing on the
 * answers. Nothing here is proportional to the document's size in one go, so the editor's thread is
 * never held for long, however large the document.
 */

/** What the checks need of an open document (the editor's TextDocument, or the bench's stand-in). */
export interface BatchDocumentSource {
  readonly version: number;
  readonly lineCount: number;
  /** The file the document was read from, when the document is that file unchanged and in UTF-8. */
  readonly path: string | undefined;
  readonly eol: '\n' | '\r\n';
  /** The document's length in UTF-16 code units, a line end counted as one. */
  utf16Length(): number;
  /** Lines start..end-1, each with its line end but the document's last one. */
  textOf(start: number, end: number): string;
}

/** One answer about a document. */
export interface DocumentProblems {
  version: number;
  /** Sorted by position; the first of `total` when `complete` is false (ask `all` for the rest). */
  diagnostics: BatchDiagnostic[];
  total: number;
  complete: boolean;
  /** Undefined while the first pass is still reading: the problems of the lines read so far. */
  summary?: BatchSummary;
  fixable?: number;
}

/** What a worker thread offers: a subset of worker_threads.Worker. */
export interface DocumentPort {
  postMessage(message: DocumentRequest): void;
  on(event: 'message', listener: (reply: DocumentReply) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  terminate(): unknown;
}

/**
 * The text read and sent at a time, in UTF-16 units: each slice is garbage on the editor's thread once
 * sent, and under V8's large-object size (128 KB) it dies young, collected in a scavenge of a
 * millisecond or two; megabyte slices waited for a full collection of the host's heap, which held the
 * thread for up to 130 ms. The number of lines a slice takes follows from the lines read so far.
 */
const SLICE_UNITS = 48 * 1024;
const FIRST_SLICE_LINES = 256;
const MAX_SLICE_LINES = 16_384;
/** Slices sent and not yet taken by the worker, at most. */
const IN_FLIGHT = 2;

interface Tracked {
  key: string;
  id: number;
  source: () => BatchDocumentSource;
  /** While the text is being sent: the next line to send. */
  sending: { next: number; sent: number; taken: number; wake?: () => void } | undefined;
  /** The document's version after the last change, and the last answer's. */
  version: number;
  last: DocumentProblems | undefined;
}

export class BatchDocumentChecks {
  private readonly documents = new Map<string, Tracked>();
  private readonly byId = new Map<number, Tracked>();
  private readonly waiting = new Map<number, (reply: Extract<DocumentReply, { kind: 'all' }>) => void>();
  private port: DocumentPort | undefined;
  private nextId = 1;
  private nextRequest = 1;
  private disposed = false;

  /**
   * `startWorker` gives a port to a worker running OpenDocuments, or undefined where none can start:
   * then the checks run in this thread (the answers are the same, only later in coming).
   */
  constructor(
    private readonly options: {
      startWorker: () => DocumentPort | undefined;
      onProblems: (key: string, problems: DocumentProblems) => void;
      /** Hears when the worker failed and the checks moved into this thread. */
      onWorkerFailed?: (error: Error) => void;
    },
  ) {}

  /** Starts checking a document, or again from the start. `source` gives the document as it is now. */
  open(key: string, source: () => BatchDocumentSource): void {
    this.close(key);
    const document = source();
    const tracked: Tracked = {
      key,
      id: this.nextId++,
      source,
      sending: undefined,
      version: document.version,
      last: undefined,
    };
    this.documents.set(key, tracked);
    this.byId.set(tracked.id, tracked);
    if (document.path !== undefined) {
      this.post({
        kind: 'open',
        id: tracked.id,
        version: document.version,
        path: document.path,
        expect: { lineCount: document.lineCount, utf16Length: document.utf16Length() },
      });
    } else {
      this.sendText(tracked, document);
    }
  }

  /** Lines start..oldEnd (numbered before the change) were replaced by `lines`; the document is now at `version`. */
  change(key: string, version: number, start: number, oldEnd: number, lines: string[]): void {
    const tracked = this.documents.get(key);
    if (!tracked) return;
    const sending = tracked.sending;
    tracked.version = version;
    if (sending) {
      // Lines not sent yet are read later as they will be then; lines sent are changed in the worker.
      if (start >= sending.next) return;
      if (oldEnd >= sending.next) {
        // The change spans what was sent and what was not: start again from the document as it is.
        this.open(key, tracked.source);
        return;
      }
      sending.next += lines.length - (oldEnd - start + 1);
    }
    this.post({ kind: 'change', id: tracked.id, version, start, oldEnd, lines });
  }

  close(key: string): void {
    const tracked = this.documents.get(key);
    if (!tracked) return;
    this.documents.delete(key);
    this.byId.delete(tracked.id);
    tracked.sending?.wake?.();
    this.post({ kind: 'close', id: tracked.id });
  }

  /** The last answer about a document. */
  problems(key: string): DocumentProblems | undefined {
    return this.documents.get(key)?.last;
  }

  /** Every problem of the document as of the last answer, asking the worker when that answer held only the first ones. */
  async all(key: string): Promise<DocumentProblems | undefined> {
    const tracked = this.documents.get(key);
    const last = tracked?.last;
    if (!tracked || !last || last.complete) return last;
    const request = this.nextRequest++;
    const reply = await new Promise<Extract<DocumentReply, { kind: 'all' }> | undefined>((resolve) => {
      this.waiting.set(request, resolve);
      this.post({ kind: 'all', id: tracked.id, request });
      // A document closed meanwhile gets no answer.
      setTimeout(() => {
        if (this.waiting.delete(request)) resolve(undefined);
      }, 30_000).unref?.();
    });
    if (!reply) return undefined;
    return {
      ...last,
      version: reply.version,
      diagnostics: reply.diagnostics,
      total: reply.diagnostics.length,
      complete: true,
    };
  }

  dispose(): void {
    this.disposed = true;
    for (const key of [...this.documents.keys()]) this.close(key);
    void this.port?.terminate();
    this.port = undefined;
  }

  private post(request: DocumentRequest): void {
    if (this.disposed) return;
    this.portNow().postMessage(request);
  }

  private portNow(): DocumentPort {
    if (this.port) return this.port;
    let port: DocumentPort | undefined;
    try {
      port = this.options.startWorker();
    } catch {
      port = undefined;
    }
    port ??= inThisThread();
    port.on('message', (reply) => this.onReply(reply));
    port.on('error', (error) => this.onWorkerError(error));
    this.port = port;
    return port;
  }

  /** The worker failed: the checks move into this thread, and every document is read again. */
  private onWorkerError(error: Error): void {
    this.options.onWorkerFailed?.(error);
    const failed = this.port;
    this.port = inThisThread();
    this.port.on('message', (reply) => this.onReply(reply));
    void failed?.terminate();
    for (const tracked of [...this.documents.values()]) this.open(tracked.key, tracked.source);
  }

  private onReply(reply: DocumentReply): void {
    if (reply.kind === 'all') {
      const resolve = this.waiting.get(reply.request);
      this.waiting.delete(reply.request);
      resolve?.(reply);
      return;
    }
    const tracked = this.byId.get(reply.id);
    if (!tracked) return;
    switch (reply.kind) {
      case 'taken': {
        const sending = tracked.sending;
        if (sending) {
          sending.taken++;
          sending.wake?.();
        }
        return;
      }
      case 'mismatch':
        // The file on disk is not the document: its text is sent instead.
        this.byId.delete(tracked.id);
        tracked.id = this.nextId++;
        this.byId.set(tracked.id, tracked);
        this.sendText(tracked, tracked.source());
        return;
      case 'failed':
        return;
      case 'problems': {
        const problems: DocumentProblems = {
          version: reply.version,
          diagnostics: reply.diagnostics,
          total: reply.total,
          complete: reply.total === reply.diagnostics.length,
          ...(reply.summary ? { summary: reply.summary } : {}),
          ...(reply.fixable !== undefined ? { fixable: reply.fixable } : {}),
        };
        if (reply.summary) tracked.last = problems;
        this.options.onProblems(tracked.key, problems);
        return;
      }
    }
  }

  /**
   * Sends the document's text a slice at a time, each read when the worker has taken all but one
   * of those before it, with a turn of the event loop between slices.
   */
  private sendText(tracked: Tracked, document: BatchDocumentSource): void {
    const sending = { next: 0, sent: 0, taken: 0, wake: undefined as (() => void) | undefined };
    let lines = FIRST_SLICE_LINES;
    tracked.sending = sending;
    this.post({ kind: 'open', id: tracked.id, version: document.version, eol: document.eol });
    const id = tracked.id;
    const current = () => this.byId.get(id) === tracked && tracked.sending === sending;
    void (async () => {
      for (;;) {
        while (sending.sent - sending.taken >= IN_FLIGHT && current()) {
          await new Promise<void>((resolve) => (sending.wake = resolve));
          sending.wake = undefined;
        }
        if (!current()) return;
        const now = tracked.source();
        const end = Math.min(now.lineCount, sending.next + lines);
        const last = end >= now.lineCount;
        const text = now.textOf(sending.next, end);
        this.post({ kind: 'text', id, text, last, version: now.version });
        const unitsPerLine = Math.max(1, text.length / Math.max(1, end - sending.next));
        lines = Math.max(1, Math.min(MAX_SLICE_LINES, Math.floor(SLICE_UNITS / unitsPerLine)));
        sending.sent++;
        sending.next = end;
        if (last) {
          tracked.sending = undefined;
          return;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
  }
}

/** OpenDocuments in this thread, answering a turn of the event loop later as a worker would. */
function inThisThread(): DocumentPort {
  const listeners: ((reply: DocumentReply) => void)[] = [];
  const documents = new OpenDocuments((reply) => setImmediate(() => listeners.forEach((l) => l(reply))));
  return {
    postMessage: (request) => documents.handle(structuredClone(request)),
    on: (event: 'message' | 'error', listener: never) => {
      if (event === 'message') listeners.push(listener);
    },
    terminate: () => undefined,
  };
}

/** A worker thread running OpenDocuments (dist/batchWorker.js), or undefined where none can start. */
export function startDocumentWorker(): DocumentPort | undefined {
  const script = batchWorkerScript();
  if (!script) return undefined;
  const workerData: DocumentsRoleData = { role: 'documents', ...displayLanguage() };
  const worker = new Worker(script, { workerData });
  // The editor's process, or a command line, ends without waiting for it.
  worker.unref();
  return worker as unknown as DocumentPort;
}
