import * as vscode from 'vscode';
import { DEFAULT_SCOPES } from '../../core/auth/tokenProvider';
import {
  baseUrlProblem,
  clientCodeProblem,
  clientIdProblem,
  clientSecretProblem,
  connectionNameProblem,
  serviceUrlProblem,
  tenantProblem,
  tokenProblem,
} from '../../core/flowInput';
import {
  connectionHost,
  describeConnection,
  type Connection,
  type ConnectionStore,
  type CredentialKind,
} from '../../services/connectionStore';
import { askSteps, type PickItem, type PickStep, type Step } from '../../services/steps';

/** What "Add Connection" can be given instead of asking (tests, walkthrough, "Try the emulator"). */
export interface ConnectionInput {
  name: string;
  clientCode: string;
  apiVersion?: 'v1' | 'v2';
  baseUrl?: string;
  /** Editing: undefined keeps the stored token, '' removes it. */
  token?: string;
  /** Instead of `token`: a Developer Console credential; the secret goes to SecretStorage only. */
  credentials?: CredentialsInput;
}

export interface CredentialsInput {
  clientId: string;
  /** Empty when editing: keep the stored one. */
  clientSecret: string;
  tenant: string;
  scopes?: string | string[];
  imsUrl?: string;
  adminUrl?: string;
}

/** The pick of a connection, the active one first; with a single connection it is taken without asking. */
export function connectionStep<S extends { connection?: Connection }>(
  connections: ConnectionStore,
  placeHolder: string,
): PickStep<S, Connection> {
  return pickConnection<S>(
    connections,
    placeHolder,
    (s) => s.connection,
    (s, connection) => ({ ...s, connection }),
  );
}

function pickConnection<S>(
  connections: ConnectionStore,
  placeHolder: string,
  given: (state: S) => Connection | null | undefined,
  onPick: (state: S, connection: Connection) => S,
): PickStep<S, Connection> {
  return {
    kind: 'pick',
    id: 'connection',
    known: (state) => {
      const connection = given(state);
      return connection ? onPick(state, connection) : undefined;
    },
    placeholder: () => placeHolder,
    items: () => {
      const active = connections.active();
      const list = connections.list();
      const ordered = [...list.filter((c) => c.id === active?.id), ...list.filter((c) => c.id !== active?.id)];
      return ordered.map((c) => ({
        label: c.name,
        description: describeConnection(c),
        detail: c.id === active?.id ? vscode.l10n.t('Active') : undefined,
        value: c,
      }));
    },
    apply: onPick,
  };
}

interface ConnectionAnswers {
  /** The connection edited; null while it is still to be picked (Edit Connection without one given). */
  existing?: Connection | null;
  existingKind?: CredentialKind;
  clientCode: string;
  /** Empty: the client code. */
  name: string;
  apiVersion: 'v1' | 'v2';
  baseUrl: string;
  auth: CredentialKind;
  token: string;
  clientId: string;
  clientSecret: string;
  tenant: string;
  scopes: string;
  imsUrl: string;
  adminUrl: string;
}

function answersFor(connection: Connection | undefined, kind: CredentialKind | undefined): ConnectionAnswers {
  const c = connection?.credentials;
  return {
    ...(connection ? { existing: connection, existingKind: kind } : {}),
    clientCode: connection?.clientCode ?? '',
    name: connection && connection.name !== connection.clientCode ? connection.name : '',
    apiVersion: connection?.apiVersion ?? 'v2',
    baseUrl: connection?.baseUrl ?? '',
    // A new connection is expected to have a token; "none" is a choice the user makes.
    auth: kind ?? 'token',
    token: '',
    clientId: c?.clientId ?? '',
    clientSecret: '',
    tenant: c?.tenant ?? '',
    scopes: (c?.scopes ?? DEFAULT_SCOPES).join(','),
    imsUrl: c?.imsUrl ?? '',
    adminUrl: c?.adminUrl ?? '',
  };
}

/**
 * Add Connection (`existing` undefined) or Edit Connection (`existing` given, or null to pick it first):
 * client code, name, API version, base URL, how it authenticates, then the token or the credential's
 * fields. Returns undefined on Escape; nothing is saved by this function.
 */
