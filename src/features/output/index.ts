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
      return count;
    }),
  );
