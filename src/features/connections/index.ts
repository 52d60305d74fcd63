import * as vscode from 'vscode';
import { DEFAULT_SCOPES, checkCredentials, normaliseScopes } from '../../core/auth/tokenProvider';
import { checkClientCode, checkSafeUrl, type UrlName } from '../../core/target/connection';
import { Commands } from '../../contributions';
import type { FeatureRegistration, Services } from '../../services';
import { describeError } from '../../services/targetAccess';
import {
  connectionArg,
  describeConnection,
  type Connection,
  type ConnectionCredentials,
} from '../../services/connectionStore';

/** What "Add Connection" can be given instead of asking (tests, walkthrough, "Try the emulator"). */
interface ConnectionInput {
  name: string;
  clientCode: string;
  apiVersion?: 'v1' | 'v2';
  baseUrl?: string;
  token?: string;
  /** Instead of `token`: a Developer Console credential; the secret goes to SecretStorage only. */
  credentials?: CredentialsInput;
}

interface CredentialsInput {
  clientId: string;
  /** Empty when editing: keep the stored one. */
  clientSecret: string;
  tenant: string;
  scopes?: string | string[];
  imsUrl?: string;
  adminUrl?: string;
}

/** The stored (non-secret) part of credentials as typed. */
function credentialsOf(input: CredentialsInput): ConnectionCredentials {
  const credentials: ConnectionCredentials = {
    clientId: input.clientId.trim(),
    scopes: normaliseScopes(input.scopes),
    tenant: input.tenant.trim(),
    ...(input.imsUrl?.trim() ? { imsUrl: input.imsUrl.trim() } : {}),
    ...(input.adminUrl?.trim() ? { adminUrl: input.adminUrl.trim() } : {}),
  };
  checkCredentials(credentials);
  return credentials;
}

