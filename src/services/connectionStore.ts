import * as vscode from 'vscode';
import { checkCredentials, normaliseScopes } from '../core/auth/tokenProvider';
import { isLoopbackHost, resolveBaseUrl } from '../core/target/connection';

/** A Target account as the user named it. The token is never part of it: it lives in SecretStorage. */
export interface Connection {
  id: string;
  name: string;
  clientCode: string;
  apiVersion: 'v1' | 'v2';
  /** An edge host or the local emulator; absent means https://CLIENT.tt.omtrdc.net. */
  baseUrl?: string;
  /** Instead of a pasted token: a Developer Console credential; its secret lives in SecretStorage. */
  credentials?: ConnectionCredentials;
  /** What "Check Require Authentication" last found (not a secret). */
  authStatus?: { required: boolean; checkedAt: number };
  /**
   * The names of the property tokens (Target Premium workspaces) stored for the personalization
   * preview; each token itself lives in SecretStorage.
   */
  properties?: string[];
}

/** The non-secret part of a Developer Console OAuth server-to-server credential. */
export interface ConnectionCredentials {
  clientId: string;
  scopes: string[];
  /** The Admin API tenant, not the client code. */
  tenant: string;
  /** Replace Adobe IMS and mc.adobe.io (the emulator); https unless loopback. */
  imsUrl?: string;
  adminUrl?: string;
}

/** How a connection's requests are authenticated; never the secret itself. */
export type CredentialKind = 'token' | 'credentials' | 'none';

const CONNECTIONS_KEY = 'targetProfiles.connections';
const ACTIVE_KEY = 'targetProfiles.activeConnection';
const TOKEN_PREFIX = 'targetProfiles.token/';
const CLIENT_SECRET_PREFIX = 'targetProfiles.clientSecret/';
/** `targetProfiles.propertyToken/<connection id>/<property name>`. */
const PROPERTY_TOKEN_PREFIX = 'targetProfiles.propertyToken/';
/** The mboxTrace authorization token of a connection, for previews with a trace. */
const TRACE_TOKEN_PREFIX = 'targetProfiles.traceToken/';

/** Checks a property's name as the user typed it: a short label, not the token. */
export function propertyNameProblem(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed === '') return vscode.l10n.t('Give the property a name, e.g. the workspace it belongs to.');
  if (trimmed.length > 64) return vscode.l10n.t('Keep the name under 64 characters.');
  if (trimmed.includes('/')) return vscode.l10n.t('The name cannot contain "/".');
  return undefined;
}

/**
 * Connections live in global state (settings get committed to repositories); each token lives in
 * VS Code's SecretStorage under the connection's id and nowhere else. Other windows changing a
 * token are noticed through `secrets.onDidChange`.
 */
