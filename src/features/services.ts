import type * as vscode from 'vscode';

/** What the composition root hands every feature. Grows as features need shared parts. */
export interface Services {
  readonly log: vscode.LogOutputChannel;
}

/** Each feature folder exports a `register` of this shape and owns what it registers. */
export type FeatureRegistration = (context: vscode.ExtensionContext, services: Services) => vscode.Disposable;
