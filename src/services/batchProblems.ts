import * as vscode from 'vscode';
import {
  BatchDocumentChecks,
  type BatchDocumentSource,
  type DocumentProblems,
  startDocumentWorker,
} from '../core/batch/documentChecks';
import { countSafelyFixable } from '../core/batch/fixes';
import type { BatchDiagnostic, BatchSummary } from '../core/batch/validator';
import { BATCH_LANGUAGE_ID, Commands, SETTINGS_SECTION, Settings } from '../contributions';
import { Disposable } from './lifecycle';
import { DIAGNOSTIC_SOURCE, toDiagnostic } from './diagnosticConversion';

/** What the Problems panel shows for one batch file, and the full list behind it. */
export interface BatchProblemsEntry {
  diagnostics: BatchDiagnostic[];
  summary: BatchSummary;
  fromDisk: boolean;
}

/**
 * Keeps the Problems panel in step with every open batch file, as the user types. The problems are
 * computed away from the extension host's thread (see src/core/batch/documentChecks.ts): a file is
 * read by a worker when the document is that file unchanged, or sent to it a slice of lines at a
 * time, and each edit sends only the lines it changed. Answers for an older version of a document
 * than the one open are dropped; diagnostics are published debounced and capped per file, with one
 * summary problem for the rest.
 */
export class BatchProblems extends Disposable {
  readonly collection: vscode.DiagnosticCollection;
  private readonly checks: BatchDocumentChecks;
  private readonly documents = new Map<string, vscode.TextDocument>();
  private readonly fromDisk = new Map<string, BatchProblemsEntry>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly fixable = new Map<string, number>();
  /** Documents whose first complete answer is still to come: it is shown at once. */
  private readonly opening = new Set<string>();
  /** Who waits for an answer about a document's current version (see currentEntry). */
  private readonly waiters = new Map<string, (() => void)[]>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after the diagnostics of a file were published. */
  readonly onDidPublish = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this.collection = this.register(vscode.languages.createDiagnosticCollection(BATCH_LANGUAGE_ID));
    this.register(this.changed);
    this.checks = new BatchDocumentChecks({
      startWorker: startDocumentWorker,
      onProblems: (key, problems) => this.onProblems(key, problems),
      onWorkerFailed: (error) =>
        this.log.warn(`the batch worker failed (${error.message}); open batch files are checked on this thread now`),
    });
    this.register({ dispose: () => this.checks.dispose() });
    this.register(vscode.workspace.onDidOpenTextDocument((d) => this.track(d)));
    this.register(vscode.workspace.onDidChangeTextDocument((e) => this.onChange(e)));
    this.register(vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)));
    this.register({ dispose: () => this.timers.forEach((t) => clearTimeout(t)) });
    for (const document of vscode.workspace.textDocuments) this.track(document);
  }

  /**
   * How many problems of an open batch file fix-all would fix, counted once each time its problems
   * are published, so the lightbulb (asked on every cursor move) reads a number instead of a pass over the file.
   */
  fixableCount(uri: vscode.Uri): number {
    return this.fixable.get(uri.toString()) ?? 0;
  }

  /** Everything known about a file's problems, open (as of the last answer) or validated from disk. */
  entryFor(uri: vscode.Uri): Promise<BatchProblemsEntry | undefined> {
    const document = this.documents.get(uri.toString());
    if (document) return this.currentEntry(document);
    return Promise.resolve(this.fromDisk.get(uri.toString()));
  }

  /**
   * The complete problems of an open batch document as it is now: waits (up to `timeoutMs`) for the
   * answer about its current version; undefined when none came.
   */
  async currentEntry(document: vscode.TextDocument, timeoutMs = 30_000): Promise<BatchProblemsEntry | undefined> {
    const key = document.uri.toString();
    if (!this.documents.has(key)) return undefined;
    const deadline = Date.now() + timeoutMs;
    while (this.checks.problems(key)?.version !== document.version) {
      const left = deadline - Date.now();
      if (left <= 0 || !this.documents.has(key)) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        const list = this.waiters.get(key) ?? [];
        list.push(() => {
          clearTimeout(timer);
          resolve();
        });
        this.waiters.set(key, list);
      });
    }
    const all = await this.checks.all(key);
    if (!all?.summary || all.version !== document.version) return undefined;
    return { diagnostics: all.diagnostics, summary: all.summary, fromDisk: false };
  }

  /** Results of validating a file from disk ("Validate Batch File…"); an open document's problems win. */
  publishFromDisk(uri: vscode.Uri, diagnostics: BatchDiagnostic[], summary: BatchSummary): void {
    const entry = { diagnostics: sortByPosition(diagnostics), summary, fromDisk: true };
    this.fromDisk.set(uri.toString(), entry);
    if (!this.documents.has(uri.toString())) this.show(uri, entry.diagnostics);
  }

  private track(document: vscode.TextDocument): void {
    if (document.languageId !== BATCH_LANGUAGE_ID) return;
    const key = document.uri.toString();
    this.documents.set(key, document);
    this.opening.add(key);
    this.checks.open(key, () => sourceOf(document));
    this.log.debug(`checking ${document.uri.fsPath || key}: ${document.lineCount} lines`);
  }

  private onChange(event: vscode.TextDocumentChangeEvent): void {
    const document = event.document;
    const key = document.uri.toString();
    if (!this.documents.has(key) || event.contentChanges.length === 0) return;
    // One event may carry several changes (multi-cursor). Their ranges all refer to the text
    // before the event, so the union of the old spans plus the net line delta describes the
    // event exactly, whatever order the changes come in.
    let first = Number.MAX_SAFE_INTEGER;
    let lastOld = -1;
    let delta = 0;
    for (const change of event.contentChanges) {
      first = Math.min(first, change.range.start.line);
      lastOld = Math.max(lastOld, change.range.end.line);
      delta += countNewlines(change.text) - (change.range.end.line - change.range.start.line);
    }
    const lines: string[] = [];
    for (let i = first; i <= lastOld + delta; i++) lines.push(document.lineAt(i).text);
    this.checks.change(key, document.version, first, lastOld, lines);
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    this.fixable.delete(key);
    this.opening.delete(key);
    this.wake(key);
    if (!this.documents.delete(key)) return;
    this.checks.close(key);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    // A file validated from disk keeps those results once its editor closes.
    const disk = this.fromDisk.get(key);
    if (disk) this.show(uri, disk.diagnostics);
    else this.collection.delete(uri);
  }

  private onProblems(key: string, problems: DocumentProblems): void {
    const document = this.documents.get(key);
    // An answer about an older version than the document's is of no use: a newer one is coming.
    if (!document || problems.version !== document.version) return;
    if (!problems.summary) {
      // The first lines of a large file, while the rest is read: shown at once.
      this.show(document.uri, problems.diagnostics);
      return;
    }
    this.wake(key);
    if (this.opening.delete(key)) this.publish(document.uri);
    else this.schedule(document.uri);
  }

  private wake(key: string): void {
    const list = this.waiters.get(key);
    this.waiters.delete(key);
    list?.forEach((w) => w());
  }

  private schedule(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    const delay = vscode.workspace.getConfiguration(SETTINGS_SECTION).get<number>(Settings.batchValidationDelay, 150);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.publish(uri);
      }, delay),
    );
  }

  private publish(uri: vscode.Uri): void {
    const key = uri.toString();
    const problems = this.checks.problems(key);
    const document = this.documents.get(key);
    if (!problems || !document || problems.version !== document.version) return;
    const diagnostics = problems.diagnostics.slice();
    let fixable =
      problems.fixable ?? countSafelyFixable(document.lineCount, (i) => document.lineAt(i).text, diagnostics);
    // The editor hands us lines without their ends, so the checks never see a CR: a CRLF document
    // gets its TP028 here, once, with a quick fix that switches the document to LF.
    if (document.eol === vscode.EndOfLine.CRLF) {
      diagnostics.push(crlfDiagnostic());
      fixable++;
    }
    this.fixable.set(key, fixable);
    this.show(uri, sortByPosition(diagnostics), problems.total - problems.diagnostics.length);
  }

  /** `unsent`: problems past those the worker sent, counted in the summary problem. */
  private show(uri: vscode.Uri, diagnostics: BatchDiagnostic[], unsent = 0): void {
    const cap = Math.max(
      1,
      vscode.workspace.getConfiguration(SETTINGS_SECTION, uri).get<number>(Settings.batchMaxDiagnostics, 1000),
    );
    const shown = diagnostics.slice(0, cap).map((d) => toDiagnostic(uri, d));
    const hidden = Math.max(0, diagnostics.length - cap) + unsent;
    if (hidden > 0) shown.push(moreProblems(hidden));
    this.collection.set(uri, shown);
    this.changed.fire(uri);
  }
}

