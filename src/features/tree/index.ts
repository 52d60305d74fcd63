import * as vscode from 'vscode';
import { Commands, Views } from '../../contributions';
import { describeConnection, type Connection } from '../connections/store';
import type { HistoryEntry } from '../history/store';
import type { FeatureRegistration, Services } from '../services';

/**
 * The Target Profiles view: Connections > (Recent updates, Batches, Profiles looked up). Items carry
 * a `contextValue` so menus in package.json attach the right actions, and the ids commands need
 * (`connectionId`, `entryId`) so the same commands work from the palette and the tree.
 */
export type TreeNode =
  | { type: 'connection'; connectionId: string }
  | { type: 'group'; connectionId: string; group: 'updates' | 'batches' | 'profiles' }
  | { type: 'entry'; connectionId: string; entryId: string };

export class TargetTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];

  constructor(private readonly services: Services) {
    this.subscriptions.push(services.connections.onDidChange(() => this.refresh()), services.history.onDidChange(() => this.refresh()));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
  }

  getChildren(node?: TreeNode): TreeNode[] {
    const { connections, history } = this.services;
    if (!node) return connections.list().map((c) => ({ type: 'connection', connectionId: c.id }));
    if (node.type === 'connection') {
      return (['updates', 'batches', 'profiles'] as const).map((group) => ({ type: 'group', connectionId: node.connectionId, group }));
    }
    if (node.type !== 'group') return [];
    if (node.group !== 'profiles') {
      const kinds: HistoryEntry['kind'][] = node.group === 'updates' ? ['update', 'verify'] : ['batch'];
      return history
        .forConnection(node.connectionId)
        .filter((e) => kinds.includes(e.kind))
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
    if (node.type === 'connection') return connectionItem(connection!, connection?.id === connections.active()?.id);
    if (node.type === 'group') {
      const labels = { updates: vscode.l10n.t('Recent updates'), batches: vscode.l10n.t('Batches'), profiles: vscode.l10n.t('Profiles looked up') };
      const icons = { updates: 'history', batches: 'package', profiles: 'account' };
      const item = new vscode.TreeItem(labels[node.group], vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `${node.connectionId}/${node.group}`;
      item.iconPath = new vscode.ThemeIcon(icons[node.group]);
      item.contextValue = `group.${node.group}`;
      return item;
    }
    const entry = history.get(node.entryId);
    return entry ? entryItem(entry) : new vscode.TreeItem('?');
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if (node.type === 'connection') return undefined;
    if (node.type === 'group') return { type: 'connection', connectionId: node.connectionId };
    return undefined;
  }
}

function connectionItem(connection: Connection, active: boolean): vscode.TreeItem {
  const item = new vscode.TreeItem(connection.name, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = connection.id;
  item.description = `${describeConnection(connection)}${active ? ` · ${vscode.l10n.t('active')}` : ''}`;
  item.iconPath = new vscode.ThemeIcon(active ? 'plug' : 'debug-disconnect');
  item.contextValue = active ? 'connection.active' : 'connection';
  item.tooltip = describeConnection(connection);
  return item;
}

function entryItem(entry: HistoryEntry): vscode.TreeItem {
  const item = new vscode.TreeItem(entry.kind === 'fetch' ? `${entry.profileId?.value}` : entry.summary, vscode.TreeItemCollapsibleState.None);
  item.id = entry.id;
  const when = new Date(entry.time).toLocaleTimeString();
  item.description = `${entry.kind === 'verify' ? vscode.l10n.t('verify') + ' · ' : ''}${entry.result} · ${when}`;
  item.tooltip = new vscode.MarkdownString(`**${entry.kind}** ${entry.summary}\n\n${entry.result}\n\n${new Date(entry.time).toLocaleString()}`);
  item.iconPath = new vscode.ThemeIcon(entry.ok ? (entry.kind === 'fetch' ? 'account' : 'pass') : 'error');
  item.contextValue = `entry.${entry.kind}${entry.request ? '.request' : ''}`;
  if (entry.kind === 'fetch' && entry.profileId) {
    item.command = { command: Commands.fetchProfile, title: vscode.l10n.t('Fetch Profile'), arguments: [{ connectionId: entry.connectionId, idType: entry.profileId.type, id: entry.profileId.value }] };
  }
  return item;
}

/** The view; commands invoked from it receive the TreeNode, whose ids they read. */
export const register: FeatureRegistration = (_context, services) => {
  const tree = new TargetTree(services);
  return vscode.Disposable.from(
    tree,
    vscode.window.createTreeView(Views.connections, { treeDataProvider: tree, showCollapseAll: true }),
    vscode.commands.registerCommand(Commands.refreshTree, () => tree.refresh()),
  );
};
