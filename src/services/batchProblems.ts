import * as vscode from 'vscode';
import { countSafelyFixable } from '../core/batch/fixes';
import { BatchDocumentModel } from '../core/batch/incremental';
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
 * Keeps the Problems panel in step with every open batch file, as the user types.
 * Each document has a BatchDocumentModel that re-checks only the lines an edit touched (the
 * document's full text is never fetched per keystroke); diagnostics are published debounced and
 * capped per file, with one summary problem for the rest.
 */
export class BatchProblems extends Disposable {
  readonly collection: vscode.DiagnosticCollection;
  private readonly models = new Map<string, BatchDocumentModel>();
  private readonly documents = new Map<string, vscode.TextDocument>();
  private readonly fromDisk = new Map<string, BatchProblemsEntry>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly fixable = new Map<string, number>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after the diagnostics of a file were published. */
  readonly onDidPublish = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this.collection = this.register(vscode.languages.createDiagnosticCollection(BATCH_LANGUAGE_ID));
    this.register(this.changed);
    this.register(vscode.workspace.onDidOpenTextDocument((d) => this.track(d)));
    this.register(vscode.workspace.onDidChangeTextDocument((e) => this.onChange(e)));
    this.register(vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)));
    this.register({ dispose: () => this.timers.forEach((t) => clearTimeout(t)) });
    // Files already open when the extension starts get their models now (commands may ask for them
    // at once) but their problems a moment later: the first configuration read of the extension
    // host (the diagnostics cap) is slow, and activation should not wait for it.
    for (const document of vscode.workspace.textDocuments) this.track(document, false);
  }

  /** The live model of an open batch file. */
  modelFor(document: vscode.TextDocument): BatchDocumentModel | undefined {
    return this.models.get(document.uri.toString());
  }

  /**
   * How many problems of an open batch file fix-all would fix, counted once each time its problems
   * are published, so the lightbulb (asked on every cursor move) reads a number instead of a pass over the file.
   */
  fixableCount(uri: vscode.Uri): number {
    return this.fixable.get(uri.toString()) ?? 0;
  }

  /** Everything known about a file's problems, open or validated from disk. */
  entryFor(uri: vscode.Uri): BatchProblemsEntry | undefined {
    const model = this.models.get(uri.toString());
    if (model) return { diagnostics: model.diagnostics(), summary: model.summary(), fromDisk: false };
    return this.fromDisk.get(uri.toString());
  }

  /** Results of validating a file from disk ("Validate Batch File…"); an open document's model wins. */
  publishFromDisk(uri: vscode.Uri, diagnostics: BatchDiagnostic[], summary: BatchSummary): void {
    const entry = { diagnostics: sortByPosition(diagnostics), summary, fromDisk: true };
    this.fromDisk.set(uri.toString(), entry);
    if (!this.models.has(uri.toString())) this.show(uri, entry.diagnostics);
  }

  private track(document: vscode.TextDocument, publishNow = true): void {
    if (document.languageId !== BATCH_LANGUAGE_ID) return;
    const key = document.uri.toString();
    const started = performance.now();
    const model = new BatchDocumentModel(document.lineCount, (i) => document.lineAt(i).text);
    this.models.set(key, model);
    this.documents.set(key, document);
    this.log.debug(
      `validated ${document.uri.fsPath || key}: ${document.lineCount} lines in ${(performance.now() - started).toFixed(1)} ms`,
    );
    if (publishNow) this.publish(document.uri);
    else this.schedule(document.uri, 0);
  }

  private onChange(event: vscode.TextDocumentChangeEvent): void {
    const document = event.document;
    const model = this.models.get(document.uri.toString());
    if (!model || event.contentChanges.length === 0) return;
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
    model.applyChange(first, lastOld, lastOld - first + 1 + delta, (i) => document.lineAt(i).text);
    this.schedule(document.uri);
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    this.documents.delete(key);
    this.fixable.delete(key);
    if (!this.models.delete(key)) return;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    // A file validated from disk keeps those results once its editor closes.
    const disk = this.fromDisk.get(key);
    if (disk) this.show(uri, disk.diagnostics);
    else this.collection.delete(uri);
  }

  private schedule(uri: vscode.Uri, delayMs?: number): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    const delay =
      delayMs ?? vscode.workspace.getConfiguration(SETTINGS_SECTION).get<number>(Settings.batchValidationDelay, 150);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.publish(uri);
      }, delay),
    );
  }

  private publish(uri: vscode.Uri): void {
    const model = this.models.get(uri.toString());
    const document = this.documents.get(uri.toString());
    if (!model || !document) return;
    const diagnostics = model.diagnostics();
    let fixable = countSafelyFixable(document.lineCount, (i) => document.lineAt(i).text, diagnostics);
    // The editor hands us lines without their ends, so the model never sees a CR: a CRLF document
    // gets its TP028 here, once, with a quick fix that switches the document to LF.
    if (document.eol === vscode.EndOfLine.CRLF) {
      diagnostics.push(crlfDiagnostic());
      fixable++;
    }
    this.fixable.set(uri.toString(), fixable);
    this.show(uri, sortByPosition(diagnostics));
  }

  private show(uri: vscode.Uri, diagnostics: BatchDiagnostic[]): void {
    const cap = Math.max(
      1,
      vscode.workspace.getConfiguration(SETTINGS_SECTION, uri).get<number>(Settings.batchMaxDiagnostics, 1000),
    );
    const shown = diagnostics.slice(0, cap).map((d) => toDiagnostic(uri, d));
    if (diagnostics.length > cap) shown.push(moreProblems(diagnostics.length - cap));
    this.collection.set(uri, shown);
    this.changed.fire(uri);
  }
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
