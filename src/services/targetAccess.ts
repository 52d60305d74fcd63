import { createHash } from 'crypto';
import * as vscode from 'vscode';
import { ProfileTokenProvider } from '../core/auth/tokenProvider';
import { DeliveryClient } from '../core/delivery/client';
import type { SessionStore } from '../core/delivery/session';
import { TargetClient, type TokenSource } from '../core/target/client';
import { TargetError, describeTargetError, isTargetError } from '../core/target/errors';
import type { ProxySettings, RequestLogEntry } from '../core/target/http';
import { SETTINGS_SECTION } from '../contributions';
import type { Connection, ConnectionStore } from './connectionStore';

/**
 * Builds Target clients for connections: the token from SecretStorage (or from Developer Console
 * credentials), the request timeout from settings, VS Code's proxy settings, and every request logged
 * (redacted) to the log channel. Also guards sending from an untrusted workspace.
 */
export class TargetAccess {
  /** Requests in flight, so that "Cancel Running Requests" can stop them all. */
  private readonly running = new Set<AbortController>();
  /**
   * One token provider per connection with credentials, so IMS and profile tokens are reused across
   * calls; memory only. `key` is the credentials plus a hash of the secret: a change makes a new one.
   */
  private readonly providers = new Map<string, { key: string; provider: ProfileTokenProvider }>();

  constructor(
    private readonly connections: ConnectionStore,
    private readonly log: vscode.LogOutputChannel,
  ) {
    // Removed connections and changed credentials drop their tokens at once (a changed secret: on next use).
    connections.onDidChange(() => {
      for (const [id, entry] of this.providers) {
        const now = connections.get(id);
        if (!now?.credentials || !entry.key.startsWith(JSON.stringify(now.credentials))) this.dropProvider(id);
      }
    });
  }

  private readonly logRequest = (e: RequestLogEntry) =>
    this.log.debug(
      `${e.method} ${e.url} attempt ${e.attempt} -> ${e.status ?? e.error ?? '?'} (${Math.round(e.durationMs)} ms) headers ${JSON.stringify(e.headers)}`,
    );

  /**
   * Proxies as VS Code users configure them: `http.proxy`, `http.noProxy`, `http.proxyAuthorization`
   * and `http.proxyStrictSSL`, then the environment (`https_proxy`, `no_proxy`); `http.proxySupport`
   * "off" turns all of it off. Read on every client, so a changed setting applies to the next request.
   */
  private httpSettings(): { timeoutMs: number; proxy: ProxySettings } {
    const settings = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const http = vscode.workspace.getConfiguration('http');
    const off = http.get<string>('proxySupport', 'override') === 'off';
    const noProxy = http.get<string[] | string>('noProxy', []);
    return {
      timeoutMs: settings.get<number>('requestTimeoutSeconds', 30) * 1000,
      proxy: off
        ? { env: {}, strictSSL: http.get<boolean>('proxyStrictSSL', true) }
        : {
            proxy: http.get<string>('proxy') || undefined,
            noProxy: (Array.isArray(noProxy) ? noProxy.join(',') : noProxy) || undefined,
            proxyAuthorization: http.get<string | null>('proxyAuthorization') || undefined,
            env: process.env,
            strictSSL: http.get<boolean>('proxyStrictSSL', true),
          },
    };
  }

  private dropProvider(id: string): void {
    const entry = this.providers.get(id);
    if (!entry) return;
    this.providers.delete(id);
    entry.provider.clear();
    void entry.provider.close();
  }

