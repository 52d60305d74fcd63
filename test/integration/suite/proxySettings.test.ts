import * as assert from 'assert';
import * as net from 'net';
import * as vscode from 'vscode';
import { startEmulator, type Emulator } from '../../../src/emulator/server';
import { Commands } from '../../../src/contributions';
import type { ExtensionApi } from '../../../src/extension';
import { activateExtension } from './helpers';

/** VS Code's proxy settings reach the Target client: `http.proxy`, `http.noProxy`, `http.proxySupport`. */
describe('proxy settings of the editor', () => {
  let api: ExtensionApi;
  let emulator: Emulator;
  let connectionId: string;
  let deadProxy: string;
  const http = () => vscode.workspace.getConfiguration('http');

  const fetch = () =>
    vscode.commands.executeCommand<{ found: boolean; message?: string }>(Commands.fetchProfile, {
      connectionId,
      idType: 'thirdPartyId',
      id: 'px-1',
      silent: true,
    });

  before(async () => {
    api = await activateExtension();
    emulator = await startEmulator({ seed: [{ clientCode: 'proxied', thirdPartyId: 'px-1', attributes: {} }] });
    connectionId = (await vscode.commands.executeCommand<string>(Commands.addConnection, {
      name: 'Behind a proxy',
      clientCode: 'proxied',
      baseUrl: emulator.url,
    }))!;
    // A proxy address nothing listens on.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    deadProxy = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    await new Promise((resolve) => server.close(resolve));
  });

  after(async () => {
    for (const key of ['proxy', 'noProxy', 'proxySupport']) {
      await http().update(key, undefined, vscode.ConfigurationTarget.Global);
    }
    if (connectionId) await api.services.connections.remove(connectionId);
    await emulator?.close();
  });

  it('names the proxy of http.proxy when it is down, and goes direct for hosts in http.noProxy', async () => {
    await http().update('proxy', deadProxy, vscode.ConfigurationTarget.Global);
    const down = await fetch();
    assert.strictEqual(down?.found, false);
    assert.match(down.message ?? '', new RegExp(`^Could not connect to the proxy ${deadProxy.replace(/\./g, '\\.')} `));
    assert.ok(!down.message?.includes(`Could not connect to ${new URL(emulator.url).host}`), down.message);

    await http().update('noProxy', ['127.0.0.1'], vscode.ConfigurationTarget.Global);
    assert.strictEqual((await fetch())?.found, true, 'http.noProxy exempts 127.0.0.1');

    await http().update('noProxy', undefined, vscode.ConfigurationTarget.Global);
    await http().update('proxySupport', 'off', vscode.ConfigurationTarget.Global);
    assert.strictEqual((await fetch())?.found, true, 'http.proxySupport "off" turns the proxy off');
  });
});
