import * as vscode from 'vscode';
import { OUTPUT_CHANNEL_NAME } from './contributions';
import * as output from './features/output';
import type { FeatureRegistration, Services } from './features/services';

// The composition root: it builds the shared services and registers every feature, nothing else.
const features: FeatureRegistration[] = [output.register];

export interface ExtensionApi {
  readonly services: Services;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const log = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  context.subscriptions.push(log);
  const services: Services = { log };
  for (const register of features) context.subscriptions.push(register(context, services));
  log.info(`Target Profiles ${context.extension.packageJSON.version} activated`);
  return { services };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions and disposed by VS Code.
}
