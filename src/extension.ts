import * as vscode from 'vscode';
import { OUTPUT_CHANNEL_NAME } from './contributions';
import * as batchValidation from './features/batch-validation';
import * as connections from './features/connections';
import { ConnectionStore } from './features/connections/store';
import * as emulator from './features/emulator';
import * as history from './features/history';
import { HistoryStore } from './features/history/store';
import * as output from './features/output';
import * as profiles from './features/profiles';
import type { FeatureRegistration, Services } from './features/services';
import { TargetAccess } from './features/targetAccess';
import * as tree from './features/tree';

// The composition root: it builds the shared services and registers every feature, nothing else.
const features: FeatureRegistration[] = [
  output.register,
  connections.register,
  tree.register,
  profiles.register,
  history.register,
  batchValidation.register,
  emulator.register,
];

/** What activation returns: the services, and where state is kept (the integration tests inspect it). */
export interface ExtensionApi {
  readonly services: Services;
  readonly globalState: vscode.Memento;
  readonly globalStorageUri: vscode.Uri;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const log = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  const connectionStore = new ConnectionStore(context);
  const historyStore = new HistoryStore(context.globalState);
  context.subscriptions.push(log, connectionStore, historyStore);
  const services: Services = { log, connections: connectionStore, history: historyStore, targets: new TargetAccess(connectionStore, log) };
  for (const register of features) context.subscriptions.push(register(context, services));
  log.info(`Target Profiles ${context.extension.packageJSON.version} activated`);
  return { services, globalState: context.globalState, globalStorageUri: context.globalStorageUri };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions and disposed by VS Code.
}
