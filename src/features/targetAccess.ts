import * as vscode from 'vscode';
import { TargetClient } from '../core/target/client';
import { isTargetError } from '../core/target/errors';
import { SETTINGS_SECTION } from '../contributions';
import type { Connection, ConnectionStore } from './connections/store';

/**
 * Builds Target clients for connections: the token from SecretStorage, the request timeout from
 * settings, VS Code's proxy settings, and every request logged (redacted) to the log channel.
 * Also guards sending from an untrusted workspace.
 */
export class TargetAccess {
  /** Requests in flight, so that "Cancel Running Requests" can stop them all. */
  private readonly running = new Set<AbortController>();

  constructor(
    private readonly connections: ConnectionStore,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async clientFor(connection: Connection): Promise<TargetClient> {
    const token = await this.connections.token(connection.id);
    const settings = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const http = vscode.workspace.getConfiguration('http');
    const proxySupport = http.get<string>('proxySupport', 'override');
    const proxy = proxySupport === 'off' ? undefined : http.get<string>('proxy') || undefined;
    return new TargetClient({
      connection: { clientCode: connection.clientCode, apiVersion: connection.apiVersion, baseUrl: connection.baseUrl, ...(token ? { token } : {}) },
      timeoutMs: settings.get<number>('requestTimeoutSeconds', 30) * 1000,
      proxy: { proxy, env: proxySupport === 'off' ? {} : process.env, strictSSL: http.get<boolean>('proxyStrictSSL', true) },
      // The client hands us URLs and headers already redacted; the token never reaches the log.
      onRequest: (e) =>
        this.log.debug(
          `${e.method} ${e.url} attempt ${e.attempt} -> ${e.status ?? e.error ?? '?'} (${Math.round(e.durationMs)} ms) headers ${JSON.stringify(e.headers)}`,
        ),
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
        { location: quiet ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification, title, cancellable: !quiet },
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
      vscode.l10n.t('This workspace is not trusted. Send {0} to {1}?', what, connection.baseUrl ?? `${connection.clientCode}.tt.omtrdc.net`),
      { modal: true },
      send,
    );
    return answer === send;
  }
}

/** A message for a failed call, in the words of the error kinds. */
export function describeError(error: unknown): string {
  if (isTargetError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}