/**
 * The document as the checks see it. The worker reads the file itself only when the document is
 * that file as saved and decoded as UTF-8 (it still checks the lines and length against these).
 */
function sourceOf(document: vscode.TextDocument): BatchDocumentSource {
  const encoding = (document as { encoding?: string }).encoding;
  const fromDisk =
    document.uri.scheme === 'file' && !document.isDirty && (encoding === undefined || encoding.startsWith('utf8'));
  return {
    version: document.version,
    lineCount: document.lineCount,
    path: fromDisk ? document.uri.fsPath : undefined,
    eol: document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n',
    utf16Length: () => document.offsetAt(document.lineAt(document.lineCount - 1).range.end),
    textOf: (start, end) =>
      end < document.lineCount
        ? document.getText(new vscode.Range(start, 0, end, 0))
        : document.getText(new vscode.Range(start, 0, end - 1, document.lineAt(end - 1).text.length)),
  };
}

/** The code of the summary problem; its quick fix opens the full list. */
export const MORE_PROBLEMS_CODE = 'more';

function moreProblems(hidden: number): vscode.Diagnostic {
  const d = new vscode.Diagnostic(
    new vscode.Range(0, 0, 0, 0),
    vscode.l10n.t(
      '{0} more problems are not shown. Run "Target Profiles: Show All Batch File Problems" for the full list.',
      hidden,
    ),
    vscode.DiagnosticSeverity.Information,
  );
  d.source = DIAGNOSTIC_SOURCE;
  d.code = { value: MORE_PROBLEMS_CODE, target: vscode.Uri.parse(`command:${Commands.showAllBatchProblems}`) };
  return d;
}

function crlfDiagnostic(): BatchDiagnostic {
  return {
    code: 'TP028',
    severity: 'info',
    line: 0,
    column: 0,
    endLine: 0,
    endColumn: 0,
    message: vscode.l10n.t(
      'This file has CRLF line ends (CR characters); the server may keep the CR in the last value of every row. Convert to LF.',
    ),
  };
}

function sortByPosition(list: BatchDiagnostic[]): BatchDiagnostic[] {
  return list.sort(
    (a, b) => a.line - b.line || a.column - b.column || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
