import * as vscode from 'vscode';
import { fixAll, fixesFor, hasSafeFix, type TextEdit } from '../../core/batch/fixes';
import { BATCH_LANGUAGE_ID, Commands, FIX_ALL_KIND } from '../../contributions';
import { DIAGNOSTIC_SOURCE, fromDiagnostic, ruleCodeOf, toRange } from '../../services/diagnosticConversion';
import { MORE_PROBLEMS_CODE, type BatchProblems } from '../../services/batchProblems';

/**
 * Quick fixes for batch-file problems and `source.fixAll.targetBatch`. The edits themselves are
 * computed by src/core/batch/fixes.ts; this only turns them into VS Code code actions.
 */
class BatchFixes implements vscode.CodeActionProvider {
  static readonly fixAllKind = vscode.CodeActionKind.Empty.append(FIX_ALL_KIND);
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, BatchFixes.fixAllKind],
  };

  constructor(private readonly problems: BatchProblems) {}

  async provideCodeActions(
    document: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
  ): Promise<vscode.CodeAction[]> {
    const lineAt = lineOf(document);
    const actions: vscode.CodeAction[] = [];
    if (!context.only || context.only.contains(vscode.CodeActionKind.QuickFix)) {
      for (const diagnostic of context.diagnostics) {
        if (diagnostic.source === DIAGNOSTIC_SOURCE && codeValue(diagnostic) === MORE_PROBLEMS_CODE) {
          const show = new vscode.CodeAction(
            vscode.l10n.t('Show all batch file problems'),
            vscode.CodeActionKind.QuickFix,
          );
          show.command = { command: Commands.showAllBatchProblems, title: show.title, arguments: [document.uri] };
          show.diagnostics = [diagnostic];
          actions.push(show);
          continue;
        }
        const code = ruleCodeOf(diagnostic);
        if (!code) continue;
        if (code === 'TP028' && document.eol === vscode.EndOfLine.CRLF && diagnostic.range.isEmpty) {
          const toLf = new vscode.CodeAction(vscode.l10n.t('Convert line ends to LF'), vscode.CodeActionKind.QuickFix);
          toLf.edit = new vscode.WorkspaceEdit();
          toLf.edit.set(document.uri, [vscode.TextEdit.setEndOfLine(vscode.EndOfLine.LF)]);
          toLf.diagnostics = [diagnostic];
          toLf.isPreferred = true;
          actions.push(toLf);
          continue;
        }
        for (const fix of fixesFor(fromDiagnostic(diagnostic, code), lineAt, document.lineCount)) {
          const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
          action.edit = workspaceEdit(document.uri, fix.edits);
          action.diagnostics = [diagnostic];
          action.isPreferred = fix.isPreferred;
          actions.push(action);
        }
      }
      actions.push(...this.fixAllQuickFix(document, context));
    }
    if (
      context.only &&
      (context.only.contains(BatchFixes.fixAllKind) || BatchFixes.fixAllKind.contains(context.only))
    ) {
      // Asked for by name (fix-all on save, Source Action): computed now, over the whole file.
      const edit = await this.fixAllEdit(document);
      if (edit) actions.push(this.fixAllAction(document, BatchFixes.fixAllKind, edit));
    }
    return actions;
  }

  /**
   * "Fix all N problems in this file" next to the single fix (Ctrl+. leaves source.* kinds out, so
   * this one is a quick fix). The lightbulb asks on every cursor move: N is the count the problems
   * service keeps per publish, and the edit (a pass over every problem) is computed only when the
   * user picks the entry, in resolveCodeAction.
   */
  private fixAllQuickFix(document: vscode.TextDocument, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const fixableHere = context.diagnostics.some((d) => {
      const code = ruleCodeOf(d);
      return (
        code !== undefined &&
        (code === 'TP028' || hasSafeFix(fromDiagnostic(d, code), lineOf(document), document.lineCount))
      );
    });
    const count = this.problems.fixableCount(document.uri);
    if (!fixableHere || count < 2) return [];
    return [
      this.fixAllAction(
        document,
        vscode.CodeActionKind.QuickFix,
        undefined,
        vscode.l10n.t('Fix all {0} problems in this file', count),
      ),
    ];
  }

  async resolveCodeAction(action: vscode.CodeAction): Promise<vscode.CodeAction> {
    const document = (action as FixAllAction).document;
    if (document && !action.edit) action.edit = (await this.fixAllEdit(document)) ?? new vscode.WorkspaceEdit();
    return action;
  }

  private fixAllAction(
    document: vscode.TextDocument,
    kind: vscode.CodeActionKind,
    edit?: vscode.WorkspaceEdit,
    title = vscode.l10n.t('Fix all safe batch file problems'),
  ): vscode.CodeAction {
    const action: FixAllAction = new vscode.CodeAction(title, kind);
    action.document = document;
    action.edit = edit;
    return action;
  }

  /** All safe fixes of the file at once, from the complete (uncapped) problem list; undefined when none. */
  private async fixAllEdit(document: vscode.TextDocument): Promise<vscode.WorkspaceEdit | undefined> {
    const entry = await this.problems.currentEntry(document);
    if (!entry) return undefined;
    const edits = fixAll(document.lineCount, (i) => document.lineAt(i).text, entry.diagnostics);
    const crlf = document.eol === vscode.EndOfLine.CRLF;
    if (edits.length === 0 && !crlf) return undefined;
    // One set() with every edit: WorkspaceEdit.set adds to the edits already set for the file, so
    // setting the text edits and then again with the end-of-line change would list each one twice, and
    // the workbench rejects the whole edit as overlapping.
    const all = edits.map((e) => new vscode.TextEdit(toRange(e), e.newText));
    if (crlf) all.push(vscode.TextEdit.setEndOfLine(vscode.EndOfLine.LF));
    const edit = new vscode.WorkspaceEdit();
    edit.set(document.uri, all);
    return edit;
  }
}

/** A fix-all action remembers its document until resolveCodeAction computes the edit. */
type FixAllAction = vscode.CodeAction & { document?: vscode.TextDocument };

function lineOf(document: vscode.TextDocument): (line: number) => string {
  return (i) => document.lineAt(i).text;
}

function codeValue(d: vscode.Diagnostic): unknown {
  return typeof d.code === 'object' ? d.code.value : d.code;
}

function workspaceEdit(uri: vscode.Uri, edits: TextEdit[]): vscode.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  edit.set(
    uri,
    edits.map((e) => new vscode.TextEdit(toRange(e), e.newText)),
  );
  return edit;
}

export function registerFixes(problems: BatchProblems): vscode.Disposable {
  return vscode.languages.registerCodeActionsProvider(
    { language: BATCH_LANGUAGE_ID },
    new BatchFixes(problems),
    BatchFixes.metadata,
  );
}
