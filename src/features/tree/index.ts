import * as vscode from 'vscode';
import { Commands, Views } from '../../contributions';
import type { FeatureRegistration } from '../../services';

/** The view; commands invoked from it receive the TreeNode, whose ids they read. */
export const register: FeatureRegistration = (_context, services) => {
  const tree = services.tree;
  const view = vscode.window.createTreeView(Views.connections, { treeDataProvider: tree, showCollapseAll: true });
  return vscode.Disposable.from(
    view,
    tree.attachView(view),
    vscode.commands.registerCommand(Commands.refreshTree, () => tree.refresh()),
  );
};