  /**
   * The token provider of a connection with Developer Console credentials (undefined for one with a
   * pasted token). Throws when its client secret is missing from SecretStorage.
   */
  async tokenProviderFor(connection: Connection): Promise<ProfileTokenProvider | undefined> {
    const credentials = connection.credentials;
    if (!credentials) return undefined;
    const secret = await this.connections.clientSecret(connection.id);
    if (!secret) {
      throw new TargetError(
        'auth',
        vscode.l10n.t(
          'The connection "{0}" has no Developer Console client secret stored: edit the connection to enter it again.',
          connection.name,
        ),
      );
    }
    // The hash only tells secrets apart in memory; neither it nor the secret is written anywhere.
    const key = `${JSON.stringify(credentials)}#${createHash('sha256').update(secret).digest('hex')}`;
    const existing = this.providers.get(connection.id);
    if (existing?.key === key) return existing.provider;
    this.dropProvider(connection.id);
    const { timeoutMs, proxy } = this.httpSettings();
    const provider = new ProfileTokenProvider({
      ...credentials,
      clientSecret: secret,
      timeoutMs,
      proxy,
      onRequest: this.logRequest,
    });
    this.providers.set(connection.id, { key, provider });
    return provider;
  }

  async clientFor(connection: Connection): Promise<TargetClient> {
    let tokenProvider: TokenSource | undefined;
    try {
      tokenProvider = await this.tokenProviderFor(connection);
    } catch (error) {
      // Reported by the call itself, where callers show errors, rather than here.
      tokenProvider = { token: () => Promise.reject(error), invalidate: () => undefined };
    }
    const token = tokenProvider ? undefined : await this.connections.token(connection.id);
    const { timeoutMs, proxy } = this.httpSettings();
    return new TargetClient({
      connection: {
        clientCode: connection.clientCode,
        apiVersion: connection.apiVersion,
        baseUrl: connection.baseUrl,
        ...(token ? { token } : {}),
      },
      timeoutMs,
      proxy,
      ...(tokenProvider ? { tokenProvider } : {}),
      // The client hands us URLs and headers already redacted; the token never reaches the log.
      onRequest: this.logRequest,
    });
  }

  /**
   * A Delivery API client (personalization preview) with the same timeout, proxy and logging as the
   * profile API's. It is given the connection without its token: the profile API token never goes to
   * the Delivery endpoint, which takes none.
   */
  deliveryClientFor(connection: Connection, sessions: SessionStore): DeliveryClient {
    const { timeoutMs, proxy } = this.httpSettings();
    return new DeliveryClient({
      connection: { clientCode: connection.clientCode, apiVersion: connection.apiVersion, baseUrl: connection.baseUrl },
      connectionKey: connection.id,
      sessions,
      timeoutMs,
      proxy,
      // The client scrubs the property and trace tokens from what it logs.
      onRequest: this.logRequest,
    });
  }

  /**
   * Runs a call with a cancellable progress notification (or a quiet status-bar progress); the
   * signal fires on the notification's Cancel button or "Cancel Running Requests".
   */
  async withProgress<T>(title: string, call: (signal: AbortSignal) => Promise<T>, quiet = false): Promise<T> {
    const controller = new AbortController();
    this.running.add(controller);
    try {
      return await vscode.window.withProgress(
        {
          location: quiet ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification,
          title,
          cancellable: !quiet,
        },
        (_progress, token) => {
          token.onCancellationRequested(() => controller.abort());
          return call(controller.signal);
        },
      );
    } finally {
      this.running.delete(controller);
    }
  }

  /** Aborts every request in flight; returns how many there were. */
  cancelAll(): number {
    const count = this.running.size;
    for (const controller of this.running) controller.abort();
    return count;
  }

  /**
   * In an untrusted workspace nothing is sent without the user saying so: a workspace's files could
   * have led them here, and the request carries their token.
   */
  async mayConnect(connection: Connection, what: string): Promise<boolean> {
    if (vscode.workspace.isTrusted) return true;
    const send = vscode.l10n.t('Send');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t(
        'This workspace is not trusted. Send {0} to {1}?',
        what,
        connection.baseUrl ?? `${connection.clientCode}.tt.omtrdc.net`,
      ),
      { modal: true },
      send,
    );
    return answer === send;
  }
}

/** A message for a failed call, in the words of the error kinds. */
export function describeError(error: unknown): string {
  if (isTargetError(error)) return describeTargetError(error, 'editor');
  return error instanceof Error ? error.message : String(error);
}
