import * as assert from 'assert';
import { execFile } from 'child_process';
import * as vscode from 'vscode';
import { startEmulator, type Emulator } from '../../../src/emulator/server';
import { sampleActivities, sampleProfiles } from '../../../src/emulator/samples';
import { Commands } from '../../../src/contributions';
import type { PreviewOutcome } from '../../../src/features/preview';
import type { HistoryEntry } from '../../../src/services/historyStore';
import type { ExtensionApi } from '../../../src/extension';
import {
  activateExtension,
  KNOWN_PROPERTY_TOKEN,
  KNOWN_QA_TOKEN,
  KNOWN_TOKEN,
  KNOWN_TRACE_TOKEN,
  waitFor,
  withModals,
} from './helpers';
import { QuickInputs, isPick, type AnyQuickInput } from './support/quickInput';

/** Runs a command line in sh with only PATH and the given variables set. */
function shell(command: string, env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { env: { PATH: process.env.PATH, ...env }, timeout: 20_000 }, (error, stdout) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout }),
    );
  });
}

/** The emulator's sample activities, the mobile workspace's one behind this suite's property token. */
const activities = sampleActivities.map((seed) => ({
  ...seed,
  activities: seed.activities.map((a) => (a.propertyToken ? { ...a, propertyToken: KNOWN_PROPERTY_TOKEN } : a)),
}));

