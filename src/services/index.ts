import type * as vscode from 'vscode';
import type { BatchProblems } from './batchProblems';
import type { JournalStore } from './journalStore';
import type { ConnectionStore } from './connectionStore';
import type { HistoryStore } from './historyStore';
import type { TargetAccess } from './targetAccess';
import type { TargetTree } from './targetTree';

/** What the composition root hands every feature. */
export interface Services {
  readonly log: vscode.LogOutputChannel;
  readonly connections: ConnectionStore;
  readonly history: HistoryStore;
  readonly targets: TargetAccess;
  /** The submission journal: every batch uploaded and what Target said of it. */
  readonly batches: JournalStore;
  /** Problems of batch files, shown in the Problems panel; submission reports into it too. */
  readonly batchProblems: BatchProblems;
  /** The data behind the Target Profiles view. */
  readonly tree: TargetTree;
}

/** Each feature folder exports a `register` of this shape and owns what it registers. */
export type FeatureRegistration = (context: vscode.ExtensionContext, services: Services) => vscode.Disposable;
