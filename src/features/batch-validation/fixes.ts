import * as vscode from 'vscode';
import { fixAll, fixesFor, type TextEdit } from '../../core/batch/fixes';
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

  provideCodeActions(
    document: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const lineAt = (i: number) => document.lineAt(i).text;
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
    }
    if (
      context.only &&
      (context.only.contains(BatchFixes.fixAllKind) || BatchFixes.fixAllKind.contains(context.only))
    ) {
      // Asked for by name (fix-all on save, Source Action): computed now, over the whole file.
      const edit = this.fixAllEdit(document);
      if (edit) actions.push(this.fixAllAction(document, edit));
    } else if (!context.only && context.diagnostics.some((d) => ruleCodeOf(d))) {
      // The lightbulb asks on every cursor move: offer fix-all there, but compute its edit (a pass over
      // every problem of the file) only if the user picks it, in resolveCodeAction.
      actions.push(this.fixAllAction(document));
    }
    return actions;
  }

  resolveCodeAction(action: vscode.CodeAction): vscode.CodeAction {
    const document = (action as FixAllAction).document;
    if (document && !action.edit) action.edit = this.fixAllEdit(document) ?? new vscode.WorkspaceEdit();
    return action;
  }

  private fixAllAction(document: vscode.TextDocument, edit?: vscode.WorkspaceEdit): vscode.CodeAction {
    const action: FixAllAction = new vscode.CodeAction(
      vscode.l10n.t('Fix all safe batch file problems'),
      BatchFixes.fixAllKind,
    );
    action.document = document;
    action.edit = edit;
    return action;
  }

  /** All safe fixes of the file at once, from the complete (uncapped) problem list; undefined when none. */
  private fixAllEdit(document: vscode.TextDocument): vscode.WorkspaceEdit | undefined {
    const model = this.problems.modelFor(document);
    if (!model) return undefined;
    const edits = fixAll(document.lineCount, (i) => document.lineAt(i).text, model.diagnostics());
    const crlf = document.eol === vscode.EndOfLine.CRLF;
    if (edits.length === 0 && !crlf) return undefined;
    const edit = workspaceEdit(document.uri, edits);
    if (crlf) {
      edit.set(document.uri, [...(edit.get(document.uri) ?? []), vscode.TextEdit.setEndOfLine(vscode.EndOfLine.LF)]);
    }
    return edit;
  }
}

/** A fix-all action remembers its document until resolveCodeAction computes the edit. */
type FixAllAction = vscode.CodeAction & { document?: vscode.TextDocument };

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
