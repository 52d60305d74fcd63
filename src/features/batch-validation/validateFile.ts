import * as path from 'path';
import * as vscode from 'vscode';
import { validateBytes, validateFile, type BatchValidation } from '../../core/batch/validator';
import { BATCH_LANGUAGE_ID, Commands } from '../../contributions';
import type { Services } from '../../services';
import type { BatchProblems } from '../../services/batchProblems';

/**
 * "Validate Batch File…": checks a file from disk, for files VS Code does not hand to extensions
 * (over 50 MB) or that are not open. Streams it with progress and cancellation and reports into
 * the same Problems collection, by URI.
 */
export function registerValidateFile(problems: BatchProblems, services: Services): vscode.Disposable {
  return vscode.commands.registerCommand(
    Commands.validateBatchFile,
    async (target?: vscode.Uri, selection?: vscode.Uri[]) => {
      let uris = selection?.length ? selection : target instanceof vscode.Uri ? [target] : undefined;
      if (!uris) {
        const active = vscode.window.activeTextEditor?.document;
        uris = await vscode.window.showOpenDialog({
          canSelectMany: true,
          openLabel: vscode.l10n.t('Validate'),
          defaultUri:
            active?.languageId === BATCH_LANGUAGE_ID ? active.uri : vscode.workspace.workspaceFolders?.[0]?.uri,
          filters: { [vscode.l10n.t('Batch files')]: ['batch', 'txt', 'csv'], [vscode.l10n.t('All files')]: ['*'] },
        });
      }
      if (!uris?.length) return undefined;
      const results: { uri: vscode.Uri; validation: BatchValidation }[] = [];
      await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Validating batch file'),
          cancellable: true,
        },
        async (progress, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          for (const uri of uris!) {
            if (token.isCancellationRequested) break;
            const name = path.basename(uri.path);
            let reported = 0;
            try {
              const validation = await validateUri(uri, controller.signal, (read, total) => {
                const percent = total > 0 ? Math.floor((read / total) * 100) : 100;
                progress.report({ message: `${name} ${percent}%`, increment: (percent - reported) / uris!.length });
                reported = percent;
              });
              problems.publishFromDisk(uri, validation.diagnostics, validation.summary);
              results.push({ uri, validation });
              services.log.info(`validated ${uri.fsPath || uri.toString()} from disk: ${describe(validation)}`);
            } catch (error) {
              if (controller.signal.aborted) break;
              const message = error instanceof Error ? error.message : String(error);
              services.log.error(`validating ${uri.toString()} failed: ${message}`);
              void vscode.window.showErrorMessage(vscode.l10n.t('Could not validate {0}: {1}', name, message));
            }
          }
        },
      );
      // Not awaited: a notification stays until the user acts, and the command's caller should not wait.
      for (const { uri, validation } of results) {
        const summary = `${path.basename(uri.path)}: ${describe(validation)}`;
        const errors = validation.diagnostics.some((d) => d.severity === 'error');
        const show = vscode.l10n.t('Show Problems');
        void (
          errors ? vscode.window.showWarningMessage(summary, show) : vscode.window.showInformationMessage(summary, show)
        ).then((pick) => {
          if (pick === show) void vscode.commands.executeCommand('workbench.actions.view.problems');
        });
      }
      return results.map((r) => ({ uri: r.uri.toString(), diagnostics: r.validation.diagnostics.length }));
    },
  );
}

async function validateUri(
  uri: vscode.Uri,
  signal: AbortSignal,
  onProgress: (read: number, total: number) => void,
): Promise<BatchValidation> {
  if (uri.scheme === 'file') return validateFile(uri.fsPath, { signal, onProgress });
  // Virtual file systems cannot be streamed from Node; read through VS Code instead.
  const bytes = await vscode.workspace.fs.readFile(uri);
  onProgress(bytes.byteLength, bytes.byteLength);
  // Through the engine in 1 MiB chunks, with a turn of the event loop between them.
  const { lineCount: _, ...validation } = await validateBytes([bytes], { signal });
  return validation;
}

function describe(v: BatchValidation): string {
  const count = (s: string) => v.diagnostics.filter((d) => d.severity === s).length;
  return vscode.l10n.t(
    '{0} errors, {1} warnings, {2} infos; {3} rows, {4} bytes, {5} upload(s)',
    count('error'),
    count('warning'),
    count('info'),
    v.summary.rows,
    v.summary.bytes,
    v.summary.uploads,
  );
}
