import * as vscode from 'vscode';
import { toCurl, type CurlRequest } from '../../core/profiles/curl';
import { Commands } from '../../contributions';
import type { FeatureRegistration, Services } from '../../services';

/** History actions: "Copy as cURL" (never with the token) and clearing the history. */
export const register: FeatureRegistration = (_context, services) =>
  vscode.Disposable.from(
    vscode.commands.registerCommand(Commands.copyAsCurl, async (arg?: unknown) => {
      let request = await requestOf(services, arg);
      if (!request && arg === undefined) {
        const withRequests = services.history.all().filter((e) => e.request);
        const pick = await vscode.window.showQuickPick(
          withRequests.map((e) => ({
            label: e.summary,
            description: `${e.kind} · ${new Date(e.time).toLocaleString()}`,
            entry: e,
          })),
          { placeHolder: vscode.l10n.t('Which request to copy as cURL?') },
        );
        request = pick?.entry.request;
      }
      if (!request) return undefined;
      const command = toCurl(request);
      await vscode.env.clipboard.writeText(command);
      void vscode.window.showInformationMessage(
        request.authenticated
          ? vscode.l10n.t('Copied. The command reads the token from $TARGET_PROFILE_TOKEN.')
          : vscode.l10n.t('Copied as cURL.'),
      );
      return command;
    }),
    vscode.commands.registerCommand(Commands.clearHistory, async (arg?: unknown) => {
      const connectionId = arg && typeof arg === 'object' ? (arg as { connectionId?: string }).connectionId : undefined;
      await services.history.clear(connectionId);
    }),
  );

/**
 * The request behind a History entry (its id, or a tree node with `entryId`) or behind a batch row
 * (a node with `submissionId`, and `index` for one upload of several): the batch status look-up.
 */
async function requestOf(services: Services, arg: unknown): Promise<CurlRequest | undefined> {
  const node =
    arg && typeof arg === 'object' ? (arg as { entryId?: string; submissionId?: string; index?: number }) : {};
  const entryId = typeof arg === 'string' ? arg : node.entryId;
  if (entryId) return services.history.get(entryId)?.request;
  if (!node.submissionId) return undefined;
  const submission = services.batches.get(node.submissionId);
  const upload = submission?.uploads.find((u) => u.batchStatus && (node.index === undefined || u.index === node.index));
  if (!submission || !upload?.batchStatus) return undefined;
  const connection = services.connections.get(submission.connectionId);
  const token = connection ? await services.connections.token(connection.id) : undefined;
  return { method: 'GET', url: upload.batchStatus, authenticated: !!token || !!connection?.credentials };
}