/** Connections: add, edit, remove, switch the active one; the active one in the status bar. */
export const register: FeatureRegistration = (_context, services) => {
  const { connections } = services;
  const status = vscode.window.createStatusBarItem(
    'targetProfiles.activeConnection',
    vscode.StatusBarAlignment.Left,
    10,
  );
  status.name = vscode.l10n.t('Target Profiles connection');
  status.command = Commands.switchConnection;
  const refreshStatus = () => {
    const active = connections.active();
    status.text = active ? `$(target) ${active.name}` : `$(target) ${vscode.l10n.t('No Target connection')}`;
    status.tooltip = active
      ? vscode.l10n.t('Target connection: {0}. Click to switch.', describeConnection(active))
      : vscode.l10n.t('Add a Target connection');
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
      list.map((c) => ({
        label: c.name,
        description: describeConnection(c),
        detail: c.id === active?.id ? vscode.l10n.t('Active') : undefined,
        connection: c,
      })),
      { placeHolder },
    );
    return pick?.connection;
  };
  const target = async (arg: unknown, placeHolder: string) =>
    connectionArg(arg, connections.get.bind(connections)) ?? (await pickConnection(placeHolder));

  return vscode.Disposable.from(
    status,
    connections.onDidChange(refreshStatus),
    vscode.commands.registerCommand(Commands.addConnection, async (input?: ConnectionInput) => {
      const answers = input ?? (await askConnection());
      if (!answers) return undefined;
      if (answers.token && answers.credentials) {
        throw new Error(vscode.l10n.t('Give either a profile API token or Developer Console credentials, not both.'));
      }
      if (answers.credentials && !answers.credentials.clientSecret) {
        throw new Error(vscode.l10n.t('The Developer Console client secret is empty.'));
      }
      const connection: Connection = {
        id: connections.newId(),
        name: answers.name,
        clientCode: answers.clientCode,
        apiVersion: answers.apiVersion ?? 'v2',
        ...(answers.baseUrl ? { baseUrl: answers.baseUrl } : {}),
        ...(answers.credentials ? { credentials: credentialsOf(answers.credentials) } : {}),
      };
      await connections.save(connection, answers.token || undefined, answers.credentials?.clientSecret);
      await connections.setActive(connection.id);
      const how = answers.credentials
        ? ` with Developer Console credentials for tenant ${connection.credentials!.tenant} (secret in SecretStorage)`
        : answers.token
          ? ' with a token in SecretStorage'
          : '';
      services.log.info(`added connection ${connection.name} (${describeConnection(connection)})${how}`);
      return connection.id;
    }),
    vscode.commands.registerCommand(Commands.editConnection, async (arg?: unknown) => {
      const connection = await target(arg, vscode.l10n.t('Connection to edit'));
      if (!connection) return;
      const answers = await askConnection(connection);
      if (!answers) return;
      const credentials = answers.credentials ? credentialsOf(answers.credentials) : undefined;
      await connections.save(
        {
          ...connection,
          name: answers.name,
          clientCode: answers.clientCode,
          apiVersion: answers.apiVersion ?? connection.apiVersion,
          baseUrl: answers.baseUrl || undefined,
          credentials,
          // A status found with other credentials says nothing about these.
          authStatus:
            credentials && JSON.stringify(credentials) === JSON.stringify(connection.credentials)
              ? connection.authStatus
              : undefined,
        },
        // Switching to credentials removes a pasted token; switching to a token removes the secret (save does).
        credentials ? null : answers.token === undefined ? undefined : answers.token || null,
        credentials ? answers.credentials!.clientSecret || undefined : null,
      );
    }),
    vscode.commands.registerCommand(Commands.setConnectionToken, async (arg?: unknown) => {
      const connection = await target(arg, vscode.l10n.t('Connection whose token to set'));
      if (!connection) return;
      const token = await vscode.window.showInputBox({
        title: vscode.l10n.t('Profile API token for {0}', connection.name),
        prompt: vscode.l10n.t("Stored in VS Code's secret storage only. Leave empty to remove the token."),
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
    vscode.commands.registerCommand(Commands.rotateProfileToken, async (arg?: unknown) => {
      const connection = await target(arg, vscode.l10n.t('Connection whose profile API token to rotate'));
      if (!connection || !needsCredentials(connection)) return undefined;
      const rotate = vscode.l10n.t('Rotate Token');
      const confirmed =
        (await vscode.window.showWarningMessage(
          vscode.l10n.t('Rotate the profile API token of tenant "{0}"?', connection.credentials!.tenant),
          {
            modal: true,
            detail: vscode.l10n.t(
              'Target accepts only the new token from now on: every other tool, script, integration or colleague still using the current token stops working until it gets the new one. This connection fetches the new token itself.',
            ),
          },
          rotate,
        )) === rotate;
      if (!confirmed) return undefined;
      try {
        await services.targets.withProgress(
          vscode.l10n.t('Rotating the profile API token of {0}', connection.name),
          async (signal) => {
            const provider = await services.targets.tokenProviderFor(connection);
            await provider!.rotate(signal);
          },
        );
        services.log.info(
          `rotated the profile API token of tenant ${connection.credentials!.tenant} (connection ${connection.name})`,
        );
        void vscode.window.showInformationMessage(
          vscode.l10n.t('The profile API token of {0} was rotated; the old token no longer works.', connection.name),
        );
        return true;
      } catch (error) {
        const message = describeError(error);
        services.log.error(`rotating the profile API token of ${connection.name} failed: ${message}`);
        void vscode.window.showErrorMessage(vscode.l10n.t('Rotating the profile API token failed: {0}', message));
        return false;
      }
    }),
    vscode.commands.registerCommand(Commands.checkAuthentication, async (arg?: unknown) =>
      checkAuthentication(services, await target(arg, vscode.l10n.t('Connection to check'))),
    ),
  );
};

/** Rotation and the settings check go through the Admin API, which only Developer Console credentials reach. */
function needsCredentials(connection: Connection): boolean {
  if (connection.credentials) return true;
  void vscode.window.showWarningMessage(
    vscode.l10n.t(
      'The connection "{0}" uses a pasted token. The Target Admin API needs Developer Console credentials: edit the connection and choose them, or manage the token in Target (Administration → Implementation → Profile API).',
      connection.name,
    ),
  );
  return false;
}

/** Fetches "Require Authentication" (enableProfileApiAuthentication), records it for the tree and shows it. */
async function checkAuthentication(
  services: Services,
  connection: Connection | undefined,
): Promise<boolean | undefined> {
  if (!connection || !needsCredentials(connection)) return undefined;
  try {
    const required = await services.targets.withProgress(
      vscode.l10n.t('Checking Require Authentication for {0}', connection.name),
      async (signal) => {
        const provider = await services.targets.tokenProviderFor(connection);
        return provider!.authenticationRequired(signal);
      },
    );
    await services.connections.setAuthStatus(connection.id, required);
    services.tree.refresh();
    void vscode.window.showInformationMessage(
      required
        ? vscode.l10n.t(
            '{0}: "Require Authentication" is on; every Profile API call carries the token from the Admin API.',
            connection.name,
          )
        : vscode.l10n.t(
            '{0}: "Require Authentication" is off; Target accepts Profile API calls without a token.',
            connection.name,
          ),
    );
    return required;
  } catch (error) {
    const message = describeError(error);
    services.log.error(`checking Require Authentication for ${connection.name} failed: ${message}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Checking "Require Authentication" failed: {0}', message));
    return undefined;
  }
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
  const name = await vscode.window.showInputBox({
    title: `${title} (2/5)`,
    prompt: vscode.l10n.t('A name for this connection'),
    value: existing?.name ?? clientCode.trim(),
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Give it a name.')),
  });
  if (name === undefined) return undefined;
  const version = await vscode.window.showQuickPick(
    [
      {
        label: 'v2',
        description: vscode.l10n.t('Bulk updates create missing profiles (current version)'),
        value: 'v2' as const,
      },
      { label: 'v1', description: vscode.l10n.t('Bulk updates only change existing profiles'), value: 'v1' as const },
    ],
    { title: `${title} (3/5)`, placeHolder: vscode.l10n.t('Default bulk API version'), ignoreFocusOut: true },
  );
  if (!version) return undefined;
  const baseUrl = await vscode.window.showInputBox({
    title: `${title} (4/5)`,
    prompt: vscode.l10n.t(
      'Base URL: leave empty for https://{0}.tt.omtrdc.net, or give an edge host or a local emulator',
      clientCode.trim(),
    ),
    value: existing?.baseUrl ?? '',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' ? undefined : problemOf(() => checkSafeUrl(v.trim(), 'base URL'))),
  });
  if (baseUrl === undefined) return undefined;
  const byToken = {
    label: vscode.l10n.t('Profile API token'),
    description: vscode.l10n.t('Pasted from Target (Administration → Implementation → Profile API), or none'),
    value: 'token' as const,
  };
  const byCredentials = {
    label: vscode.l10n.t('Developer Console credentials'),
    description: vscode.l10n.t(
      'OAuth server-to-server client id and secret: the token is fetched and refreshed for you',
    ),
    value: 'credentials' as const,
  };
  const method = await vscode.window.showQuickPick(
    // The connection's current way first.
    existing?.credentials ? [byCredentials, byToken] : [byToken, byCredentials],
    {
      title: `${title} (5/5)`,
      placeHolder: vscode.l10n.t('How this connection authenticates when "Require Authentication" is on'),
      ignoreFocusOut: true,
    },
  );
  if (!method) return undefined;
  const common = {
    name: name.trim(),
    clientCode: clientCode.trim(),
    apiVersion: version.value,
    baseUrl: baseUrl.trim() || undefined,
  };
  if (method.value === 'credentials') {
    const credentials = await askCredentials(title, existing?.credentials);
    return credentials && { ...common, credentials };
  }
  const token = await vscode.window.showInputBox({
    title: `${title} (5/5)`,
    prompt:
      existing && !existing.credentials
        ? vscode.l10n.t('Profile API token: leave empty to keep the stored one (use "Set Token" to remove it)')
        : vscode.l10n.t('Profile API token, if "Require Authentication" is on: kept in VS Code\'s secret storage only'),
    password: true,
    ignoreFocusOut: true,
  });
  if (token === undefined) return undefined;
  return { ...common, token: existing && !existing.credentials && token.trim() === '' ? undefined : token.trim() };
}

/** The credential's fields, one input each; the secret may be left empty to keep the stored one. */
async function askCredentials(title: string, existing?: ConnectionCredentials): Promise<CredentialsInput | undefined> {
  const ask = (step: string, prompt: string, options: vscode.InputBoxOptions = {}) =>
    vscode.window.showInputBox({ title: `${title}: ${step}`, prompt, ignoreFocusOut: true, ...options });
  const clientId = await ask(
    vscode.l10n.t('client id'),
    vscode.l10n.t("Client ID of the Developer Console project's OAuth server-to-server credential"),
    {
      value: existing?.clientId,
      validateInput: (v) =>
        /^[\x21-\x7e]+$/.test(v.trim()) ? undefined : vscode.l10n.t('Paste the client ID (no spaces).'),
    },
  );
  if (clientId === undefined) return undefined;
  const clientSecret = await ask(
    vscode.l10n.t('client secret'),
    existing
      ? vscode.l10n.t('Client secret: leave empty to keep the stored one')
      : vscode.l10n.t("Client secret: kept in VS Code's secret storage only"),
    {
      password: true,
      validateInput: (v) => (existing || v.trim() ? undefined : vscode.l10n.t('Paste the client secret.')),
    },
  );
  if (clientSecret === undefined) return undefined;
  const tenant = await ask(
    vscode.l10n.t('tenant'),
    vscode.l10n.t('Target tenant of the Admin API (mc.adobe.io/TENANT/target/...): not the client code'),
    {
      value: existing?.tenant,
      validateInput: (v) => problemOf(() => checkCredentials({ clientId: 'x', tenant: v.trim() })),
    },
  );
  if (tenant === undefined) return undefined;
  const scopes = await ask(
    vscode.l10n.t('scopes'),
    vscode.l10n.t('Scopes, comma-separated, as the credential in Developer Console lists them'),
    {
      value: (existing?.scopes ?? DEFAULT_SCOPES).join(','),
    },
  );
  if (scopes === undefined) return undefined;
  const url = (what: UrlName) => (v: string) =>
    v.trim() === '' ? undefined : problemOf(() => checkSafeUrl(v.trim(), what));
  const imsUrl = await ask(
    vscode.l10n.t('IMS URL'),
    vscode.l10n.t('Adobe IMS: leave empty for https://ims-na1.adobelogin.com (a local emulator may stand in)'),
    {
      value: existing?.imsUrl ?? '',
      validateInput: url('Adobe IMS URL'),
    },
  );
  if (imsUrl === undefined) return undefined;
  const adminUrl = await ask(
    vscode.l10n.t('Admin API URL'),
    vscode.l10n.t('Target Admin API: leave empty for https://mc.adobe.io'),
    {
      value: existing?.adminUrl ?? '',
      validateInput: url('Target Admin API URL'),
    },
  );
  if (adminUrl === undefined) return undefined;
  return {
    clientId: clientId.trim(),
    clientSecret: clientSecret.trim(),
    tenant: tenant.trim(),
    scopes,
    imsUrl: imsUrl.trim() || undefined,
    adminUrl: adminUrl.trim() || undefined,
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