export async function askConnection(
  connections: ConnectionStore,
  existing?: Connection | null,
): Promise<(ConnectionInput & { existing?: Connection }) | undefined> {
  const editing = existing !== undefined;
  const title = editing ? vscode.l10n.t('Edit Target Connection') : vscode.l10n.t('Add Target Connection');
  const initial: ConnectionAnswers = existing
    ? answersFor(existing, connections.credentialKind(existing))
    : { ...answersFor(undefined, undefined), ...(editing ? { existing: null } : {}) };
  const input = (
    id: string,
    prompt: (s: ConnectionAnswers) => string,
    value: (s: ConnectionAnswers) => string,
    apply: (s: ConnectionAnswers, v: string) => ConnectionAnswers,
    validate?: (v: string, s: ConnectionAnswers) => string | undefined,
    extra: Partial<Step<ConnectionAnswers>> = {},
  ): Step<ConnectionAnswers> =>
    ({ kind: 'input', id, prompt, value, apply, validate, ...extra }) as Step<ConnectionAnswers>;
  const credentialsOnly = { skip: (s: ConnectionAnswers) => s.auth !== 'credentials' };
  const keepsSecret = (s: ConnectionAnswers) => s.existingKind === 'credentials';
  const steps: Step<ConnectionAnswers>[] = [
    ...(editing
      ? [
          pickConnection<ConnectionAnswers>(
            connections,
            vscode.l10n.t('Connection to edit'),
            (s) => s.existing,
            (s, c) => (s.existing?.id === c.id ? s : answersFor(c, connections.credentialKind(c))),
          ),
        ]
      : []),
    input(
      'clientCode',
      () => vscode.l10n.t('Client code, e.g. acme (Target → Administration → Implementation → Account Details)'),
      (s) => s.clientCode,
      (s, v) => ({ ...s, clientCode: v.trim() }),
      clientCodeProblem,
    ),
    input(
      'name',
      () => vscode.l10n.t('A name for this connection, e.g. Acme staging'),
      (s) => s.name || s.clientCode,
      // The client code stays the default name while the name is not changed.
      (s, v) => ({ ...s, name: v.trim() === s.clientCode ? '' : v.trim() }),
      connectionNameProblem,
    ),
    {
      kind: 'pick',
      id: 'apiVersion',
      placeholder: () => vscode.l10n.t('Default bulk API version'),
      items: () => [
        {
          label: 'v2',
          description: vscode.l10n.t('Bulk updates create missing profiles (current version)'),
          value: 'v2' as const,
        },
        { label: 'v1', description: vscode.l10n.t('Bulk updates only change existing profiles'), value: 'v1' as const },
      ],
      selected: (s) => s.apiVersion,
      apply: (s, v: 'v1' | 'v2') => ({ ...s, apiVersion: v }),
    },
    input(
      'baseUrl',
      (s) =>
        vscode.l10n.t(
          'Base URL: leave empty for https://{0}.tt.omtrdc.net, or give an edge host or a local emulator, e.g. http://127.0.0.1:4010',
          s.clientCode,
        ),
      (s) => s.baseUrl,
      (s, v) => ({ ...s, baseUrl: v.trim() }),
      baseUrlProblem,
    ),
    {
      kind: 'pick',
      id: 'auth',
      placeholder: () => vscode.l10n.t('How this connection authenticates when "Require Authentication" is on'),
      items: (s): PickItem<CredentialKind>[] => {
        const items: PickItem<CredentialKind>[] = [
          {
            label: vscode.l10n.t('Profile API token'),
            description: vscode.l10n.t('Pasted from Target (Administration → Implementation → Profile API)'),
            value: 'token',
          },
          {
            label: vscode.l10n.t('Developer Console credentials'),
            description: vscode.l10n.t(
              'OAuth server-to-server client id and secret: the token is fetched and refreshed for you',
            ),
            value: 'credentials',
          },
          {
            label: vscode.l10n.t('No credential'),
            description: vscode.l10n.t(
              'Requests are sent without authentication: only for a server with "Require Authentication" off, such as the local emulator',
            ),
            value: 'none',
          },
        ];
        // The connection's current way first.
        return [...items.filter((i) => i.value === s.auth), ...items.filter((i) => i.value !== s.auth)];
      },
      selected: (s) => s.auth,
      apply: (s, v: CredentialKind) => ({ ...s, auth: v }),
    },
    input(
      'token',
      (s) =>
        s.existingKind === 'token'
          ? vscode.l10n.t('Profile API token: leave empty to keep the stored one')
          : vscode.l10n.t("Profile API token: kept in VS Code's secret storage only"),
      (s) => s.token,
      (s, v) => ({ ...s, token: v.trim() }),
      (v, s) => tokenProblem(v, s.existingKind === 'token'),
      { password: true, skip: (s: ConnectionAnswers) => s.auth !== 'token' },
    ),
    input(
      'clientId',
      () => vscode.l10n.t("Client ID of the Developer Console project's OAuth server-to-server credential"),
      (s) => s.clientId,
      (s, v) => ({ ...s, clientId: v.trim() }),
      clientIdProblem,
      credentialsOnly,
    ),
    input(
      'clientSecret',
      (s) =>
        keepsSecret(s)
          ? vscode.l10n.t('Client secret: leave empty to keep the stored one')
          : vscode.l10n.t("Client secret: kept in VS Code's secret storage only"),
      (s) => s.clientSecret,
      (s, v) => ({ ...s, clientSecret: v.trim() }),
      (v, s) => clientSecretProblem(v, keepsSecret(s)),
      { ...credentialsOnly, password: true },
    ),
    input(
      'tenant',
      () =>
        vscode.l10n.t(
          'Target tenant of the Admin API (mc.adobe.io/TENANT/target/...), e.g. acmecorp: not the client code',
        ),
      (s) => s.tenant,
      (s, v) => ({ ...s, tenant: v.trim() }),
      tenantProblem,
      credentialsOnly,
    ),
    input(
      'scopes',
      () => vscode.l10n.t('Scopes, comma-separated, as the credential in Developer Console lists them'),
      (s) => s.scopes,
      (s, v) => ({ ...s, scopes: v }),
      undefined,
      credentialsOnly,
    ),
    input(
      'imsUrl',
      () => vscode.l10n.t('Adobe IMS: leave empty for https://ims-na1.adobelogin.com (a local emulator may stand in)'),
      (s) => s.imsUrl,
      (s, v) => ({ ...s, imsUrl: v.trim() }),
      (v) => serviceUrlProblem(v, 'Adobe IMS URL'),
      credentialsOnly,
    ),
    input(
      'adminUrl',
      () => vscode.l10n.t('Target Admin API: leave empty for https://mc.adobe.io'),
      (s) => s.adminUrl,
      (s, v) => ({ ...s, adminUrl: v.trim() }),
      (v) => serviceUrlProblem(v, 'Target Admin API URL'),
      credentialsOnly,
    ),
  ];
  const a = await askSteps(title, steps, initial);
  if (!a) return undefined;
  const common = {
    ...(a.existing ? { existing: a.existing } : {}),
    name: a.name || a.clientCode,
    clientCode: a.clientCode,
    apiVersion: a.apiVersion,
    baseUrl: a.baseUrl || undefined,
  };
  if (a.auth === 'credentials') {
    return {
      ...common,
      credentials: {
        clientId: a.clientId,
        clientSecret: a.clientSecret,
        tenant: a.tenant,
        scopes: a.scopes,
        imsUrl: a.imsUrl || undefined,
        adminUrl: a.adminUrl || undefined,
      },
    };
  }
  if (a.auth === 'none') return { ...common, token: '' };
  // Editing a connection with a token: an empty answer keeps it.
  return { ...common, token: a.token === '' && a.existingKind === 'token' ? undefined : a.token };
}