export class ConnectionStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  /**
   * The ids of connections with a token in SecretStorage (never the tokens), so the view and the status
   * bar can say which have none without reading secrets on every repaint.
   */
  private readonly withToken = new Set<string>();
  /** Resolves once `withToken` holds what SecretStorage holds. */
  readonly ready: Promise<void>;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.subscriptions.push(
      context.secrets.onDidChange(async (e) => {
        if (e.key.startsWith(TOKEN_PREFIX)) await this.readTokenPresence(e.key.slice(TOKEN_PREFIX.length));
        if (e.key.startsWith(TOKEN_PREFIX) || e.key.startsWith(CLIENT_SECRET_PREFIX)) this.changed.fire();
      }),
    );
    this.ready = Promise.all(this.list().map((c) => this.readTokenPresence(c.id))).then(
      () => this.changed.fire(),
      () => undefined,
    );
  }

  private async readTokenPresence(id: string): Promise<void> {
    if (await this.context.secrets.get(TOKEN_PREFIX + id)) this.withToken.add(id);
    else this.withToken.delete(id);
  }

  /** How `connection` authenticates: Developer Console credentials, a stored token, or nothing. */
  credentialKind(connection: Connection): CredentialKind {
    if (connection.credentials) return 'credentials';
    return this.withToken.has(connection.id) ? 'token' : 'none';
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
  }

  list(): Connection[] {
    return this.context.globalState.get<Connection[]>(CONNECTIONS_KEY, []);
  }

  get(id: string): Connection | undefined {
    return this.list().find((c) => c.id === id);
  }

  active(): Connection | undefined {
    const connections = this.list();
    const id = this.context.globalState.get<string>(ACTIVE_KEY);
    return connections.find((c) => c.id === id) ?? connections[0];
  }

  /**
   * Adds or replaces a connection; validates it first so a bad one is never stored. For `token` and
   * `clientSecret`, undefined keeps the stored one, null removes it, a string replaces it. A connection
   * without credentials keeps no client secret.
   */
  async save(connection: Connection, token?: string | null, clientSecret?: string | null): Promise<void> {
    resolveBaseUrl({
      clientCode: connection.clientCode,
      baseUrl: connection.baseUrl,
      apiVersion: connection.apiVersion,
    });
    const c = connection.credentials;
    if (c) checkCredentials(c);
    const clean: Connection = {
      id: connection.id,
      name: connection.name,
      clientCode: connection.clientCode,
      apiVersion: connection.apiVersion,
      ...(connection.baseUrl ? { baseUrl: connection.baseUrl } : {}),
      ...(c
        ? {
            credentials: {
              clientId: c.clientId,
              scopes: normaliseScopes(c.scopes),
              tenant: c.tenant,
              ...(c.imsUrl ? { imsUrl: c.imsUrl } : {}),
              ...(c.adminUrl ? { adminUrl: c.adminUrl } : {}),
            },
          }
        : {}),
      ...(connection.authStatus
        ? { authStatus: { required: connection.authStatus.required, checkedAt: connection.authStatus.checkedAt } }
        : {}),
    };
    // A connection rebuilt by an edit keeps the names of its stored property tokens.
    const properties = connection.properties ?? this.get(connection.id)?.properties;
    if (properties?.length) clean.properties = [...properties];
    const others = this.list().filter((c) => c.id !== connection.id);
    if (token === null || token === '') {
      this.withToken.delete(connection.id);
      await this.context.secrets.delete(TOKEN_PREFIX + connection.id);
    } else if (token !== undefined) {
      this.withToken.add(connection.id);
      await this.context.secrets.store(TOKEN_PREFIX + connection.id, token);
    }
    if (clientSecret === null || !c) await this.context.secrets.delete(CLIENT_SECRET_PREFIX + connection.id);
    else if (clientSecret !== undefined) {
      await this.context.secrets.store(CLIENT_SECRET_PREFIX + connection.id, clientSecret);
    }
    await this.context.globalState.update(CONNECTIONS_KEY, [...others, clean]);
    if (!this.context.globalState.get(ACTIVE_KEY) || others.length === 0) {
      await this.context.globalState.update(ACTIVE_KEY, clean.id);
    }
    this.changed.fire();
  }

  async remove(id: string): Promise<void> {
    this.withToken.delete(id);
    await this.context.secrets.delete(TOKEN_PREFIX + id);
    await this.context.secrets.delete(CLIENT_SECRET_PREFIX + id);
    await this.context.secrets.delete(TRACE_TOKEN_PREFIX + id);
    for (const name of this.get(id)?.properties ?? []) await this.context.secrets.delete(propertyKey(id, name));
    await this.context.globalState.update(
      CONNECTIONS_KEY,
      this.list().filter((c) => c.id !== id),
    );
    if (this.context.globalState.get(ACTIVE_KEY) === id) {
      await this.context.globalState.update(ACTIVE_KEY, this.list()[0]?.id);
    }
    this.changed.fire();
  }

  async setActive(id: string): Promise<void> {
    await this.context.globalState.update(ACTIVE_KEY, id);
    this.changed.fire();
  }

  token(id: string): Thenable<string | undefined> {
    return this.context.secrets.get(TOKEN_PREFIX + id);
  }

  /** The Developer Console client secret of a connection with credentials. */
  clientSecret(id: string): Thenable<string | undefined> {
    return this.context.secrets.get(CLIENT_SECRET_PREFIX + id);
  }

  /** The property token stored under `name` for a connection. */
  propertyToken(id: string, name: string): Thenable<string | undefined> {
    return this.context.secrets.get(propertyKey(id, name));
  }

  /**
   * Stores (a string) or removes (null) a named property token: the name goes into the connection,
   * the token into SecretStorage.
   */
  async setPropertyToken(id: string, name: string, token: string | null): Promise<void> {
    const list = this.list();
    const index = list.findIndex((c) => c.id === id);
    if (index === -1) return;
    const trimmed = name.trim();
    const problem = propertyNameProblem(trimmed);
    if (problem) throw new Error(problem);
    const others = (list[index].properties ?? []).filter((n) => n !== trimmed);
    if (token === null || token.trim() === '') await this.context.secrets.delete(propertyKey(id, trimmed));
    else await this.context.secrets.store(propertyKey(id, trimmed), token.trim());
    const properties = token === null || token.trim() === '' ? others : [...others, trimmed];
    const next: Connection = { ...list[index], properties };
    if (properties.length === 0) delete next.properties;
    list[index] = next;
    await this.context.globalState.update(CONNECTIONS_KEY, list);
    this.changed.fire();
  }

  /** The mboxTrace authorization token of a connection. */
  traceToken(id: string): Thenable<string | undefined> {
    return this.context.secrets.get(TRACE_TOKEN_PREFIX + id);
  }

  /** Stores (a string) or removes (null or empty) the trace token of a connection. */
  async setTraceToken(id: string, token: string | null): Promise<void> {
    if (token === null || token.trim() === '') await this.context.secrets.delete(TRACE_TOKEN_PREFIX + id);
    else await this.context.secrets.store(TRACE_TOKEN_PREFIX + id, token.trim());
    this.changed.fire();
  }

  /** Records the "Require Authentication" status found for a connection (shown in the tree). */
  async setAuthStatus(id: string, required: boolean): Promise<void> {
    const list = this.list();
    const index = list.findIndex((c) => c.id === id);
    if (index === -1) return;
    list[index] = { ...list[index], authStatus: { required, checkedAt: Date.now() } };
    await this.context.globalState.update(CONNECTIONS_KEY, list);
    this.changed.fire();
  }

  newId(): string {
    return crypto.randomUUID();
  }
}

