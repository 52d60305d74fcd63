import * as vscode from 'vscode';
import { waitFor } from '../helpers';

export type AnyQuickInput = vscode.InputBox | vscode.QuickPick<vscode.QuickPickItem>;

/**
 * Records every input box and quick pick the extension creates, as the user would see them. The test
 * shares the extension's `vscode.window`, so wrapping its factories sees the extension's inputs; the
 * test then answers through the workbench's own commands (accept, Back, close), as keys would.
 */
export class QuickInputs implements vscode.Disposable {
  readonly shown: AnyQuickInput[] = [];
  private readonly window = vscode.window as unknown as Record<string, (...args: unknown[]) => unknown>;
  private readonly originals = {
    createInputBox: this.window.createInputBox,
    createQuickPick: this.window.createQuickPick,
  };

  constructor() {
    for (const name of ['createInputBox', 'createQuickPick'] as const) {
      const original = this.originals[name];
      this.window[name] = (...args: unknown[]) => {
        const input = original.apply(vscode.window, args) as AnyQuickInput;
        this.shown.push(input);
        return input;
      };
    }
  }

  dispose(): void {
    this.window.createInputBox = this.originals.createInputBox;
    this.window.createQuickPick = this.originals.createQuickPick;
  }

  /** The `n`th input created (0-based), once the extension has created it. */
  async nth(n: number): Promise<AnyQuickInput> {
    const input = await waitFor(() => this.shown[n], 10_000);
    if (!input) throw new Error(`no quick input #${n + 1} was shown (${this.shown.length} so far)`);
    // Let the workbench show it before it is answered.
    await new Promise((r) => setTimeout(r, 300));
    return input;
  }

  async type(input: AnyQuickInput, value: string): Promise<void> {
    input.value = value;
    await new Promise((r) => setTimeout(r, 300));
  }

  accept(): Thenable<unknown> {
    return vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  }

  back(): Thenable<unknown> {
    return vscode.commands.executeCommand('workbench.action.quickInputBack');
  }

  escape(): Thenable<unknown> {
    return vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  }
}

export function isPick(input: AnyQuickInput): input is vscode.QuickPick<vscode.QuickPickItem> {
  return 'items' in input;
}
