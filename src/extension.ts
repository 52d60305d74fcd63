import * as vscode from 'vscode';
import { OUTPUT_CHANNEL_NAME } from './contributions';
import * as batchSubmission from './features/batch-submission';
import { JournalStore } from './features/batch-submission/journalStore';
import * as batchValidation from './features/batch-validation';
import { BatchProblems } from './features/batch-validation/problems';
import * as connections from './features/connections';
import { ConnectionStore } from './features/connections/store';
import * as emulator from './features/emulator';
import * as history from './features/history';
import { HistoryStore } from './features/history/store';
import * as output from './features/output';
import * as profiles from './features/profiles';
import * as scenarios from './features/scenarios';
import type { FeatureRegistration, Services } from './features/services';
import { TargetAccess } from './features/targetAccess';
import * as tree from './features/tree';
import { TargetTree } from './features/tree';

// The composition root: it builds the shared services and registers every feature, nothing else.
const features: FeatureRegistration[] = [
  output.register,
  connections.register,
  tree.register,
  profiles.register,
  history.register,
  batchValidation.register,
  batchSubmission.register,
  scenarios.register,
  emulator.register,
];

/** What activation returns: the services, and where state is kept (the integration tests inspect it). */
export interface ExtensionApi {
  readonly services: Services;
  readonly globalState: vscode.Memento;
  readonly globalStorageUri: vscode.Uri;
  /**
   * Disposes every feature and starts them again from stored state, as a window reload does.
   * The integration tests use it to prove that submissions and tracking survive a reload.
   */
  restart(): ExtensionApi;
}

function start(context: vscode.ExtensionContext): { services: Services; disposable: vscode.Disposable } {
  const log = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  const connectionStore = new ConnectionStore(context);
  const historyStore = new HistoryStore(context.globalState);
  const journal = new JournalStore(context.globalState);
  const services: Services = {
    log,
    connections: connectionStore,
    history: historyStore,
    targets: new TargetAccess(connectionStore, log),
    batches: journal,
    batchProblems: new BatchProblems(log),
    tree: new TargetTree({ connections: connectionStore, history: historyStore, batches: journal }),
  };
  const owned: vscode.Disposable[] = [log, connectionStore, historyStore, journal, services.batchProblems, services.tree];
  for (const register of features) owned.push(register(context, services));
  log.info(`Target Profiles ${context.extension.packageJSON.version} activated`);
  let disposed = false;
  const disposable = new vscode.Disposable(() => {
    if (disposed) return;
    disposed = true;
    for (const d of owned.reverse()) d.dispose();
  });
  return { services, disposable };
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  let current = start(context);
  context.subscriptions.push(current.disposable);
  // One API object for the extension's lifetime; `services` always names the running ones.
  const api: ExtensionApi = {
    get services() {
      return current.services;
    },
    globalState: context.globalState,
    globalStorageUri: context.globalStorageUri,
    restart: () => {
      current.disposable.dispose();
      current = start(context);
      context.subscriptions.push(current.disposable);
      return api;
    },
  };
  return api;
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions and disposed by VS Code.
}
