import * as path from 'path';
import * as vscode from 'vscode';
import { BATCH_LANGUAGE_ID, Commands } from '../../contributions';
import { cliLine } from '../../services/diagnosticConversion';
import type { BatchProblems } from '../../services/batchProblems';

/** Read-only documents listing every problem of a batch file, past the Problems panel's cap. */
const ALL_PROBLEMS_SCHEME = 'target-batch-problems';

export function registerAllProblems(problems: BatchProblems): vscode.Disposable {
  const changed = new vscode.EventEmitter<vscode.Uri>();
  const provider: vscode.TextDocumentContentProvider = {
    onDidChange: changed.event,
    async provideTextDocumentContent(uri) {
      const source = vscode.Uri.parse(new URLSearchParams(uri.query).get('source') ?? '');
      const entry = await problems.entryFor(source);
      if (!entry) {
        return vscode.l10n.t(
          'No problems are known for {0}. Open it or run "Validate Batch File…" first.',
          source.toString(),
        );
      }
      const name = source.scheme === 'file' ? source.fsPath : source.toString();
      const lines = entry.diagnostics.map((d) => cliLine(name, d));
      lines.push(
        '',
        vscode.l10n.t(
          '{0} problems; {1} rows, {2} bytes',
          entry.diagnostics.length,
          entry.summary.rows,
          entry.summary.bytes,
        ),
      );
      return lines.join('\n') + '\n';
    },
  };
  const listUri = (source: vscode.Uri) =>
    vscode.Uri.from({
      scheme: ALL_PROBLEMS_SCHEME,
      path: `/${path.basename(source.path)}.problems`,
      query: new URLSearchParams({ source: source.toString() }).toString(),
    });
  return vscode.Disposable.from(
    changed,
    vscode.workspace.registerTextDocumentContentProvider(ALL_PROBLEMS_SCHEME, provider),
    // Keep an open list current as the source file is edited.
    problems.onDidPublish((source) => changed.fire(listUri(source))),
    vscode.commands.registerCommand(Commands.showAllBatchProblems, async (target?: vscode.Uri) => {
      const active = vscode.window.activeTextEditor?.document;
      const source =
        target instanceof vscode.Uri ? target : active?.languageId === BATCH_LANGUAGE_ID ? active.uri : undefined;
      if (!source) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Open a batch file first.'));
        return undefined;
      }
      const document = await vscode.workspace.openTextDocument(listUri(source));
      await vscode.window.showTextDocument(document, { preview: true, viewColumn: vscode.ViewColumn.Beside });
      return document.uri;
    }),
  );
}
