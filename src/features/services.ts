import type * as vscode from 'vscode';
import type { ConnectionStore } from './connections/store';
import type { HistoryStore } from './history/store';
import type { TargetAccess } from './targetAccess';

/** What the composition root hands every feature. */
export interface Services {
  readonly log: vscode.LogOutputChannel;
  readonly connections: ConnectionStore;
  readonly history: HistoryStore;
  readonly targets: TargetAccess;
}

/** Each feature folder exports a `register` of this shape and owns what it registers. */
export type FeatureRegistration = (context: vscode.ExtensionContext, services: Services) => vscode.Disposable;
