import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { startEmulator } from '../../../src/emulator/server';
import { Commands, OUTPUT_CHANNEL_NAME } from '../../../src/contributions';
import type { HistoryEntry } from '../../../src/services/historyStore';
import {
  activateExtension,
  KNOWN_PROPERTY_TOKEN,
  KNOWN_QA_TOKEN,
  KNOWN_TOKEN,
  KNOWN_TRACE_TOKEN,
  waitFor,
} from './helpers';

/**
 * Every secret the tests hand the extension: the profile API token, the preview's property and trace
 * tokens, and the token of its Activity QA links.
 */
const SECRETS = [KNOWN_TOKEN, KNOWN_PROPERTY_TOKEN, KNOWN_TRACE_TOKEN, KNOWN_QA_TOKEN];
const leaks = (text: { includes(s: string): boolean }) => SECRETS.some((secret) => text.includes(secret));

/**
 * index.ts loads this file after every other one, so it scans what the whole run left behind: the
 * token the tests used for their connections must appear nowhere the extension wrote or showed anything.
 */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : [full];
  });
}

/** Every notification the extension shows during this suite, recorded as it is shown. */
const shown: string[] = [];

describe('secret hygiene after the whole run', () => {
  const window = vscode.window as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = new Map<string, (...args: unknown[]) => unknown>();

  before(() => {
    // The tests share the extension's API object, so wrapping these records what the extension shows.
    for (const name of ['showInformationMessage', 'showWarningMessage', 'showErrorMessage']) {
      const original = window[name];
      originals.set(name, original);
      window[name] = (...args: unknown[]) => {
        shown.push(args.filter((a) => typeof a === 'string').join(' | '));
        return original.apply(vscode.window, args);
      };
    }
  });

  after(() => {
    for (const [name, original] of originals) window[name] = original;
  });

  it('the token was used: an authenticated update, fetch and failure went out', async () => {
    const emulator = await startEmulator({
      token: KNOWN_TOKEN,
      seed: [{ clientCode: 'secret', thirdPartyId: 's-1', attributes: { a: '1' } }],
    });
    try {
      const connectionId = await vscode.commands.executeCommand<string>(Commands.addConnection, {
        name: 'Secrets',
        clientCode: 'secret',
        baseUrl: emulator.url,
        token: KNOWN_TOKEN,
      });
      const entry = await vscode.commands.executeCommand<HistoryEntry>(Commands.updateProfile, {
        connectionId,
        idType: 'thirdPartyId',
        id: 's-1',
        attributes: { a: '2' },
      });
      assert.ok(entry?.ok, entry?.result);
      await vscode.commands.executeCommand(Commands.fetchProfile, { connectionId, idType: 'thirdPartyId', id: 's-1' });
      // A refused request too: error paths must not echo the token either.
      emulator.failNext(1, 500);
      await vscode.commands.executeCommand(Commands.fetchProfile, { connectionId, idType: 'thirdPartyId', id: 's-1' });
      assert.ok(emulator.requests.every((r) => r.authorization === `Bearer ${KNOWN_TOKEN}`));
      // A server that echoes the request back in its error must not put the token in a notification.
      emulator.failNext(1, 500);
      await vscode.commands.executeCommand(Commands.updateProfile, {
        connectionId,
        idType: 'thirdPartyId',
        id: 's-1',
        attributes: { b: KNOWN_TOKEN.slice(0, 4) },
      });
    } finally {
      await emulator.close();
    }
  });

  it('appears in no notification shown', () => {
    assert.ok(shown.length >= 3, `notifications recorded: ${JSON.stringify(shown)}`);
    assert.ok(
      shown.some((m) => /failed/i.test(m)),
      'a failure notification was shown',
    );
    for (const message of shown) assert.ok(!leaks(message), message);
  });

  it('appears in no log line, even at debug level, and the requests were logged', async () => {
    await vscode.commands.executeCommand(Commands.showOutput);
    // After the reload tests there may be an older, closed channel of the same name: take the live one.
    const log = await waitFor(() =>
      vscode.workspace.textDocuments.find(
        (d) =>
          d.uri.scheme === 'output' && d.uri.path.includes(OUTPUT_CHANNEL_NAME) && d.getText().includes('/m2/secret/'),
      ),
    );
    assert.ok(log, 'no log with the requests of this suite');
    const text = log.getText();
    // Debug lines prove the request log was on: the scan covered the headers it writes.
    assert.match(
      text,
      /\[debug\] (GET|POST) http:\/\/127\.0\.0\.1:\d+\/m2\/.* headers \{.*"authorization":"Bearer \*\*\*"/i,
    );
    assert.ok(!leaks(text), 'a token is in the log channel');
  });

  it('appears in no global state, history, batch journal or settings file', async () => {
    const api = await activateExtension();
    for (const key of api.globalState.keys()) {
      assert.ok(!leaks(JSON.stringify(api.globalState.get(key))), `global state ${key}`);
    }
    assert.ok(!leaks(JSON.stringify(api.services.history.all())));
    assert.ok(!leaks(JSON.stringify(api.services.batches.all())));
    const userData = path.dirname(path.dirname(path.dirname(api.globalStorageUri.fsPath)));
    const settingsFiles = [
      path.join(userData, 'User', 'settings.json'),
      ...filesUnder(vscode.workspace.workspaceFolders![0].uri.fsPath).filter((f) => f.endsWith('settings.json')),
    ];
    for (const file of settingsFiles) {
      if (fs.existsSync(file)) assert.ok(!leaks(fs.readFileSync(file, 'utf8')), file);
    }
    // The extension's own storage folders and log files.
    for (const file of [...filesUnder(api.globalStorageUri.fsPath), ...filesUnder(path.join(userData, 'logs'))]) {
      assert.ok(!leaks(fs.readFileSync(file)), file);
    }
  });

  it('appears in no copied cURL command', async () => {
    const api = await activateExtension();
    const withRequest = api.services.history.all().filter((e) => e.request?.authenticated || e.kind === 'preview');
    assert.ok(withRequest.length > 0);
    for (const entry of withRequest) {
      const command = await vscode.commands.executeCommand<string>(Commands.copyAsCurl, entry.id);
      assert.ok(!leaks(command));
      assert.ok(!leaks(await vscode.env.clipboard.readText()));
    }
  });
});
