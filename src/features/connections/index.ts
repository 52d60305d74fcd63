import * as vscode from 'vscode';
import { checkCredentials, normaliseScopes } from '../../core/auth/tokenProvider';
import { Commands } from '../../contributions';
import type { FeatureRegistration, Services } from '../../services';
import { describeError } from '../../services/targetAccess';
import {
  connectionArg,
  describeConnection,
  warnsMissingCredential,
  type Connection,
  type ConnectionCredentials,
} from '../../services/connectionStore';
import { askSteps } from '../../services/steps';
import { askConnection, askToken, connectionStep, type ConnectionInput, type CredentialsInput } from './flow';

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
    const kind = active && connections.credentialKind(active);
    const missing = !!active && warnsMissingCredential(active, kind!);
    status.text = active
      ? `$(${missing ? 'warning' : 'target'}) ${active.name}`
      : `$(target) ${vscode.l10n.t('No Target connection')}`;
    status.tooltip = active
      ? [
          vscode.l10n.t('Target connection: {0}. Click to switch.', describeConnection(active)),
          kind === 'credentials'
            ? vscode.l10n.t('Credential: Developer Console credentials')
            : kind === 'token'
              ? vscode.l10n.t('Credential: profile API token')
              : vscode.l10n.t('Credential: none'),
          ...(missing
            ? [
                vscode.l10n.t(
                  'No profile API token or Developer Console credentials: requests are sent without authentication. Run "Set Profile API Token…" to add one.',
                ),
              ]
            : []),
        ].join('\n')
      : vscode.l10n.t('Add a Target connection');
    status.show();
  };
  refreshStatus();

  /** The connection a command was given, or the one the user picks (not asked when there is one). */
  const target = async (arg: unknown, title: string, placeHolder: string): Promise<Connection | undefined> => {
    const given = connectionArg(arg, connections.get.bind(connections));
    if (given) return given;
    if (connections.list().length === 0) {
      void vscode.commands.executeCommand(Commands.addConnection);
      return undefined;
    }
    const answers = await askSteps(
      title,
      [connectionStep(connections, placeHolder)],
      {} as { connection?: Connection },
    );
    return answers?.connection;
  };

  return vscode.Disposable.from(
    status,
    connections.onDidChange(refreshStatus),
    vscode.commands.registerCommand(Commands.addConnection, async (input?: ConnectionInput) => {
      const answers = input ?? (await askConnection(connections));
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
      const given = connectionArg(arg, connections.get.bind(connections));
      if (!given && connections.list().length === 0) {
        void vscode.commands.executeCommand(Commands.addConnection);
        return;
      }
      const asked = await askConnection(connections, given ?? null);
      if (!asked?.existing) return;
      const { existing: connection, ...answers } = asked;
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
      const answers = await askToken(connections, connectionArg(arg, connections.get.bind(connections)));
      if (!answers?.connection) return;
      await connections.save(answers.connection, answers.token.trim() || null);
    }),
    vscode.commands.registerCommand(Commands.removeConnection, async (arg?: unknown) => {
      const connection = await target(
        arg,
        vscode.l10n.t('Remove Target Connection'),
        vscode.l10n.t('Connection to remove'),
      );
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
      const connection = await target(
        arg,
        vscode.l10n.t('Switch Target Connection'),
        vscode.l10n.t('Make this the active Target connection'),
      );
      if (connection) await connections.setActive(connection.id);
    }),
    vscode.commands.registerCommand(Commands.rotateProfileToken, async (arg?: unknown) => {
      const connection = await target(
        arg,
        vscode.l10n.t('Rotate Profile API Token'),
        vscode.l10n.t('Connection whose profile API token to rotate'),
      );
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
      checkAuthentication(
        services,
        await target(arg, vscode.l10n.t('Check Require Authentication'), vscode.l10n.t('Connection to check')),
      ),
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
