import * as path from 'path';
import * as vscode from 'vscode';
import { submissionState, type BatchSubmission, type UploadRecord } from '../core/submissions/journal';
import { Commands } from '../contributions';
import { connectionHost, warnsMissingCredential, type Connection, type ConnectionStore } from './connectionStore';
import type { HistoryEntry, HistoryStore } from './historyStore';
import type { JournalStore } from './journalStore';

/**
 * The Target Profiles view: Connections > (Recent updates, Batches, Profiles looked up). Items carry
 * a `contextValue` so menus in package.json attach the right actions, and the ids commands need
 * (`connectionId`, `entryId`) so the same commands work from the palette and the tree.
 */
export type TreeNode =
  | { type: 'connection'; connectionId: string }
  | { type: 'group'; connectionId: string; group: 'updates' | 'batches' | 'profiles' }
  | { type: 'entry'; connectionId: string; entryId: string }
  | { type: 'submission'; connectionId: string; submissionId: string }
  | { type: 'upload'; connectionId: string; submissionId: string; index: number };

export class TargetTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly services: { connections: ConnectionStore; history: HistoryStore; batches: JournalStore },
  ) {
    this.subscriptions.push(
      services.connections.onDidChange(() => this.refresh()),
      services.history.onDidChange(() => this.refresh()),
      services.batches.onDidChange(() => this.refresh()),
    );
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  private view: vscode.TreeView<TreeNode> | undefined;

  /** The view that shows this tree, once the tree feature has created it. */
  get treeView(): vscode.TreeView<TreeNode> | undefined {
    return this.view;
  }

  /** Called by the tree feature with the view it created, so other features can reveal rows in it. */
  attachView(view: vscode.TreeView<TreeNode>): vscode.Disposable {
    this.view = view;
    return new vscode.Disposable(() => {
      if (this.view === view) this.view = undefined;
    });
  }

  /**
   * Shows a submission in the view, its connection and Batches rows expanded and the submission
   * selected (and expanded when it has several uploads); false when there is no view to show it in.
   */
  async revealSubmission(connectionId: string, submissionId: string): Promise<boolean> {
    const view = this.view;
    if (!view) return false;
    const node: TreeNode = { type: 'submission', connectionId, submissionId };
    if (!view.visible) {
      // A view never shown yet has no rows to select: the first reveal only opens it, the second,
      // once it is visible, selects the row.
      const shown = new Promise<void>((resolve) => {
        const listener = view.onDidChangeVisibility((e) => {
          if (e.visible) {
            listener.dispose();
            resolve();
          }
        });
        setTimeout(() => {
          listener.dispose();
          resolve();
        }, 2000);
      });
      await view.reveal(node, { select: false, focus: false });
      await shown;
    }
    await view.reveal(node, { select: true, focus: false, expand: true });
    return true;
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
  }

  getChildren(node?: TreeNode): TreeNode[] {
    const { connections, history } = this.services;
    if (!node) return connections.list().map((c) => ({ type: 'connection', connectionId: c.id }));
    if (node.type === 'connection') {
      return (['updates', 'batches', 'profiles'] as const).map((group) => ({
        type: 'group',
        connectionId: node.connectionId,
        group,
      }));
    }
    if (node.type === 'submission') {
      const submission = this.services.batches.get(node.submissionId);
      if (!submission || submission.uploads.length < 2) return [];
      return submission.uploads.map((u) => ({
        type: 'upload',
        connectionId: node.connectionId,
        submissionId: node.submissionId,
        index: u.index,
      }));
    }
    if (node.type !== 'group') return [];
    if (node.group === 'batches') {
      return this.services.batches
        .forConnection(node.connectionId)
        .map((s) => ({ type: 'submission', connectionId: node.connectionId, submissionId: s.id }));
    }
    if (node.group === 'updates') {
      return history
        .forConnection(node.connectionId)
        .filter((e) => e.kind === 'update' || e.kind === 'verify' || e.kind === 'preview')
        .slice(0, 50)
        .map((e) => ({ type: 'entry', connectionId: node.connectionId, entryId: e.id }));
    }
    // One item per profile, the latest look-up of each.
    const seen = new Set<string>();
    return history
      .forConnection(node.connectionId, 'fetch')
      .filter((e) => {
        const key = `${e.profileId?.type}:${e.profileId?.value}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .map((e) => ({ type: 'entry', connectionId: node.connectionId, entryId: e.id }));
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const { connections, history } = this.services;
    const connection = connections.get(node.connectionId);
    if (node.type === 'connection') return connectionItem(connection!, connections);
    if (node.type === 'group') {
      const labels = {
        updates: vscode.l10n.t('Recent updates'),
        batches: vscode.l10n.t('Batches'),
        profiles: vscode.l10n.t('Profiles looked up'),
      };
      const icons = { updates: 'history', batches: 'package', profiles: 'account' };
      const item = new vscode.TreeItem(labels[node.group], vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `${node.connectionId}/${node.group}`;
      item.iconPath = new vscode.ThemeIcon(icons[node.group]);
      item.contextValue = `group.${node.group}`;
      return item;
    }
    if (node.type === 'submission' || node.type === 'upload') {
      const submission = this.services.batches.get(node.submissionId);
      if (!submission) return new vscode.TreeItem(vscode.l10n.t('(removed)'));
      return node.type === 'submission'
        ? submissionItem(submission)
        : uploadItem(submission, submission.uploads[node.index]);
    }
    const entry = history.get(node.entryId);
    return entry ? entryItem(entry) : new vscode.TreeItem('?');
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if (node.type === 'connection') return undefined;
    if (node.type === 'group') return { type: 'connection', connectionId: node.connectionId };
    if (node.type === 'submission') return { type: 'group', connectionId: node.connectionId, group: 'batches' };
    if (node.type === 'upload') {
      return { type: 'submission', connectionId: node.connectionId, submissionId: node.submissionId };
    }
    return undefined;
  }
}

/**
 * A connection's row: its name; the host as description when another connection has the same client code
 * (the host is what tells them apart); client code, API version, base URL and how it authenticates in the
 * tooltip (never a secret). A connection without credential that its server may refuse shows a warning.
 */
function connectionItem(connection: Connection, connections: ConnectionStore): vscode.TreeItem {
  const active = connection.id === connections.active()?.id;
  const item = new vscode.TreeItem(connection.name, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = connection.id;
  const kind = connections.credentialKind(connection);
  const missing = warnsMissingCredential(connection, kind);
  const shared = connections.list().some((c) => c.id !== connection.id && c.clientCode === connection.clientCode);
  // "Require Authentication" as last checked or learned from an answer; nothing secret is shown.
  const auth = connection.authStatus
    ? connection.authStatus.required
      ? vscode.l10n.t('auth required')
      : vscode.l10n.t('auth off')
    : undefined;
  item.description = [
    shared ? connectionHost(connection) : connection.clientCode,
    ...(missing ? [vscode.l10n.t('no token')] : []),
    ...(auth && !missing ? [auth] : []),
    ...(active ? [vscode.l10n.t('active')] : []),
  ].join(' · ');
  item.iconPath = missing
    ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
    : new vscode.ThemeIcon(active ? 'plug' : 'debug-disconnect');
  item.contextValue = active ? 'connection.active' : 'connection';
  const base = connection.baseUrl ?? `https://${connection.clientCode}.tt.omtrdc.net`;
  const lines = [
    vscode.l10n.t('Client code: {0}', connection.clientCode),
    vscode.l10n.t('Bulk API version: {0}', connection.apiVersion),
    vscode.l10n.t('Base URL: {0}', base),
    kind === 'credentials'
      ? vscode.l10n.t(
          'Credential: Developer Console credentials (tenant {0}), token refreshed automatically',
          connection.credentials!.tenant,
        )
      : kind === 'token'
        ? vscode.l10n.t("Credential: profile API token (in VS Code's secret storage)")
        : vscode.l10n.t('Credential: none, requests are sent without authentication'),
  ];
  if (missing) {
    lines.push(
      vscode.l10n.t(
        '⚠ Target refuses requests without a token when "Require Authentication" is on: run "Set Profile API Token…".',
      ),
    );
  }
  if (connection.authStatus) {
    const when = new Date(connection.authStatus.checkedAt).toLocaleString();
    lines.push(
      connection.authStatus.required
        ? vscode.l10n.t('"Require Authentication" is on (checked {0})', when)
        : vscode.l10n.t('"Require Authentication" is off (checked {0})', when),
    );
  }
  item.tooltip = lines.join('\n');
  return item;
}

const stateIcons: Record<string, vscode.ThemeIcon> = {
  processing: new vscode.ThemeIcon('loading~spin'),
  uploading: new vscode.ThemeIcon('cloud-upload'),
  complete: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  stuck: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
  'not-sent': new vscode.ThemeIcon('circle-slash'),
  'maybe-accepted': new vscode.ThemeIcon('question', new vscode.ThemeColor('list.warningForeground')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground')),
  'gave-up': new vscode.ThemeIcon('clock'),
};

function submissionItem(s: BatchSubmission): vscode.TreeItem {
  const state = submissionState(s);
  const item = new vscode.TreeItem(
    path.basename(s.sourceFile),
    s.uploads.length > 1 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
  );
  item.id = s.id;
  const rows = s.uploads.reduce((n, u) => n + u.rows, 0);
  const bytes = s.uploads.reduce((n, u) => n + u.bytes, 0);
  // Short enough for the default sidebar width: the state first; size, API and time are in the tooltip.
  item.description = `${state} · ${rows} ${vscode.l10n.t('rows')}`;
  item.tooltip = new vscode.MarkdownString(
    `${state} · ${rows} ${vscode.l10n.t('rows')} · ${formatBytes(bytes)} · ${s.apiVersion} · ${new Date(s.createdAt).toLocaleString()}\n\n` +
      s.uploads
        .map(
          (u) =>
            `**${u.index + 1}/${s.uploads.length}** ${u.state}${u.status ? ` / ${u.status}` : ''}${u.counters ? ` — ${u.counters.successfulUpdates ?? '?'} ✓, ${u.counters.profilesNotFound ?? '?'} not found, ${u.counters.failedUpdates ?? '?'} failed` : ''}`,
        )
        .join('\n\n') +
      `\n\n${s.sourceFile}`,
  );
  item.iconPath = stateIcons[state];
  // ".request": a single upload with a status URL, which "Copy as cURL" copies.
  item.contextValue = `batch.${state}${s.uploads.length === 1 && s.uploads[0].batchStatus ? '.request' : ''}`;
  item.command = {
    command: Commands.showBatchDetails,
    title: vscode.l10n.t('Show Details'),
    arguments: [{ submissionId: s.id }],
  };
  return item;
}

function uploadItem(s: BatchSubmission, u: UploadRecord): vscode.TreeItem {
  const state =
    u.state === 'accepted'
      ? u.gaveUp
        ? 'gave-up'
        : u.status === 'complete' || u.status === 'stuck'
          ? u.status
          : 'processing'
      : u.state === 'pending'
        ? 'uploading'
        : u.state;
  const item = new vscode.TreeItem(
    vscode.l10n.t('Upload {0} of {1}', u.index + 1, s.uploads.length),
    vscode.TreeItemCollapsibleState.None,
  );
  item.id = `${s.id}/${u.index}`;
  item.description = `${state} · ${u.rows} ${vscode.l10n.t('rows')} · ${formatBytes(u.bytes)}${u.counters?.successfulUpdates !== undefined ? ` · ${u.counters.successfulUpdates} ✓` : ''}`;
  item.iconPath = stateIcons[state];
  item.contextValue = `upload.${state}${u.batchStatus ? '.request' : ''}`;
  item.tooltip = u.message;
  return item;
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function entryItem(entry: HistoryEntry): vscode.TreeItem {
  const item = new vscode.TreeItem(
    entry.kind === 'fetch' ? `${entry.profileId?.value}` : entry.summary,
    vscode.TreeItemCollapsibleState.None,
  );
  item.id = entry.id;
  const when = new Date(entry.time).toLocaleTimeString();
  const prefix =
    entry.kind === 'verify'
      ? vscode.l10n.t('verify') + ' · '
      : entry.kind === 'preview'
        ? (entry.preview?.execute
            ? vscode.l10n.t('executed preview')
            : entry.preview?.qa
              ? vscode.l10n.t('QA preview')
              : vscode.l10n.t('preview')) + ' · '
        : '';
  item.description = `${prefix}${entry.result} · ${when}`;
  item.tooltip = new vscode.MarkdownString(
    `**${entry.kind}** ${entry.summary}\n\n${entry.result}\n\n${new Date(entry.time).toLocaleString()}`,
  );
  item.iconPath = entry.cancelled
    ? new vscode.ThemeIcon('circle-slash')
    : new vscode.ThemeIcon(
        entry.ok ? (entry.kind === 'fetch' ? 'account' : entry.kind === 'preview' ? 'preview' : 'pass') : 'error',
      );
  item.contextValue = `entry.${entry.kind}${entry.request ? '.request' : ''}`;
  if (entry.kind === 'fetch' && entry.profileId) {
    item.command = {
      command: Commands.fetchProfile,
      title: vscode.l10n.t('Fetch Profile'),
      arguments: [{ connectionId: entry.connectionId, idType: entry.profileId.type, id: entry.profileId.value }],
    };
  }
  return item;
}