/** Set Profile API Token: the connection (not asked when there is one or it was given), then the token. */
export async function askToken(
  connections: ConnectionStore,
  given?: Connection,
): Promise<{ connection?: Connection; token: string } | undefined> {
  return askSteps<{ connection?: Connection; token: string }>(
    vscode.l10n.t('Set Profile API Token'),
    [
      connectionStep(connections, vscode.l10n.t('Connection whose token to set')),
      {
        kind: 'input',
        id: 'token',
        password: true,
        prompt: (s) =>
          s.connection && connections.credentialKind(s.connection) === 'token'
            ? vscode.l10n.t(
                'Profile API token for {0} ({1}): leave empty to remove the stored one',
                s.connection.name,
                connectionHost(s.connection),
              )
            : vscode.l10n.t(
                "Profile API token for {0} ({1}): kept in VS Code's secret storage only",
                s.connection?.name ?? '',
                s.connection ? connectionHost(s.connection) : '',
              ),
        value: (s) => s.token,
        validate: (v, s) =>
          v.trim() === '' && s.connection && connections.credentialKind(s.connection) === 'token'
            ? undefined
            : tokenProblem(v, false),
        apply: (s, v) => ({ ...s, token: v.trim() }),
      },
    ],
    { connection: given, token: '' },
  );
}
