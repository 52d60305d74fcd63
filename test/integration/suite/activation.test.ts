import * as assert from 'assert';
import * as vscode from 'vscode';
import { Commands, OUTPUT_CHANNEL_NAME } from '../../../src/contributions';
import { EXTENSION_ID, activateExtension, waitFor } from './helpers';

describe('activation', () => {
  it('activates on a contributed command and returns its API', async () => {
    const api = await activateExtension();
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID)?.isActive);
    assert.strictEqual(api.services.log.name, OUTPUT_CHANNEL_NAME);
  });

  it('registers exactly the commands package.json contributes', async () => {
    await activateExtension();
    const contributed: string[] = vscode.extensions
      .getExtension(EXTENSION_ID)!
      .packageJSON.contributes.commands.map((c: { command: string }) => c.command);
    // VS Code generates focus/open/... commands for every contributed view; those are not ours.
    const viewIds = Object.values(vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.views ?? {})
      .flat()
      .map((v) => (v as { id: string }).id);
    const registered = (await vscode.commands.getCommands(true)).filter(
      (c) => c.startsWith('targetProfiles.') && !viewIds.some((view) => c.startsWith(`${view}.`)),
    );
    assert.deepStrictEqual([...new Set(registered)].sort(), [...contributed].sort());
    assert.ok(contributed.includes(Commands.showOutput));
  });

  it('opens its output channel from the Show Output command', async () => {
    await activateExtension();
    await vscode.commands.executeCommand(Commands.showOutput);
    // The channel's document appears once the Output view shows it.
    // The channel's document appears once the Output view shows it, and fills as the log flushes.
    const found = await waitFor(() =>
      vscode.workspace.textDocuments.find(
        (d) =>
          d.uri.scheme === 'output' &&
          d.uri.path.includes(OUTPUT_CHANNEL_NAME) &&
          /Target Profiles .* activated/.test(d.getText()),
      ),
    );
    assert.ok(
      found,
      `no output document with the activation line; open: ${vscode.workspace.textDocuments.map((d) => d.uri.toString()).join(', ')}`,
    );
  });
});
