import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { sampleProfiles } from '../../../src/emulator/samples';
import { startEmulator, type Emulator } from '../../../src/emulator/server';
import { Commands } from '../../../src/contributions';
import type { ScenarioSummary } from '../../../src/features/scenarios';
import type { ExtensionApi } from '../../../src/extension';
import { EXTENSION_ID, KNOWN_PROPERTY_TOKEN, activateExtension } from './helpers';

/** QA scenarios: discovery in the Test Explorer and runs through the commands, against the emulator. */
describe('QA scenarios', () => {
  let emulator: Emulator;
  let file: string;
  const connectionName = 'Scenario emulator';

  before(async () => {
    await activateExtension();
    emulator = await startEmulator({
      seed: [
        { clientCode: 'qa', thirdPartyId: 'crm-1001', attributes: { loyaltyTier: 'silver' } },
        { clientCode: 'qa', thirdPartyId: 'crm-1002', attributes: { loyaltyTier: 'gold' } },
      ],
    });
    await vscode.commands.executeCommand(Commands.addConnection, {
      name: connectionName,
      clientCode: 'qa',
      baseUrl: emulator.url,
      apiVersion: 'v1',
    });
    const config = vscode.workspace.getConfiguration('targetProfiles');
    await config.update('polling.minSeconds', 1, vscode.ConfigurationTarget.Global);
    await config.update('polling.maxSeconds', 1, vscode.ConfigurationTarget.Global);
    file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'gold.targetprofile.jsonc');
    fs.writeFileSync(
      file,
      `{
  // crm-1001 becomes gold; the second check is wrong on purpose
  "connection": "${connectionName}",
  "steps": [
    { "type": "update", "idType": "thirdPartyId", "id": "crm-1001", "attributes": { "loyaltyTier": "gold" } },
    { "type": "verify", "name": "crm-1001 is gold", "idType": "thirdPartyId", "id": "crm-1001", "expect": { "loyaltyTier": "gold" }, "within": 5 },
    { "type": "verify", "name": "crm-1002 is platinum", "idType": "thirdPartyId", "id": "crm-1002", "expect": { "loyaltyTier": "platinum" }, "within": 1 },
  ],
}
`,
    );
  });

  after(async () => {
    await emulator?.close();
    if (file) fs.rmSync(file, { force: true });
    const config = vscode.workspace.getConfiguration('targetProfiles');
    for (const key of ['polling.minSeconds', 'polling.maxSeconds']) {
      await config.update(key, undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('discovers the scenario file and its verify steps as tests', async () => {
    // The file watcher (or the open document) adds the file to the Test Explorer before any run.
    await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await new Promise((r) => setTimeout(r, 1500));
    const summary = await vscode.commands.executeCommand<ScenarioSummary>(
      Commands.runScenarioStep,
      vscode.Uri.file(file),
      1,
      { once: true },
    );
    assert.ok(summary, 'no summary');
    assert.strictEqual(summary.discovered, true);
    assert.strictEqual(summary.tests.label, 'gold.targetprofile.jsonc');
    assert.deepStrictEqual(
      summary.tests.children.map((c) => [c.label, c.line]),
      [
        ['crm-1001 is gold', 5],
        ['crm-1002 is platinum', 6],
      ],
    );
  });

  it('runs the scenario: one verify passes, the deliberately wrong one fails with what differs', async () => {
    const summary = await vscode.commands.executeCommand<ScenarioSummary>(Commands.runScenario, vscode.Uri.file(file));
    assert.ok(summary, 'no summary');
    assert.strictEqual(summary.passed, false);
    assert.deepStrictEqual(
      summary.steps.map((s) => [s.index, s.type, s.name, s.status]),
      [
        [0, 'update', 'update thirdPartyId crm-1001', 'passed'],
        [1, 'verify', 'crm-1001 is gold', 'passed'],
        [2, 'verify', 'crm-1002 is platinum', 'failed'],
      ],
    );
    assert.strictEqual(summary.steps[2].message, 'loyaltyTier: expected "platinum", got "gold" (after 1 s)');
    assert.deepStrictEqual(summary.steps[2].attributes, [
      { name: 'loyaltyTier', state: 'differs', expected: 'platinum', actual: 'gold' },
    ]);
    assert.strictEqual(
      emulator.exportProfiles().find((p) => p.thirdPartyId === 'crm-1001')!.attributes.loyaltyTier.value,
      'gold',
    );
  });

  it('runs a single step', async () => {
    const before = emulator.requests.length;
    const summary = await vscode.commands.executeCommand<ScenarioSummary>(
      Commands.runScenarioStep,
      vscode.Uri.file(file),
      1,
    );
    assert.deepStrictEqual(
      summary?.steps.map((s) => [s.index, s.status]),
      [[1, 'passed']],
    );
    assert.ok(
      emulator.requests.slice(before).every((r) => r.route === 'fetch'),
      'only the verify step ran',
    );
  });
});

/** The sample scenario the extension ships (update -> verify -> preview), run from the editor against the emulator. */
describe('QA scenarios: the sample, with its preview step', () => {
  let emulator: Emulator;
  let file: string;
  const connectionName = 'Sample scenario emulator';

  before(async () => {
    await activateExtension();
    // The sample profiles and, by default, the sample activities of client demo.
    emulator = await startEmulator({ seed: sampleProfiles });
    await vscode.commands.executeCommand(Commands.addConnection, {
      name: connectionName,
      clientCode: 'demo',
      baseUrl: emulator.url,
      apiVersion: 'v2',
    });
    const config = vscode.workspace.getConfiguration('targetProfiles');
    await config.update('polling.minSeconds', 1, vscode.ConfigurationTarget.Global);
    await config.update('polling.maxSeconds', 1, vscode.ConfigurationTarget.Global);
    const sample = path.join(
      vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath,
      'media',
      'sample',
      'loyalty.targetprofile.json',
    );
    const text = fs.readFileSync(sample, 'utf8');
    assert.match(text, /"connection": "Local emulator"/);
    file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'loyalty.targetprofile.json');
    fs.writeFileSync(file, text.replace('"connection": "Local emulator"', `"connection": "${connectionName}"`));
  });

  after(async () => {
    await emulator?.close();
    if (file) fs.rmSync(file, { force: true });
    const config = vscode.workspace.getConfiguration('targetProfiles');
    for (const key of ['polling.minSeconds', 'polling.maxSeconds']) {
      await config.update(key, undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('lists the preview step as a test and passes it once crm-1001 is gold, counting nothing', async () => {
    // Before the update, crm-1001 (silver) gets "Everyone": the preview step alone, checked once, fails saying so.
    const before = await vscode.commands.executeCommand<ScenarioSummary>(
      Commands.runScenarioStep,
      vscode.Uri.file(file),
      2,
      { once: true },
    );
    assert.ok(before, 'no summary');
    assert.deepStrictEqual(
      before.tests.children.map((c) => c.label),
      ['crm-1001 is gold', 'crm-1001 sees the gold hero', 'crm-1002 is still gold'],
    );
    assert.deepStrictEqual(
      before.steps.map((s) => [s.index, s.type, s.status]),
      [[2, 'preview', 'failed']],
    );
    assert.deepStrictEqual(
      before.steps[0].attributes.filter((a) => a.state !== 'match'),
      [
        { name: 'home-hero experience', state: 'differs', expected: 'Gold members', actual: 'Everyone' },
        { name: 'home-hero offer', state: 'differs', expected: 'Gold hero', actual: 'Default hero' },
      ],
    );

    const summary = await vscode.commands.executeCommand<ScenarioSummary>(Commands.runScenario, vscode.Uri.file(file));
    assert.ok(summary, 'no summary');
    assert.deepStrictEqual(
      summary.steps.map((s) => [s.type, s.name, s.status]),
      [
        ['update', 'Make crm-1001 a gold member', 'passed'],
        ['verify', 'crm-1001 is gold', 'passed'],
        ['preview', 'crm-1001 sees the gold hero', 'passed'],
        ['verify', 'crm-1002 is still gold', 'passed'],
      ],
    );
    assert.strictEqual(summary.passed, true);
    assert.ok(
      emulator.requests.some((r) => r.route === 'delivery'),
      'the Delivery API was called',
    );
    assert.deepStrictEqual(emulator.impressions(), [], 'a preview step prefetches');
  });
});

/** A preview step naming a property token the connection keeps in SecretStorage. */
describe('QA scenarios: a preview step with a property', () => {
  let api: ExtensionApi;
  let emulator: Emulator;
  let file: string;
  let connectionId: string;
  const connectionName = 'Property scenario emulator';

  before(async () => {
    api = await activateExtension();
    emulator = await startEmulator({
      seed: [{ clientCode: 'qaprop', thirdPartyId: 'crm-7', attributes: { loyaltyTier: 'silver' } }],
      activities: [],
    });
    // Through the control API, as an out-of-process test would: one activity of a Premium workspace.
    const seeded = await fetch(`${emulator.url}/__emulator/activities`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientCode: 'qaprop',
        activities: [
          {
            id: 31001,
            name: 'Members banner (members workspace)',
            type: 'xt',
            mboxes: ['members-banner'],
            propertyToken: KNOWN_PROPERTY_TOKEN,
            experiences: [
              {
                id: 0,
                name: 'Everyone',
                offer: { id: 61001, name: 'Members banner', type: 'html', content: '<p>Hi</p>' },
              },
            ],
          },
        ],
      }),
    });
    assert.strictEqual(seeded.status, 200, await seeded.text());
    connectionId = await vscode.commands.executeCommand<string>(Commands.addConnection, {
      name: connectionName,
      clientCode: 'qaprop',
      baseUrl: emulator.url,
      apiVersion: 'v1',
    });
    assert.ok(
      await vscode.commands.executeCommand(Commands.setPropertyToken, {
        connectionId,
        name: 'Members',
        token: KNOWN_PROPERTY_TOKEN,
      }),
    );
    file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'members.targetprofile.json');
    const banner = (name: string, extra: Record<string, unknown>) => ({
      type: 'preview',
      name,
      idType: 'thirdPartyId',
      id: 'crm-7',
      within: 0,
      ...extra,
    });
    fs.writeFileSync(
      file,
      JSON.stringify(
        {
          connection: connectionName,
          steps: [
            banner('without the property', { expect: { 'members-banner': { nothingServed: true } } }),
            banner('with the members property', {
              property: 'Members',
              expect: { 'members-banner': { experience: 'Everyone', offer: 'Members banner' } },
            }),
            banner('with a property never stored', {
              property: 'Tablet',
              expect: { 'members-banner': { offer: 'Members banner' } },
            }),
          ],
        },
        null,
        2,
      ),
    );
  });

  after(async () => {
    await emulator?.close();
    if (file) fs.rmSync(file, { force: true });
    if (connectionId) await api.services.connections.remove(connectionId);
  });

  it('serves the activity only with the named property; an unknown name errors and sends nothing', async () => {
    const summary = await vscode.commands.executeCommand<ScenarioSummary>(Commands.runScenario, vscode.Uri.file(file));
    assert.ok(summary, 'no summary');
    assert.deepStrictEqual(
      summary.steps.map((s) => [s.name, s.status]),
      [
        ['without the property', 'passed'],
        ['with the members property', 'passed'],
        ['with a property never stored', 'errored'],
      ],
      JSON.stringify(summary.steps),
    );
    assert.strictEqual(
      summary.steps[2].message,
      `No property token named "Tablet" is stored for ${connectionName} (it has "Members"): nothing was sent. Add it with Set Property Token… or change "property".`,
    );
    // Two previews went out (the third step stopped before its request), neither with the profile API token.
    const delivery = emulator.requests.filter((r) => r.route === 'delivery');
    assert.strictEqual(delivery.length, 2);
    assert.ok(delivery.every((r) => r.status === 200 && r.authorization === undefined));
    assert.deepStrictEqual(emulator.impressions(), [], 'scenario previews prefetch');
  });
});
