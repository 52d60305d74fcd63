import * as vscode from 'vscode';
import { OUTPUT_CHANNEL_NAME } from './contributions';
import * as batchSubmission from './features/batch-submission';
import { JournalStore } from './services/journalStore';
import * as batchValidation from './features/batch-validation';
import { BatchProblems } from './services/batchProblems';
import * as connections from './features/connections';
import { ConnectionStore } from './services/connectionStore';
import * as emulator from './features/emulator';
import * as history from './features/history';
import { HistoryStore } from './services/historyStore';
import * as output from './features/output';
import * as preview from './features/preview';
import * as profiles from './features/profiles';
import * as scenarios from './features/scenarios';
import type { FeatureRegistration, Services } from './services';
import { TargetAccess } from './services/targetAccess';
import { useDisplayLanguage } from './core/displayLanguage';
import * as tree from './features/tree';
import { TargetTree } from './services/targetTree';

/** Set by esbuild's banner on the first line of dist/extension.js: when the bundle began to load. */
declare const __targetProfilesLoadStart: number | undefined;

// The composition root: it builds the shared services and registers every feature, nothing else.
const features: Record<string, FeatureRegistration> = {
  output: output.register,
  connections: connections.register,
  tree: tree.register,
  profiles: profiles.register,
  history: history.register,
  batchValidation: batchValidation.register,
  batchSubmission: batchSubmission.register,
  scenarios: scenarios.register,
  emulator: emulator.register,
  preview: preview.register,
};

/**
 * What activation returns, in the integration tests' host only (ExtensionMode.Test): the services and
 * where state is kept. Any installed extension can read another's exports, and these reach every
 * token and client secret (TypeScript `private` is a plain property at run time), so a user's VS Code
 * gets `undefined` instead.
 */
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
  const servicesStart = performance.now();
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
  const owned: vscode.Disposable[] = [
    log,
    connectionStore,
    historyStore,
    journal,
    services.batchProblems,
    services.tree,
  ];
  const timings: string[] = [`services ${(performance.now() - servicesStart).toFixed(1)}`];
  for (const [name, register] of Object.entries(features)) {
    const t = performance.now();
    owned.push(register(context, services));
    timings.push(`${name} ${(performance.now() - t).toFixed(1)}`);
  }
  log.debug(`activation steps (ms): ${timings.join(', ')}`);
  log.info(`Target Profiles ${context.extension.packageJSON.version} activated`);
  let disposed = false;
  const disposable = new vscode.Disposable(() => {
    if (disposed) return;
    disposed = true;
    for (const d of owned.reverse()) d.dispose();
  });
  return { services, disposable };
}

export function activate(context: vscode.ExtensionContext): ExtensionApi | undefined {
  const started = performance.now();
  // The core's messages (batch diagnostics, fix titles, errors) come from the same l10n bundle.
  useDisplayLanguage(vscode.env.language, vscode.l10n.bundle);
  let current = start(context);
  // Read by `npm run bench` from the log file of an installed VSIX: activation must stay cheap.
  current.services.log.info(
    `activation took ${(performance.now() - started + moduleLoadMs).toFixed(1)} ms (module load ${moduleLoadMs.toFixed(1)} ms)`,
  );
  context.subscriptions.push(current.disposable);
  if (context.extensionMode !== vscode.ExtensionMode.Test) return undefined;
  // One API object for the test run; `services` always names the running ones.
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

/** Evaluating the bundle, from its first line to here (all imports have run). */
const moduleLoadMs = typeof __targetProfilesLoadStart === 'number' ? performance.now() - __targetProfilesLoadStart : 0;

export function deactivate(): void {
  // Everything is owned by context.subscriptions and disposed by VS Code.
}
