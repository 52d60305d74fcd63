import * as vscode from 'vscode';
import { Commands } from '../../contributions';
import type { FeatureRegistration } from '../services';

/** "Target Profiles: Show Output" reveals the log channel every request is written to. */
export const register: FeatureRegistration = (_context, services) =>
  vscode.commands.registerCommand(Commands.showOutput, () => services.log.show(true));
