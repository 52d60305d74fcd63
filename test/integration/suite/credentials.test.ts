import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { startEmulator, type Emulator } from '../../../src/emulator/server';
import { Commands, OUTPUT_CHANNEL_NAME } from '../../../src/contributions';
import type { HistoryEntry } from '../../../src/services/historyStore';
import type { ExtensionApi } from '../../../src/extension';
import { activateExtension, answeringModal, waitFor } from './helpers';

/**
 * A connection with Developer Console credentials: the emulator stands in for Adobe IMS, the Target
 * Admin API and the Profile APIs, with "Require Authentication" on; no token is ever pasted.
 */
const CREDENTIALS = {
  clientId: 'integration-client-4b2e',
  clientSecret: 'integration-SECRET-a9f03c71',
  tenant: 'acmetenant',
};

describe('connections with Developer Console credentials', () => {
  let api: ExtensionApi;
  let emulator: Emulator;
  let connectionId: string;

  before(async () => {
    api = await activateExtension();
    emulator = await startEmulator({
      credentials: CREDENTIALS,
      seed: [{ clientCode: 'acmecreds', thirdPartyId: 'crm-7', attributes: { tier: 'silver' } }],
    });
    // Auth enforced with a token nobody pasted anywhere.
    emulator.rotateToken();
  });
  after(async () => {
    if (connectionId) await api.services.connections.remove(connectionId);
    await emulator?.close();
  });

  /** Every secret of this suite: the client secret, each IMS token and each profile API token issued. */
  function secrets(): string[] {
    const bearers = emulator.requests
      .map((r) => /^Bearer (.+)$/.exec(r.authorization ?? '')?.[1])
      .filter((t): t is string => !!t);
    return [CREDENTIALS.clientSecret, emulator.currentToken()!, ...bearers];
  }

  it('adds the connection: the secret goes to SecretStorage only', async () => {
    connectionId = (await vscode.commands.executeCommand<string>(Commands.addConnection, {
      name: 'Acme (credentials)',
      clientCode: 'acmecreds',
      baseUrl: emulator.url,
      credentials: { ...CREDENTIALS, imsUrl: emulator.url, adminUrl: emulator.url },
    }))!;
    assert.ok(connectionId);
    const stored = api.services.connections.get(connectionId)!;
    assert.strictEqual(stored.credentials?.clientId, CREDENTIALS.clientId);
    assert.strictEqual(stored.credentials?.tenant, CREDENTIALS.tenant);
    assert.ok(!JSON.stringify(stored).includes(CREDENTIALS.clientSecret));
    assert.strictEqual(await api.services.connections.clientSecret(connectionId), CREDENTIALS.clientSecret);
    assert.strictEqual(await api.services.connections.token(connectionId), undefined);
  });

  it('sends a single update with the token from IMS and the Admin API, without any token pasted', async () => {
    const entry = await vscode.commands.executeCommand<HistoryEntry>(Commands.updateProfile, {
      connectionId,
      idType: 'thirdPartyId',
      id: 'crm-7',
      attributes: { tier: 'gold' },
    });
    assert.ok(entry?.ok, entry?.result);
    assert.strictEqual(
      emulator.exportProfiles().find((p) => p.thirdPartyId === 'crm-7')?.attributes.tier.value,
      'gold',
    );
    const update = emulator.requests.find((r) => r.route === 'update')!;
    assert.strictEqual(update.authorization, `Bearer ${emulator.currentToken()}`);
    assert.ok(emulator.requests.some((r) => r.route === 'imsToken' && r.status === 200));
  });

  it('reuses the cached token, and recovers by itself after the token is rotated elsewhere', async () => {
    const imsBefore = emulator.requests.filter((r) => r.route === 'imsToken').length;
    emulator.rotateToken();
    const entry = await vscode.commands.executeCommand<HistoryEntry>(Commands.updateProfile, {
      connectionId,
      idType: 'thirdPartyId',
      id: 'crm-7',
      attributes: { tier: 'platinum' },
    });
    assert.ok(entry?.ok, entry?.result);
    assert.deepStrictEqual(
      emulator.requests
        .filter((r) => r.route === 'update')
        .slice(-2)
        .map((r) => r.status),
      [401, 200],
    );
    // The IMS token was still good: only the Admin API was asked again.
    assert.strictEqual(emulator.requests.filter((r) => r.route === 'imsToken').length, imsBefore);
  });

  it('Check Require Authentication records the status for the tree; Rotate gives a working new token', async () => {
    assert.strictEqual(
      await vscode.commands.executeCommand<boolean>(Commands.checkAuthentication, { connectionId }),
      true,
    );
    assert.strictEqual(api.services.connections.get(connectionId)?.authStatus?.required, true);
    const old = emulator.currentToken();
    assert.strictEqual(
      await answeringModal('Rotate Token', () =>
        vscode.commands.executeCommand<boolean>(Commands.rotateProfileToken, { connectionId }),
      ),
      true,
    );
    assert.notStrictEqual(emulator.currentToken(), old);
    const entry = await vscode.commands.executeCommand<HistoryEntry>(Commands.updateProfile, {
      connectionId,
      idType: 'thirdPartyId',
      id: 'crm-7',
      attributes: { tier: 'gold' },
    });
    assert.ok(entry?.ok, entry?.result);
    assert.strictEqual(emulator.requests.filter((r) => r.route === 'update').at(-1)?.status, 200);
  });

  it('the client secret and the tokens are in no global state, settings file, history or log', async () => {
    const all = secrets();
    assert.ok(all.length >= 4);
    const found = (text: string) => all.find((s) => text.includes(s));
    for (const key of api.globalState.keys()) {
      assert.strictEqual(found(JSON.stringify(api.globalState.get(key)) ?? ''), undefined, `global state ${key}`);
    }
    assert.strictEqual(found(JSON.stringify(vscode.workspace.getConfiguration().inspect('targetProfiles'))), undefined);
    const userData = path.dirname(path.dirname(path.dirname(api.globalStorageUri.fsPath)));
    for (const file of [
      path.join(userData, 'User', 'settings.json'),
      path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.vscode', 'settings.json'),
    ]) {
      if (fs.existsSync(file)) assert.strictEqual(found(fs.readFileSync(file, 'utf8')), undefined, file);
    }
    await vscode.commands.executeCommand(Commands.showOutput);
    const log = await waitFor(() =>
      vscode.workspace.textDocuments.find(
        (d) =>
          d.uri.scheme === 'output' &&
          d.uri.path.includes(OUTPUT_CHANNEL_NAME) &&
          d.getText().includes('/ims/token/v3'),
      ),
    );
    assert.ok(log, 'the IMS request was logged (redacted)');
    assert.strictEqual(found(log.getText()), undefined, 'a secret is in the log channel');
  });
});
