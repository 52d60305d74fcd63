import * as vscode from 'vscode';
import { columnAt, columnUsage } from '../../core/batch/columnUsage';
import { BATCH_LANGUAGE_ID } from '../../contributions';

/** Hover on a header column: the attribute name as Target stores it, and how many rows set it. */
export function registerHeaderHover(): vscode.Disposable {
  return vscode.languages.registerHoverProvider(
    { language: BATCH_LANGUAGE_ID },
    {
      provideHover(document, position, token) {
        if (position.line !== 0) return undefined;
        const column = columnAt(document.lineAt(0).text, position.character);
        if (!column) return undefined;
        const usage = columnUsage(document.lineCount, (i) => document.lineAt(i).text, column.index);
        if (token.isCancellationRequested) return undefined;
        const md = new vscode.MarkdownString();
        if (column.index === 0) {
          md.appendMarkdown(vscode.l10n.t('**Id column** `{0}`', column.decoded || ' '));
        } else {
          md.appendMarkdown(vscode.l10n.t('**Attribute** `{0}` (column {1})', column.decoded || ' ', column.index + 1));
          if (column.decoded !== column.written) {
            md.appendMarkdown('\n\n' + vscode.l10n.t('Written as `{0}`', column.written));
          }
          md.appendMarkdown('\n\n' + vscode.l10n.t('Shown in Target as `profile.{0}`', column.decoded));
        }
        md.appendMarkdown('\n\n' + vscode.l10n.t('{0} rows set it, {1} leave it empty', usage.set, usage.empty));
        return new vscode.Hover(md, new vscode.Range(0, column.start, 0, column.end));
      },
    },
  );
}
