import * as vscode from 'vscode';

/**
 * Owns what a feature registers and disposes it with the feature, so that deactivation (or a test
 * disposing a feature) leaves no command, listener or provider behind.
 */
export abstract class Disposable implements vscode.Disposable {
  private readonly owned: vscode.Disposable[] = [];
  private disposed = false;

  protected register<T extends vscode.Disposable>(item: T): T {
    if (this.disposed) item.dispose();
    else this.owned.push(item);
    return item;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const item of this.owned.splice(0).reverse()) item.dispose();
  }
}
