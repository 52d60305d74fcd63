import * as vscode from 'vscode';
import { checkClientCode, checkSafeUrl } from '../../core/target/connection';
import { Commands } from '../../contributions';
import type { FeatureRegistration } from '../services';
import { describeConnection, type Connection } from './store';

/** What "Add Connection" can be given instead of asking (tests, walkthrough, "Try the emulator"). */
export interface ConnectionInput {
  name: string;
  clientCode: string;
  apiVersion?: 'v1' | 'v2';
  baseUrl?: string;
  token?: string;
}

/** Connections: add, edit, remove, switch the active one; the active one in the status bar. */
export const register: FeatureRegistration = (_context, services) => {
  const { connections } = services;
  const status = vscode.window.createStatusBarItem('targetProfiles.activeConnection', vscode.StatusBarAlignment.Left, 10);
  status.name = vscode.l10n.t('Target Profiles connection');
  status.command = Commands.switchConnection;
  const refreshStatus = () => {
    const active = connections.active();
    status.text = active ? `$(target) ${active.name}` : `$(target) ${vscode.l10n.t('No Target connection')}`;
    status.tooltip = active ? vscode.l10n.t('Target connection: {0}. Click to switch.', describeConnection(active)) : vscode.l10n.t('Add a Target connection');
    status.show();
  };
  refreshStatus();

  const pickConnection = async (placeHolder: string): Promise<Connection | undefined> => {
    const list = connections.list();
    if (list.length === 0) {
      void vscode.commands.executeCommand(Commands.addConnection);
      return undefined;
    }
    const active = connections.active();
    const pick = await vscode.window.showQuickPick(
      list.map((c) => ({ label: c.name, description: describeConnection(c), detail: c.id === active?.id ? vscode.l10n.t('Active') : undefined, connection: c })),
      { placeHolder },
    );
    return pick?.connection;
  };
  const target = async (arg: unknown, placeHolder: string) => connectionArg(arg, connections.get.bind(connections)) ?? (await pickConnection(placeHolder));

  return vscode.Disposable.from(
    status,
    connections.onDidChange(refreshStatus),
    vscode.commands.registerCommand(Commands.addConnection, async (input?: ConnectionInput) => {
      const answers = input ?? (await askConnection());
      if (!answers) return undefined;
      const connection: Connection = {
        id: connections.newId(),
        name: answers.name,
        clientCode: answers.clientCode,
        apiVersion: answers.apiVersion ?? 'v2',
        ...(answers.baseUrl ? { baseUrl: answers.baseUrl } : {}),
      };
      await connections.save(connection, answers.token || undefined);
      await connections.setActive(connection.id);
      services.log.info(`added connection ${connection.name} (${describeConnection(connection)})${answers.token ? ' with a token in SecretStorage' : ''}`);
      return connection.id;
    }),
    vscode.commands.registerCommand(Commands.editConnection, async (arg?: unknown) => {
      const connection = await target(arg, vscode.l10n.t('Connection to edit'));
      if (!connection) return;
      const answers = await askConnection(connection);
      if (!answers) return;
      await connections.save(
        { ...connection, name: answers.name, clientCode: answers.clientCode, apiVersion: answers.apiVersion ?? connection.apiVersion, baseUrl: answers.baseUrl || undefined },
        answers.token === undefined ? undefined : answers.token || null,
      );
    }),
    vscode.commands.registerCommand(Commands.setConnectionToken, async (arg?: unknown) => {
      const connection = await target(arg, vscode.l10n.t('Connection whose token to set'));
      if (!connection) return;
      const token = await vscode.window.showInputBox({
        title: vscode.l10n.t('Profile API token for {0}', connection.name),
        prompt: vscode.l10n.t('Stored in VS Code\'s secret storage only. Leave empty to remove the token.'),
        password: true,
        ignoreFocusOut: true,
      });
      if (token === undefined) return;
      await connections.save(connection, token.trim() || null);
    }),
    vscode.commands.registerCommand(Commands.removeConnection, async (arg?: unknown) => {
      const connection = await target(arg, vscode.l10n.t('Connection to remove'));
      if (!connection) return;
      const remove = vscode.l10n.t('Remove');
      const answer = await vscode.window.showWarningMessage(
        vscode.l10n.t('Remove the connection "{0}" and its stored token?', connection.name),
        { modal: true },
        remove,
      );
      if (answer === remove) await connections.remove(connection.id);
    }),
    vscode.commands.registerCommand(Commands.switchConnection, async (arg?: unknown) => {
      const connection = await target(arg, vscode.l10n.t('Make this the active Target connection'));
      if (connection) await connections.setActive(connection.id);
    }),
  );
};

/** A connection passed by a tree item, by id, or as a connection object. */
export function connectionArg(arg: unknown, get: (id: string) => Connection | undefined): Connection | undefined {
  if (typeof arg === 'string') return get(arg);
  if (arg && typeof arg === 'object') {
    const id = (arg as { connectionId?: string; id?: string }).connectionId ?? (arg as { id?: string }).id;
    if (typeof id === 'string') return get(id);
  }
  return undefined;
}

/** The multi-step input of Add/Edit Connection; every step validates as the user types. */
async function askConnection(existing?: Connection): Promise<ConnectionInput | undefined> {
  const title = existing ? vscode.l10n.t('Edit Target Connection') : vscode.l10n.t('Add Target Connection');
  const clientCode = await vscode.window.showInputBox({
    title: `${title} (1/5)`,
    prompt: vscode.l10n.t('Client code (Target → Administration → Implementation → Account Details)'),
    value: existing?.clientCode,
    ignoreFocusOut: true,
    validateInput: (v) => problemOf(() => checkClientCode(v.trim())),
  });
  if (clientCode === undefined) return undefined;
  const name = await vscode.window.showInputBox({ title: `${title} (2/5)`, prompt: vscode.l10n.t('A name for this connection'), value: existing?.name ?? clientCode.trim(), ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Give it a name.')) });
  if (name === undefined) return undefined;
  const version = await vscode.window.showQuickPick(
    [
      { label: 'v2', description: vscode.l10n.t('Bulk updates create missing profiles (current version)'), value: 'v2' as const },
      { label: 'v1', description: vscode.l10n.t('Bulk updates only change existing profiles'), value: 'v1' as const },
    ],
    { title: `${title} (3/5)`, placeHolder: vscode.l10n.t('Default bulk API version'), ignoreFocusOut: true },
  );
  if (!version) return undefined;
  const baseUrl = await vscode.window.showInputBox({
    title: `${title} (4/5)`,
    prompt: vscode.l10n.t('Base URL: leave empty for https://{0}.tt.omtrdc.net, or give an edge host or a local emulator', clientCode.trim()),
    value: existing?.baseUrl ?? '',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' ? undefined : problemOf(() => checkSafeUrl(v.trim(), 'base URL'))),
  });
  if (baseUrl === undefined) return undefined;
  const token = await vscode.window.showInputBox({
    title: `${title} (5/5)`,
    prompt: existing
      ? vscode.l10n.t('Profile API token: leave empty to keep the stored one (use "Set Token" to remove it)')
      : vscode.l10n.t('Profile API token, if "Require Authentication" is on: kept in VS Code\'s secret storage only'),
    password: true,
    ignoreFocusOut: true,
  });
  if (token === undefined) return undefined;
  return {
    name: name.trim(),
    clientCode: clientCode.trim(),
    apiVersion: version.value,
    baseUrl: baseUrl.trim() || undefined,
    token: existing && token.trim() === '' ? undefined : token.trim(),
  };
}

function problemOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