function propertyKey(id: string, name: string): string {
  return `${PROPERTY_TOKEN_PREFIX}${id}/${name}`;
}

/** A short description for tree items and pickers: client code, version and host. */
export function describeConnection(c: Connection): string {
  return `${c.clientCode} · ${c.apiVersion} · ${connectionHost(c)}`;
}

/** The host (and port) a connection's requests go to: what tells two connections of one client apart. */
export function connectionHost(c: Connection): string {
  return c.baseUrl ? new URL(c.baseUrl).host : `${c.clientCode}.tt.omtrdc.net`;
}

/**
 * Whether to warn that a connection has no credential. Not when its server is known to answer without
 * one ("Require Authentication" off, or a request without a token went through), nor for a server on
 * this machine (the local emulator) until it refuses a request.
 */
export function warnsMissingCredential(c: Connection, kind: CredentialKind): boolean {
  if (kind !== 'none') return false;
  if (c.authStatus) return c.authStatus.required;
  return !(c.baseUrl && isLoopbackHost(new URL(c.baseUrl).hostname));
}

/** A connection passed by a tree item, by id, or as a connection object. */
export function connectionArg(arg: unknown, get: (id: string) => Connection | undefined): Connection | undefined {
  if (typeof arg === 'string') return get(arg);
  if (arg && typeof arg === 'object') {
    const id = (arg as { connectionId?: string; id?: string }).connectionId ?? (arg as { id?: string }).id;
    if (typeof id === 'string') return get(id);
  }
  return undefined;
}
