import * as vscode from 'vscode';
import { isTargetError } from '../core/target/errors';
import { Commands } from '../contributions';
import type { Connection, ConnectionStore } from './connectionStore';

/**
 * Requests from a connection without any credential: what their answers teach about its server, and the
 * one question before sending another to a server that refused one. A server that answers without a
 * token (the local emulator, "Require Authentication" off) is never asked about.
 */
export class CredentialGuard {
  /** Connections already asked about this session: the question comes once. */
  private readonly asked = new Set<string>();

  constructor(private readonly connections: ConnectionStore) {}

  /**
   * False when the user chose not to send. Asks only when the connection has no credential and its server
   * is known to refuse requests without one; "Set Token" sends with the token just set.
   */
  async maySend(connection: Connection): Promise<boolean> {
    const current = this.connections.get(connection.id) ?? connection;
    if (this.connections.credentialKind(current) !== 'none' || !current.authStatus?.required) return true;
    if (this.asked.has(current.id)) return true;
    this.asked.add(current.id);
    const setToken = vscode.l10n.t('Set Token');
    const sendAnyway = vscode.l10n.t('Send Without Token');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('The connection "{0}" has no profile API token.', current.name),
      {
        modal: true,
        detail: vscode.l10n.t(
          'Its server refused a request without one ("Require Authentication" is on). Set the token now, or send without it.',
        ),
      },
      setToken,
      sendAnyway,
    );
    if (answer === sendAnyway) return true;
    if (answer !== setToken) return false;
    await vscode.commands.executeCommand(Commands.setConnectionToken, current.id);
    const after = this.connections.get(current.id);
    return !!after && this.connections.credentialKind(after) !== 'none';
  }

  /** Records what a request without credential showed: the server needs one (401/403) or not (an answer). */
  async noteOutcome(connection: Connection, error?: unknown): Promise<void> {
    const current = this.connections.get(connection.id);
    if (!current || this.connections.credentialKind(current) !== 'none') return;
    const refused = isTargetError(error) && error.kind === 'auth' && error.status !== undefined;
    if (error !== undefined && !refused) return;
    if (current.authStatus?.required === refused) return;
    await this.connections.setAuthStatus(current.id, refused);
  }

  /**
   * Shows a failed request with the editor's way to fix it as a button: set the token, or edit the
   * connection's Developer Console credentials.
   */
  showError(connection: Connection, message: string, error: unknown): void {
    if (!isTargetError(error) || error.fix !== 'profile-token') {
      void vscode.window.showErrorMessage(message);
      return;
    }
    const usesCredentials = this.connections.credentialKind(connection) === 'credentials';
    const action = usesCredentials ? vscode.l10n.t('Edit Connection') : vscode.l10n.t('Set Token');
    void vscode.window.showErrorMessage(message, action).then((picked) => {
      if (picked !== action) return;
      void vscode.commands.executeCommand(
        usesCredentials ? Commands.editConnection : Commands.setConnectionToken,
        connection.id,
      );
    });
  }
}
