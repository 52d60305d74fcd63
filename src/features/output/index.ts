import * as vscode from 'vscode';
import { Commands } from '../../contributions';
import type { FeatureRegistration } from '../../services';

/** The log channel every request is written to, and stopping what is in flight. */
export const register: FeatureRegistration = (_context, services) =>
  vscode.Disposable.from(
    vscode.commands.registerCommand(Commands.showOutput, () => services.log.show(true)),
    vscode.commands.registerCommand(Commands.cancelRequests, () => {
      const count = services.targets.cancelAll();
      services.log.info(`cancelled ${count} request(s) in flight`);
      void vscode.window.showInformationMessage(
        count === 0
          ? vscode.l10n.t('No requests were running.')
          : count === 1
            ? vscode.l10n.t('Stopped 1 running request.')
            : vscode.l10n.t('Stopped {0} running requests.', count),
      );
      return count;
    }),
  );
