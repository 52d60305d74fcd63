import * as vscode from 'vscode';

/**
 * Fetched profiles as read-only JSON documents (`target-profile:` URIs). The content is what the
 * last fetch returned; "Refresh" fetches again and the open editor updates in place.
 */
export const PROFILE_SCHEME = 'target-profile';

export type IdType = 'pcId' | 'thirdPartyId' | 'marketingCloudVisitorId';

export function profileUri(connectionId: string, connectionName: string, idType: IdType, id: string): vscode.Uri {
  // The readable part names the profile in the tab; the query carries what a refresh needs.
  return vscode.Uri.from({
    scheme: PROFILE_SCHEME,
    path: `/${connectionName}/${idType}/${id.replace(/[/\\]/g, '_')}.json`,
    query: new URLSearchParams({ connection: connectionId, idType, id }).toString(),
  });
}

export function parseProfileUri(uri: vscode.Uri): { connectionId: string; idType: IdType; id: string } | undefined {
  const q = new URLSearchParams(uri.query);
  const connectionId = q.get('connection');
  const idType = q.get('idType') as IdType | null;
  const id = q.get('id');
  return connectionId && idType && id !== null ? { connectionId, idType, id } : undefined;
}

export class ProfileDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  set(uri: vscode.Uri, content: string): void {
    this.contents.set(uri.toString(), content);
    this.changed.fire(uri);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return (
      this.contents.get(uri.toString()) ?? vscode.l10n.t('// Not fetched in this window yet: run "Refresh Profile".')
    );
  }

  dispose(): void {
    this.changed.dispose();
  }
}
