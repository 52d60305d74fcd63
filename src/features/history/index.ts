import * as vscode from 'vscode';
import { toCurl } from '../../core/profiles/curl';
import { Commands } from '../../contributions';
import type { FeatureRegistration } from '../../services';

/** History actions: "Copy as cURL" (never with the token) and clearing the history. */
export const register: FeatureRegistration = (_context, services) =>
  vscode.Disposable.from(
    vscode.commands.registerCommand(Commands.copyAsCurl, async (arg?: unknown) => {
      const id =
        typeof arg === 'string'
          ? arg
          : arg && typeof arg === 'object'
            ? (arg as { entryId?: string }).entryId
            : undefined;
      let entry = id ? services.history.get(id) : undefined;
      if (!entry) {
        const withRequests = services.history.all().filter((e) => e.request);
        const pick = await vscode.window.showQuickPick(
          withRequests.map((e) => ({ label: e.summary, description: new Date(e.time).toLocaleString(), entry: e })),
          { placeHolder: vscode.l10n.t('Which request to copy as cURL?') },
        );
        entry = pick?.entry;
      }
      if (!entry?.request) return undefined;
      const command = toCurl(entry.request);
      await vscode.env.clipboard.writeText(command);
      void vscode.window.showInformationMessage(
        entry.request.authenticated
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
