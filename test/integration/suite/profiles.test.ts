import * as assert from 'assert';
import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { startEmulator, type Emulator } from '../../../src/emulator/server';
import { Commands } from '../../../src/contributions';
import type { HistoryEntry } from '../../../src/services/historyStore';
import type { VerifyReport } from '../../../src/core/profiles/verify';
import type { ExtensionApi } from '../../../src/extension';
import { activateExtension, KNOWN_TOKEN, waitFor } from './helpers';

/** Runs a command line in sh with only PATH and the given variables set. */
function shell(
  command: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      ['-c', command],
      { env: { PATH: process.env.PATH, ...env }, timeout: 20_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Connections, single updates, look-ups, verification and history, against the emulator over HTTP. */
const TOKEN = KNOWN_TOKEN;

describe('connections and profiles', () => {
  let api: ExtensionApi;
  let emulator: Emulator;
  let connectionId: string;

  before(async () => {
    api = await activateExtension();
    emulator = await startEmulator({
      token: TOKEN,
      seed: [
        {
          clientCode: 'acme',
          thirdPartyId: 'crm-1001',
          pcId: '1368007744041-575948.01_00',
          attributes: { loyaltyTier: 'silver' },
        },
      ],
    });
    const config = vscode.workspace.getConfiguration('targetProfiles');
    await config.update('verify.timeoutSeconds', 3, vscode.ConfigurationTarget.Global);
    await config.update('polling.minSeconds', 1, vscode.ConfigurationTarget.Global);
    await config.update('polling.maxSeconds', 1, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await emulator?.close();
    const config = vscode.workspace.getConfiguration('targetProfiles');
    for (const key of ['verify.timeoutSeconds', 'polling.minSeconds', 'polling.maxSeconds']) {
      await config.update(key, undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('adds a connection whose token lives only in SecretStorage', async () => {
    connectionId = (await vscode.commands.executeCommand<string>(Commands.addConnection, {
      name: 'Acme (emulator)',
      clientCode: 'acme',
      apiVersion: 'v1',
      baseUrl: emulator.url,
      token: TOKEN,
    }))!;
    assert.ok(connectionId);
    const stored = api.services.connections.get(connectionId)!;
    assert.deepStrictEqual(stored, {
      id: connectionId,
      name: 'Acme (emulator)',
      clientCode: 'acme',
      apiVersion: 'v1',
      baseUrl: emulator.url,
    });
    assert.strictEqual(await api.services.connections.token(connectionId), TOKEN);
    assert.strictEqual(api.services.connections.active()?.id, connectionId);
    // Nowhere else: not in global state, not in any settings scope or file.
    const state = api.globalState;
    for (const key of state.keys()) {
      assert.ok(!JSON.stringify(state.get(key)).includes(TOKEN), `token found in global state key ${key}`);
    }
    const inspected = JSON.stringify(vscode.workspace.getConfiguration().inspect('targetProfiles'));
    assert.ok(!inspected.includes(TOKEN));
    const userSettings = path.join(
      path.dirname(path.dirname(path.dirname(api.globalStorageUri.fsPath))),
      'User',
      'settings.json',
    );
    for (const file of [
      userSettings,
      path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.vscode', 'settings.json'),
    ]) {
      if (fs.existsSync(file)) assert.ok(!fs.readFileSync(file, 'utf8').includes(TOKEN), `token found in ${file}`);
    }
  });

  it('refuses a connection with a hostile client code or base URL', async () => {
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand(Commands.addConnection, { name: 'x', clientCode: 'evil.com/x' })),
      /client code/i,
    );
    await assert.rejects(
      Promise.resolve(
        vscode.commands.executeCommand(Commands.addConnection, {
          name: 'x',
          clientCode: 'acme',
          baseUrl: 'http://example.com',
        }),
      ),
      /https/i,
    );
  });

  it('sends a single update that reaches the emulator with the values as typed', async () => {
    const before = emulator.requests.length;
    const entry = await vscode.commands.executeCommand<HistoryEntry>(Commands.updateProfile, {
      idType: 'thirdPartyId',
      id: 'crm-1001',
      attributes: [
        ['loyaltyTier', 'gold'],
        ['note', 'a&b=c #1 ñ'],
      ],
    });
    assert.ok(entry?.ok, entry?.result);
    const request = emulator.requests.slice(before).find((r) => r.route === 'update')!;
    assert.strictEqual(request.authorization, `Bearer ${TOKEN}`);
    const profile = emulator.exportProfiles().find((p) => p.thirdPartyId === 'crm-1001')!;
    assert.strictEqual(profile.attributes.loyaltyTier.value, 'gold');
    assert.strictEqual(profile.attributes.note.value, 'a&b=c #1 ñ');
    assert.strictEqual(api.services.history.get(entry.id)?.summary, entry.summary);
  });

  it('fetches a profile into a read-only JSON document and lists it', async () => {
    const result = await vscode.commands.executeCommand<{ found: boolean; uri: vscode.Uri }>(Commands.fetchProfile, {
      idType: 'thirdPartyId',
      id: 'crm-1001',
    });
    assert.ok(result?.found);
    const document = await vscode.workspace.openTextDocument(result.uri);
    assert.strictEqual(document.languageId, 'json');
    const json = JSON.parse(document.getText());
    assert.strictEqual(json.profileAttributes.loyaltyTier.value, 'gold');
    assert.ok(api.services.history.forConnection(connectionId, 'fetch').some((e) => e.profileId?.value === 'crm-1001'));
    // Refresh picks up a change made on the server.
    emulator.seedProfile({ clientCode: 'acme', thirdPartyId: 'crm-1001', attributes: { city: 'Sevilla' } });
    await vscode.commands.executeCommand(Commands.refreshProfile, result.uri);
    const refreshed = await waitFor(() =>
      JSON.parse(document.getText()).profileAttributes.city?.value === 'Sevilla' ? true : undefined,
    );
    assert.ok(refreshed, document.getText());
  });

  it('reports a missing profile clearly', async () => {
    const result = await vscode.commands.executeCommand<{ found: boolean; message: string }>(Commands.fetchProfile, {
      idType: 'thirdPartyId',
      id: 'nobody',
    });
    assert.strictEqual(result?.found, false);
    assert.match(result.message, /No profile found/);
  });

  it('verifies an update: matching, and an attribute that differs', async () => {
    const entry = (await vscode.commands.executeCommand<HistoryEntry>(Commands.updateProfile, {
      idType: 'thirdPartyId',
      id: 'crm-1001',
      attributes: { loyaltyTier: 'platinum', age: '35' },
    }))!;
    const ok = await vscode.commands.executeCommand<VerifyReport>(Commands.verifyUpdate, entry.id);
    assert.ok(ok?.allMatch, JSON.stringify(ok));
    // Someone else changes the tier afterwards: Verify says which attribute differs and how.
    emulator.seedProfile({ clientCode: 'acme', thirdPartyId: 'crm-1001', attributes: { loyaltyTier: 'bronze' } });
    const differs = await vscode.commands.executeCommand<VerifyReport>(Commands.verifyUpdate, entry.id);
    assert.strictEqual(differs?.allMatch, false);
    assert.deepStrictEqual(
      differs.checks.find((c) => c.name === 'loyaltyTier'),
      { name: 'loyaltyTier', state: 'differs', expected: 'platinum', actual: 'bronze' },
    );
    assert.strictEqual(differs.checks.find((c) => c.name === 'age')?.state, 'match');
  });

  it('cancels a request in flight', async () => {
    emulator.setDelay(5000);
    try {
      const started = Date.now();
      const pending = vscode.commands.executeCommand<HistoryEntry>(Commands.updateProfile, {
        idType: 'thirdPartyId',
        id: 'crm-1001',
        attributes: { slow: 'yes' },
      });
      await waitFor(() => emulator.requests.some((r) => r.url.includes('profile.slow=')) || undefined, 3000);
      const cancelled = await vscode.commands.executeCommand<number>(Commands.cancelRequests);
      assert.strictEqual(cancelled, 1);
      const entry = await pending;
      assert.ok(Date.now() - started < 4000, 'the request kept waiting after cancellation');
      assert.strictEqual(entry?.ok, false);
      assert.strictEqual(entry?.cancelled, true, 'recorded as cancelled, not as a failure');
      assert.match(entry!.result, /cancel/i);
      const item = api.services.tree.getTreeItem({ type: 'entry', connectionId, entryId: entry!.id });
      assert.strictEqual((item.iconPath as vscode.ThemeIcon).id, 'circle-slash');
      assert.strictEqual(await vscode.commands.executeCommand<number>(Commands.cancelRequests), 0);
    } finally {
      emulator.setDelay(0);
    }
  });

  it('copies an update as cURL without the token', async () => {
    const entry = api.services.history.forConnection(connectionId, 'update').find((e) => e.ok)!;
    const command = await vscode.commands.executeCommand<string>(Commands.copyAsCurl, entry.id);
    assert.ok(command.includes(' && curl --fail-with-body -X GET '), command);
    assert.ok(command.includes('"Authorization: Bearer $TARGET_PROFILE_TOKEN"'));
    assert.ok(!command.includes(TOKEN));
    assert.strictEqual(await vscode.env.clipboard.readText(), command);
  });

  it('copies a profile look-up as cURL that fails clearly without $TARGET_PROFILE_TOKEN', async () => {
    await vscode.commands.executeCommand(Commands.fetchProfile, { idType: 'thirdPartyId', id: 'crm-1001' });
    const entry = api.services.history.forConnection(connectionId, 'fetch').find((e) => e.request)!;
    assert.ok(entry, 'the look-up is kept with its request');
    const item = api.services.tree.getTreeItem({ type: 'entry', connectionId, entryId: entry.id });
    assert.match(String(item.contextValue), /\.request$/, 'the row offers Copy as cURL');
    const command = await vscode.commands.executeCommand<string>(Commands.copyAsCurl, { entryId: entry.id });
    assert.strictEqual(
      command,
      `: "\${TARGET_PROFILE_TOKEN:?set TARGET_PROFILE_TOKEN to the profile API token}" && curl --fail-with-body -X GET '${emulator.url}/rest/v1/profiles/thirdPartyId/crm-1001?client=acme' -H "Authorization: Bearer $TARGET_PROFILE_TOKEN"`,
    );
    assert.ok(!command.includes(TOKEN));
    // Run as a user would paste it, with a real curl, when the machine has one. Asynchronously: the
    // emulator answering it runs in this very process.
    if (spawnSync('curl', ['--version']).status === 0) {
      const unset = await shell(command, {});
      assert.notStrictEqual(unset.code, 0);
      assert.match(unset.stderr, /set TARGET_PROFILE_TOKEN to the profile API token/);
      const run = await shell(command, { TARGET_PROFILE_TOKEN: TOKEN });
      assert.strictEqual(run.code, 0, run.stderr);
      assert.strictEqual(typeof JSON.parse(run.stdout).profileAttributes, 'object', run.stdout);
    }
  });

  it('switches and removes connections, and clears history', async () => {
    const other = (await vscode.commands.executeCommand<string>(Commands.addConnection, {
      name: 'Other',
      clientCode: 'other',
      baseUrl: emulator.url,
    }))!;
    assert.strictEqual(api.services.connections.active()?.id, other);
    await vscode.commands.executeCommand(Commands.switchConnection, connectionId);
    assert.strictEqual(api.services.connections.active()?.id, connectionId);
    await api.services.connections.remove(other);
    assert.strictEqual(api.services.connections.get(other), undefined);
    await vscode.commands.executeCommand(Commands.clearHistory, { connectionId });
    assert.strictEqual(api.services.history.forConnection(connectionId).length, 0);
  });
});
