import * as assert from 'assert';
import * as vscode from 'vscode';
import { startEmulator, type Emulator } from '../../../src/emulator/server';
import { Commands } from '../../../src/contributions';
import type { HistoryEntry } from '../../../src/services/historyStore';
import type { ExtensionApi } from '../../../src/extension';
import { activateExtension, waitFor } from './helpers';
import { QuickInputs, isPick, type AnyQuickInput } from './support/quickInput';

const TOKEN = 'palette-token-3e7a';

/**
 * The palette flows as a user goes through them: no question whose answer is known, Back keeps the
 * answers, Escape saves nothing, and a connection without credential says so.
 */
describe('palette flows', () => {
  let api: ExtensionApi;
  let emulator: Emulator;
  let inputs: QuickInputs;
  let added: string | undefined;

  before(async () => {
    api = await activateExtension();
    emulator = await startEmulator({
      token: TOKEN,
      seed: [{ clientCode: 'flowco', thirdPartyId: 'crm-1', attributes: {} }],
    });
    for (const c of api.services.connections.list()) await api.services.connections.remove(c.id);
  });

  beforeEach(() => {
    inputs = new QuickInputs();
  });

  afterEach(async () => {
    inputs.dispose();
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  });

  after(async () => {
    if (added) await api.services.connections.remove(added);
    await emulator?.close();
  });

  const stepOf = (input: AnyQuickInput) => `${input.step}/${input.totalSteps}`;

  it('Add Connection: numbered steps, Back keeps the answer, "No credential" asks for no token', async () => {
    const done = vscode.commands.executeCommand<string>(Commands.addConnection);
    const code = await inputs.nth(0);
    assert.strictEqual(stepOf(code), '1/6');
    await inputs.type(code, 'flowco');
    await inputs.accept();
    const name = await inputs.nth(1);
    assert.strictEqual(stepOf(name), '2/6');
    assert.strictEqual(name.value, 'flowco', 'the name defaults to the client code');
    assert.ok(name.buttons.includes(vscode.QuickInputButtons.Back));
    await inputs.back();
    const codeAgain = await inputs.nth(2);
    assert.strictEqual(stepOf(codeAgain), '1/6');
    assert.strictEqual(codeAgain.value, 'flowco', 'Back shows the answer given');
    await inputs.accept();
    const name2 = await inputs.nth(3);
    await inputs.type(name2, 'Flow (emulator)');
    await inputs.accept();
    const version = await inputs.nth(4);
    assert.ok(isPick(version));
    assert.strictEqual(stepOf(version), '3/6');
    await inputs.accept();
    const base = await inputs.nth(5);
    await inputs.type(base, emulator.url);
    await inputs.accept();
    const auth = await inputs.nth(6);
    assert.ok(isPick(auth));
    assert.strictEqual(stepOf(auth), '5/6');
    const none = auth.items.find((i) => /No credential/.test(i.label))!;
    auth.activeItems = [none];
    await new Promise((r) => setTimeout(r, 300));
    await inputs.accept();
    added = await done;
    assert.ok(added, 'the connection was added');
    assert.strictEqual(inputs.shown.length, 7, 'no token step after "No credential"');
    const saved = api.services.connections.get(added)!;
    assert.strictEqual(saved.name, 'Flow (emulator)');
    assert.strictEqual(saved.baseUrl, emulator.url);
    assert.strictEqual(api.services.connections.credentialKind(saved), 'none');
  });

  it('Escape in the middle of Add Connection saves nothing', async () => {
    const before = api.services.connections.list().length;
    const done = vscode.commands.executeCommand<string>(Commands.addConnection);
    const code = await inputs.nth(0);
    await inputs.type(code, 'halfway');
    await inputs.accept();
    await inputs.nth(1);
    await inputs.escape();
    assert.strictEqual(await done, undefined);
    assert.strictEqual(api.services.connections.list().length, before);
  });

  it('Fetch Profile refuses + and / in a thirdPartyId as the user types, with numbered steps', async () => {
    const done = vscode.commands.executeCommand(Commands.fetchProfile);
    const type = await inputs.nth(0);
    assert.ok(isPick(type));
    assert.strictEqual(stepOf(type), '1/2');
    type.activeItems = [type.items.find((i) => i.label === 'thirdPartyId')!];
    await new Promise((r) => setTimeout(r, 300));
    await inputs.accept();
    const id = (await inputs.nth(1)) as vscode.InputBox;
    assert.strictEqual(stepOf(id), '2/2');
    assert.match(id.prompt ?? '', /thirdPartyId, e\.g\. crm-1001/);
    await inputs.type(id, 'a+b');
    await inputs.accept();
    const problem = await waitFor(() => (id.validationMessage ? String(id.validationMessage) : undefined), 3000);
    assert.match(problem ?? '', /\+ or \//);
    assert.strictEqual(inputs.shown.length, 2, 'an id with + does not go on');
    await inputs.escape();
    assert.strictEqual(await done, undefined);
  });

  it('a connection without credential: the server refuses, the view warns, the next request asks once', async () => {
    const update = () =>
      vscode.commands.executeCommand<HistoryEntry | undefined>(Commands.updateProfile, {
        connectionId: added,
        idType: 'thirdPartyId',
        id: 'crm-1',
        attributes: { tier: 'gold' },
      });
    const refused = await update();
    assert.strictEqual(refused?.ok, false);
    assert.ok(!/TARGET_PROFILE_TOKEN/.test(refused!.result), refused!.result);
    assert.match(refused!.result, /Set Profile API Token/);
    const connection = api.services.connections.get(added!)!;
    assert.strictEqual(connection.authStatus?.required, true, 'the refusal is remembered');
    const item = await api.services.tree.getTreeItem({ type: 'connection', connectionId: added! });
    assert.strictEqual((item.iconPath as vscode.ThemeIcon).id, 'warning');
    assert.match(String(item.tooltip), /Credential: none/);
    assert.match(String(item.description), /no token/);

    // The next request asks once, with "Set Token"; the answer here is to send anyway.
    const asked: string[] = [];
    const window = vscode.window as unknown as Record<string, (...args: unknown[]) => unknown>;
    const original = window.showWarningMessage;
    window.showWarningMessage = (...args: unknown[]) => {
      if ((args[1] as vscode.MessageOptions | undefined)?.modal && args.includes('Set Token')) {
        asked.push(String(args[0]));
        return Promise.resolve('Send Without Token');
      }
      return original.apply(vscode.window, args);
    };
    try {
      await update();
      await update();
    } finally {
      window.showWarningMessage = original;
    }
    assert.strictEqual(asked.length, 1, `asked ${asked.length} times`);
    assert.match(asked[0], /has no profile API token/);
  });

  it('Set Profile API Token with one connection asks only for the token', async () => {
    const done = vscode.commands.executeCommand(Commands.setConnectionToken);
    const first = await inputs.nth(0);
    assert.ok(!isPick(first), 'no connection pick for a single connection');
    assert.strictEqual(first.title, 'Set Profile API Token');
    await inputs.type(first, TOKEN);
    await inputs.accept();
    await done;
    assert.strictEqual(await api.services.connections.token(added!), TOKEN);
    const item = await api.services.tree.getTreeItem({ type: 'connection', connectionId: added! });
    assert.notStrictEqual((item.iconPath as vscode.ThemeIcon).id, 'warning');
    const entry = await vscode.commands.executeCommand<HistoryEntry>(Commands.updateProfile, {
      connectionId: added,
      idType: 'thirdPartyId',
      id: 'crm-1',
      attributes: { tier: 'gold' },
    });
    assert.ok(entry?.ok, entry?.result);
  });

  it('Edit Connection with one connection starts at its answers, and Escape changes nothing', async () => {
    const before = JSON.stringify(api.services.connections.get(added!));
    const done = vscode.commands.executeCommand(Commands.editConnection);
    const code = await inputs.nth(0);
    assert.ok(!isPick(code), 'no connection pick for a single connection');
    assert.strictEqual(code.value, 'flowco');
    assert.strictEqual(stepOf(code), '1/6');
    await inputs.accept();
    const name = await inputs.nth(1);
    assert.strictEqual(name.value, 'Flow (emulator)');
    await inputs.type(name, 'Renamed');
    await inputs.accept();
    await inputs.nth(2);
    await inputs.back();
    const nameAgain = await inputs.nth(3);
    assert.strictEqual(nameAgain.value, 'Renamed', 'Back shows the answer given');
    await inputs.escape();
    await done;
    assert.strictEqual(JSON.stringify(api.services.connections.get(added!)), before);
    assert.strictEqual(await api.services.connections.token(added!), TOKEN);
  });
});