/** "Preview Personalization…" against the emulator's sample activities, and the before/after comparison. */
describe('personalization preview', () => {
  let api: ExtensionApi;
  let emulator: Emulator;
  let connectionId: string;

  before(async () => {
    api = await activateExtension();
    emulator = await startEmulator({ token: KNOWN_TOKEN, seed: sampleProfiles, activities });
    connectionId = await vscode.commands.executeCommand<string>(Commands.addConnection, {
      name: 'Preview',
      clientCode: 'demo',
      baseUrl: emulator.url,
      token: KNOWN_TOKEN,
    });
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await emulator?.close();
  });

  /** The value behind a pick item (the step helper's items carry it), whatever the display language. */
  const valueOf = (item: vscode.QuickPickItem | undefined) => (item as { value?: unknown } | undefined)?.value;

  /** Answers a pick with the item whose value is `value`, as a user choosing it would. */
  async function choose(inputs: QuickInputs, pick: AnyQuickInput, value: unknown): Promise<void> {
    assert.ok(isPick(pick), `a pick, not an input box (${pick.title ?? ''})`);
    const item = pick.items.find((i) => valueOf(i) === value);
    assert.ok(item, `no item ${String(value)} in ${JSON.stringify(pick.items.map((i) => i.label))}`);
    pick.activeItems = [item];
    await new Promise((r) => setTimeout(r, 300));
    await inputs.accept();
  }

  const deliveries = () => emulator.requests.filter((r) => r.route === 'delivery').length;
  /** Impressions the emulator counted on the home-hero activity. */
  const heroImpressions = () =>
    emulator
      .impressions()
      .filter((i) => i.activityId === 12001)
      .reduce((n, i) => n + i.count, 0);

  /**
   * Runs "Preview Personalization…" from the palette with this suite's one connection, answering the id
   * type, id, mboxes and page URL; returns the Options step (the 5th question) and the running command.
   */
  async function paletteUntilOptions(inputs: QuickInputs, id: string) {
    const done = vscode.commands.executeCommand<PreviewOutcome | undefined>(Commands.previewPersonalization);
    await choose(inputs, await inputs.nth(0), 'thirdPartyId');
    await inputs.type(await inputs.nth(1), id);
    await inputs.accept();
    await inputs.type(await inputs.nth(2), 'home-hero');
    await inputs.accept();
    await inputs.type(await inputs.nth(3), '');
    await inputs.accept();
    const options = await inputs.nth(4);
    assert.ok(isPick(options), 'the Options step is a pick');
    assert.strictEqual(`${options.step}/${options.totalSteps}`, '5/5');
    return { done, options };
  }

  const preview = (input: Record<string, unknown>) =>
    vscode.commands.executeCommand<PreviewOutcome | undefined>(Commands.previewPersonalization, {
      connectionId,
      idType: 'thirdPartyId',
      id: 'crm-1001',
      ...input,
    });

  it('previews crm-1001 on home-hero: the "Everyone" experience, in a report and in History', async () => {
    const outcome = await preview({ mboxes: ['home-hero', 'offers'] });
    assert.ok(outcome?.entry.ok, outcome?.entry.result);
    assert.ok(outcome.uri && outcome.text);
    assert.match(outcome.text, /## mbox `home-hero`[\s\S]*Everyone[\s\S]*Default hero/);
    assert.match(outcome.text, /```html\n<section class="hero">/);
    assert.match(outcome.text, /tntId: `[^`-]+/);
    assert.match(outcome.text, /requestId: `[0-9a-f-]{36}`/);
    // offers: crm-1001 is 34, so nothing qualifies there; the checklist says why it may be.
    assert.match(outcome.text, /## mbox `offers`[\s\S]*(Why is nothing served\?|¿Por qué no se sirve nada\?)/);
    const shown = vscode.window.activeTextEditor?.document;
    assert.strictEqual(shown?.uri.toString(), outcome.uri.toString());
    assert.strictEqual(shown.languageId, 'markdown');
    assert.strictEqual(shown.getText(), outcome.text);
    const entry = api.services.history.get(outcome.entry.id);
    assert.strictEqual(entry?.kind, 'preview');
    assert.deepStrictEqual(entry.preview?.mboxes, ['home-hero', 'offers']);
    // The Delivery API takes no token: the profile API token never went to it.
    const delivery = emulator.requests.filter((r) => r.route === 'delivery');
    assert.ok(delivery.length >= 1);
    assert.ok(delivery.every((r) => r.authorization === undefined));
  });

  it('after an update to gold, Preview compares with the preview before it in a diff editor', async () => {
    const update = await vscode.commands.executeCommand<HistoryEntry>(Commands.updateProfile, {
      connectionId,
      idType: 'thirdPartyId',
      id: 'crm-1001',
      attributes: { loyaltyTier: 'gold' },
    });
    assert.ok(update?.ok, update?.result);
    // What the Preview button after Update Profile runs.
    const outcome = await preview({ compare: true });
    assert.ok(outcome?.entry.ok && outcome.text && outcome.before, outcome?.entry.result);
    assert.match(outcome.text, /Gold members[\s\S]*Gold hero/);
    assert.ok(
      outcome.changes?.some((c) => c.includes('home-hero') && c.includes('Everyone') && c.includes('Gold members')),
      JSON.stringify(outcome.changes),
    );
    // The same mboxes as the preview before the update, without asking.
    assert.deepStrictEqual(api.services.history.get(outcome.entry.id)?.preview?.mboxes, ['home-hero', 'offers']);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputTextDiff, 'the active tab is a diff editor');
    assert.strictEqual(tab.input.original.toString(), outcome.before.toString());
    assert.strictEqual(tab.input.modified.toString(), outcome.uri!.toString());
    const before = await vscode.workspace.openTextDocument(outcome.before);
    assert.match(before.getText(), /Everyone/);
    assert.doesNotMatch(before.getText(), /Gold members/);
  });

  it('says that Target may take up to 24 hours when nothing changed', async () => {
    const outcome = await preview({ compare: true });
    assert.deepStrictEqual(outcome?.changes, []);
    assert.match(outcome.text ?? '', /24/);
  });

  it('the Preview button after Update Profile runs the preview and opens the comparison', async () => {
    const window = vscode.window as unknown as Record<string, (...args: unknown[]) => unknown>;
    const original = window.showInformationMessage;
    const labels = ['Preview', 'Vista previa'];
    let offered = false;
    // Clicks "Preview" on the update's notification, as a user would.
    window.showInformationMessage = (...args: unknown[]) => {
      const label = labels.find((l) => args.includes(l));
      if (label && typeof args[0] === 'string' && args[0].includes('crm-1001')) {
        offered = true;
        return Promise.resolve(label);
      }
      return original.apply(vscode.window, args);
    };
    // The comparison of the test before is still open: only a new diff editor counts.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const previews = () => api.services.history.forConnection(connectionId, 'preview').length;
    const count = previews();
    try {
      const update = await vscode.commands.executeCommand<HistoryEntry>(Commands.updateProfile, {
        connectionId,
        idType: 'thirdPartyId',
        id: 'crm-1001',
        attributes: { loyaltyTier: 'silver' },
      });
      assert.ok(update?.ok, update?.result);
      assert.ok(await waitFor(() => previews() > count, 15_000), 'no preview ran after the button');
    } finally {
      window.showInformationMessage = original;
    }
    assert.ok(offered, 'the update notification offered Preview');
    const entry = api.services.history.forConnection(connectionId, 'preview')[0];
    assert.match(entry.result, /home-hero → Everyone/);
    const tab = await waitFor(() => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return input instanceof vscode.TabInputTextDiff ? input : undefined;
    });
    assert.ok(tab, 'a diff editor opened');
    const after = await vscode.workspace.openTextDocument(tab.modified);
    assert.match(
      after.getText(),
      /\*\*home-hero: Gold members → Everyone\*\*|\*\*home-hero: de Gold members a Everyone\*\*/,
    );
  });

  it('the Preview button after Verify Update opens the preview report of that visitor', async () => {
    emulator.seedProfile({ clientCode: 'demo', thirdPartyId: 'crm-3003', attributes: { loyaltyTier: 'silver' } });
    // The mboxes the button's preview asks are the ones remembered from the last preview.
    await preview({ id: 'crm-1002', mboxes: ['home-hero'] });
    const update = await vscode.commands.executeCommand<HistoryEntry>(Commands.updateProfile, {
      connectionId,
      idType: 'thirdPartyId',
      id: 'crm-3003',
      attributes: { loyaltyTier: 'gold' },
    });
    assert.ok(update?.ok, update?.result);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const window = vscode.window as unknown as Record<string, (...args: unknown[]) => unknown>;
    const original = window.showInformationMessage;
    const labels = ['Preview', 'Vista previa'];
    const offered: string[] = [];
    // Installed after the update's own notification: only Verify Update's "landed" message is answered.
    window.showInformationMessage = (...args: unknown[]) => {
      const label = labels.find((l) => args.includes(l));
      if (label && typeof args[0] === 'string' && args[0].includes('crm-3003')) {
        offered.push(args[0]);
        return Promise.resolve(label);
      }
      return original.apply(vscode.window, args);
    };
    const previews = () => api.services.history.forConnection(connectionId, 'preview');
    const count = previews().length;
    try {
      const report = await vscode.commands.executeCommand<{ allMatch: boolean }>(Commands.verifyUpdate, update.id);
      assert.strictEqual(report?.allMatch, true);
      assert.ok(await waitFor(() => previews().length > count, 15_000), 'no preview ran after the button');
    } finally {
      window.showInformationMessage = original;
    }
    assert.strictEqual(offered.length, 1, JSON.stringify(offered));
    const entry = previews()[0];
    assert.ok(entry.ok, entry.result);
    assert.match(entry.summary, /^thirdPartyId crm-3003: /);
    assert.match(entry.result, /home-hero → Gold members/);
    // The report of that visitor is the active editor (no earlier preview of crm-3003: no comparison).
    const shown = await waitFor(() => {
      const document = vscode.window.activeTextEditor?.document;
      return document?.uri.scheme === 'target-preview' ? document : undefined;
    });
    assert.ok(shown, 'a preview report opened');
    assert.match(shown.uri.path, /thirdPartyId crm-3003/);
    assert.match(
      shown.getText(),
      /^# (Personalization preview|Vista previa de la personalización): thirdPartyId crm-3003/,
    );
    assert.match(shown.getText(), /Gold members/);
  });

  it('sends the stored property and trace tokens, and keeps them out of History and Copy as cURL', async () => {
    assert.ok(
      await vscode.commands.executeCommand(Commands.setPropertyToken, {
        connectionId,
        name: 'Mobile',
        token: KNOWN_PROPERTY_TOKEN,
      }),
    );
    assert.ok(await vscode.commands.executeCommand(Commands.setTraceToken, { connectionId, token: KNOWN_TRACE_TOKEN }));
    assert.deepStrictEqual(api.services.connections.get(connectionId)?.properties, ['Mobile']);
    // Without the property token the mobile workspace's activity serves nothing.
    const without = await preview({ mboxes: ['app-banner'] });
    assert.doesNotMatch(without?.text ?? '', /Get the app/);
    const outcome = await preview({ mboxes: ['app-banner'], property: 'Mobile', trace: true });
    assert.ok(outcome?.entry.ok, outcome?.entry.result);
    assert.match(outcome.text ?? '', /Get the app/);
    assert.match(outcome.text ?? '', /### (Trace|Traza)\n\n```json/);
    const entry = api.services.history.get(outcome.entry.id)!;
    assert.ok(!JSON.stringify(entry).includes(KNOWN_PROPERTY_TOKEN));
    assert.ok(!JSON.stringify(entry).includes(KNOWN_TRACE_TOKEN));
    assert.strictEqual(entry.preview?.property, 'Mobile');
    const command = await vscode.commands.executeCommand<string>(Commands.copyAsCurl, entry.id);
    assert.ok(!command.includes(KNOWN_PROPERTY_TOKEN) && !command.includes(KNOWN_TRACE_TOKEN), command);
    assert.match(command, /\$TARGET_PROPERTY_TOKEN/);
    // The copied command works once the variables are set, and stops with a message when they are not.
    const run = await shell(command, { TARGET_PROPERTY_TOKEN: KNOWN_PROPERTY_TOKEN, TARGET_TRACE_TOKEN: 'any' });
    assert.strictEqual(run.code, 0);
    assert.match(run.stdout, /Get the app/);
    assert.notStrictEqual((await shell(command, {})).code, 0);
    // Removing the property token removes its name from the connection too.
    await vscode.commands.executeCommand(Commands.setPropertyToken, { connectionId, name: 'Mobile', token: null });
    assert.strictEqual(api.services.connections.get(connectionId)?.properties, undefined);
    assert.strictEqual(await api.services.connections.propertyToken(connectionId, 'Mobile'), undefined);
  });

  it('shows preview entries in the view, offering Preview and Copy as cURL', async () => {
    const tree = api.services.tree;
    const groups = await tree.getChildren({ type: 'connection', connectionId });
    const updates = groups.find((g) => g.type === 'group' && g.group === 'updates')!;
    const items = (await tree.getChildren(updates)).map((n) => tree.getTreeItem(n));
    const previewItem = items.find((i) => i.contextValue === 'entry.preview.request');
    assert.ok(previewItem, JSON.stringify(items.map((i) => i.contextValue)));
  });
  it('from the palette with several connections, asks which one, the active one first', async () => {
    const other = await vscode.commands.executeCommand<string>(Commands.addConnection, {
      name: 'Preview (second)',
      clientCode: 'demo',
      baseUrl: emulator.url,
      token: KNOWN_TOKEN,
    });
    await api.services.connections.setActive(connectionId);
    const inputs = new QuickInputs();
    try {
      const done = vscode.commands.executeCommand<PreviewOutcome | undefined>(Commands.previewPersonalization);
      const pick = await inputs.nth(0);
      assert.ok(isPick(pick), 'the first question is a pick of the connection');
      assert.strictEqual(pick.items[0]?.label, 'Preview', 'the active connection comes first');
      assert.ok(pick.items.some((i) => i.label === 'Preview (second)'));
      // The other one, not the active one: the preview must run where the user picked.
      pick.activeItems = [pick.items.find((i) => i.label === 'Preview (second)')!];
      await new Promise((r) => setTimeout(r, 300));
      await inputs.accept();
      const type = await inputs.nth(1);
      assert.ok(isPick(type));
      type.activeItems = [type.items.find((i) => i.label === 'thirdPartyId')!];
      await new Promise((r) => setTimeout(r, 300));
      await inputs.accept();
      await inputs.type(await inputs.nth(2), 'crm-1001');
      await inputs.accept();
      await inputs.type(await inputs.nth(3), 'home-hero');
      await inputs.accept();
      await inputs.type(await inputs.nth(4), '');
      await inputs.accept();
      // The last question: how to ask Target, prefetching (nothing counted) unless the user picks otherwise.
      const options = await inputs.nth(5);
      assert.ok(isPick(options), 'the Options step is a pick');
      assert.strictEqual(valueOf(options.activeItems[0]), 'prefetch');
      await inputs.accept();
      const outcome = await done;
      assert.ok(outcome?.entry.ok, outcome?.entry.result);
      assert.strictEqual(outcome.entry.connectionId, other);
      assert.match(outcome.text ?? '', /Prefetched \(nothing counted\)|Precargada \(nada contado\)/);
      assert.match(outcome.text ?? '', /Preview \(second\)/);
      assert.match(outcome.text ?? '', /home-hero/);
    } finally {
      inputs.dispose();
      await api.services.connections.remove(other);
    }
  });

  it('with one connection, the palette asks no connection: the flow starts at the id type', async () => {
    // The suites before this one are done with their connections; this one must be the only one.
    for (const c of api.services.connections.list()) {
      if (c.id !== connectionId) await api.services.connections.remove(c.id);
    }
    assert.deepStrictEqual(
      api.services.connections.list().map((c) => c.id),
      [connectionId],
    );
    // No trace token: the trace question (a single answer) is not asked either.
    await vscode.commands.executeCommand(Commands.setTraceToken, { connectionId, token: null });
    const inputs = new QuickInputs();
    try {
      const done = vscode.commands.executeCommand<PreviewOutcome | undefined>(Commands.previewPersonalization);
      const first = await inputs.nth(0);
      assert.ok(isPick(first), 'the first question is the id type pick');
      assert.deepStrictEqual(
        first.items.map((i) => valueOf(i)),
        ['thirdPartyId', 'pcId', 'marketingCloudVisitorId'],
        'the id types, not connections',
      );
      assert.match(first.title ?? '', / Preview$/, 'the title names the one connection');
      assert.strictEqual(`${first.step}/${first.totalSteps}`, '1/5');
      assert.ok(!first.buttons.includes(vscode.QuickInputButtons.Back), 'no Back on the first question');
      await choose(inputs, first, 'thirdPartyId');
      await inputs.type(await inputs.nth(1), 'crm-1002');
      await inputs.accept();
      await inputs.type(await inputs.nth(2), 'home-hero');
      await inputs.accept();
      await inputs.type(await inputs.nth(3), '');
      await inputs.accept();
      await choose(inputs, await inputs.nth(4), 'prefetch');
      const outcome = await done;
      assert.ok(outcome?.entry.ok, outcome?.entry.result);
      assert.strictEqual(outcome.entry.connectionId, connectionId);
      assert.match(outcome.text ?? '', /Gold members/);
      assert.ok(
        inputs.shown.every((i) => !isPick(i) || !i.items.some((item) => item.label === 'Preview')),
        'no question offered the connection',
      );
    } finally {
      inputs.dispose();
    }
  });

  it('an Activity QA link from Options forces the experience; a link without at_preview_token is refused in the box', async () => {
    // No trace token: Options is the 5th question (see paletteUntilOptions).
    await vscode.commands.executeCommand(Commands.setTraceToken, { connectionId, token: null });
    // Without QA mode, a visitor Target has never seen gets "Everyone" on home-hero.
    const plain = await preview({ id: 'qa-visitor-1', mboxes: ['home-hero'] });
    assert.match(plain?.text ?? '', /Everyone/);
    const inputs = new QuickInputs();
    try {
      // Escape at Options sends nothing.
      const sent = deliveries();
      const escaped = await paletteUntilOptions(inputs, 'qa-visitor-1');
      await inputs.escape();
      assert.strictEqual(await escaped.done, undefined);
      inputs.shown.length = 0;

      const { done, options } = await paletteUntilOptions(inputs, 'qa-visitor-1');
      assert.deepStrictEqual(
        options.items.map((i) => valueOf(i)),
        ['prefetch', 'execute', 'qa'],
      );
      await choose(inputs, options, 'qa');
      const link = await inputs.nth(5);
      assert.ok(!isPick(link), 'the QA link is typed into an input box');
      assert.ok(link.buttons.includes(vscode.QuickInputButtons.Back));
      await inputs.type(link, 'https://shop.example.com/home?at_preview_index=1_1');
      await inputs.accept();
      await new Promise((r) => setTimeout(r, 300));
      assert.match(String(link.validationMessage), /at_preview_token/);
      assert.strictEqual(inputs.shown.length, 6, 'Enter on a bad link stays in the box');
      // Back to Options keeps the choice, and the QA link box its draft.
      await inputs.back();
      const again = await inputs.nth(6);
      assert.ok(isPick(again));
      assert.strictEqual(valueOf(again.activeItems[0]), 'qa');
      await choose(inputs, again, 'qa');
      const linkAgain = await inputs.nth(7);
      assert.strictEqual(linkAgain.value, 'https://shop.example.com/home?at_preview_index=1_1');
      assert.strictEqual(deliveries(), sent, 'nothing was sent while the link was wrong');
      await inputs.type(
        linkAgain,
        `https://shop.example.com/home?at_preview_token=${KNOWN_QA_TOKEN}&at_preview_index=1_1&at_preview_listed_activities_only=true`,
      );
      await inputs.accept();
      const outcome = await done;
      assert.ok(outcome?.entry.ok, outcome?.entry.result);
      // at_preview_index=1_1: the first activity's first experience, whatever the audience says.
      assert.match(outcome.text ?? '', /## mbox `home-hero`[\s\S]*Gold members[\s\S]*Gold hero/);
      assert.match(
        outcome.text ?? '',
        /- (QA mode|Modo QA): (Activity QA link|Enlace de Activity QA) \(at_preview_index=1_1; (listed activities only|solo las actividades listadas)\)/,
      );
      assert.match(outcome.text ?? '', /Prefetched \(nothing counted\)|Precargada \(nada contado\)/);
      assert.strictEqual(deliveries(), sent + 1);
      const entry = api.services.history.get(outcome.entry.id)!;
      assert.strictEqual(entry.preview?.qa, true);
      assert.ok(!JSON.stringify(entry).includes(KNOWN_QA_TOKEN), 'the QA token is not in History');
      assert.ok(!(outcome.text ?? '').includes(KNOWN_QA_TOKEN), 'nor in the report');
      const command = await vscode.commands.executeCommand<string>(Commands.copyAsCurl, entry.id);
      assert.ok(!command.includes(KNOWN_QA_TOKEN), command);
      assert.match(command, /\$TARGET_QA_TOKEN/);
      // Run again from History, in this window: the same QA link, asking nothing.
      const rerun = await vscode.commands.executeCommand<PreviewOutcome | undefined>(
        Commands.previewPersonalization,
        entry.id,
      );
      assert.ok(rerun?.entry.ok, rerun?.entry.result);
      assert.match(rerun.text ?? '', /Gold members/);
      // A QA preview that failed keeps its link too.
      emulator.failNext(1, 500);
      const failed = await vscode.commands.executeCommand<PreviewOutcome | undefined>(
        Commands.previewPersonalization,
        entry.id,
      );
      assert.strictEqual(failed?.entry.ok, false);
      const afterFailure = await vscode.commands.executeCommand<PreviewOutcome | undefined>(
        Commands.previewPersonalization,
        failed.entry.id,
      );
      assert.ok(afterFailure?.entry.ok, afterFailure?.entry.result);
      assert.match(afterFailure.text ?? '', /Gold members/);
      assert.strictEqual(inputs.shown.length, 8, 'nothing was asked');
    } finally {
      inputs.dispose();
    }
  });

  it('execute, chosen in Options and confirmed, counts an impression in the emulator; a prefetch counts none', async () => {
    const before = heroImpressions();
    const prefetched = await preview({ id: 'crm-1002', mboxes: ['home-hero'] });
    assert.ok(prefetched?.entry.ok, prefetched?.entry.result);
    assert.strictEqual(heroImpressions(), before, 'a prefetch counts nothing');
    const inputs = new QuickInputs();
    try {
      const { result: outcome, modals } = await withModals(true, async () => {
        const { done, options } = await paletteUntilOptions(inputs, 'crm-1002');
        await choose(inputs, options, 'execute');
        return done;
      });
      assert.ok(outcome?.entry.ok, outcome?.entry.result);
      assert.strictEqual(modals.length, 1, 'one confirmation');
      assert.match(modals[0].message, /crm-1002/);
      assert.match(modals[0].detail ?? '', /Auto-Target/);
      assert.strictEqual(heroImpressions(), before + 1, 'the execute counted one impression');
      assert.match(outcome.text ?? '', /Executed \(impressions counted\)|Ejecutada \(impresiones contadas\)/);
      assert.match(outcome.text ?? '', /Gold members/);
      assert.strictEqual(api.services.history.get(outcome.entry.id)?.preview?.execute, true);
    } finally {
      inputs.dispose();
    }
  });

  it('a cancelled execute confirmation sends nothing, and an execute run again is confirmed again', async () => {
    const impressions = heroImpressions();
    const sent = deliveries();
    const entries = api.services.history.forConnection(connectionId, 'preview').length;
    const cancelled = await withModals(false, () => preview({ id: 'crm-1002', mboxes: ['home-hero'], execute: true }));
    assert.strictEqual(cancelled.result, undefined);
    assert.strictEqual(cancelled.modals.length, 1);
    assert.strictEqual(deliveries(), sent, 'nothing was sent');
    assert.strictEqual(heroImpressions(), impressions);
    assert.strictEqual(api.services.history.forConnection(connectionId, 'preview').length, entries, 'nor recorded');

    // "Preview Personalization…" on the executed preview in History: the same question, asked again first.
    const executed = api.services.history.forConnection(connectionId, 'preview').find((e) => e.preview?.execute);
    assert.ok(executed, 'the execute of the test before is in History');
    const declined = await withModals(false, () =>
      vscode.commands.executeCommand<PreviewOutcome | undefined>(Commands.previewPersonalization, executed.id),
    );
    assert.strictEqual(declined.result, undefined);
    assert.strictEqual(declined.modals.length, 1, 'running an execute again asks again');
    assert.strictEqual(deliveries(), sent);
    const confirmed = await withModals(true, () =>
      vscode.commands.executeCommand<PreviewOutcome | undefined>(Commands.previewPersonalization, executed.id),
    );
    assert.ok(confirmed.result?.entry.ok, confirmed.result?.entry.result);
    assert.strictEqual(confirmed.modals.length, 1);
    assert.strictEqual(heroImpressions(), impressions + 1);
  });
});
