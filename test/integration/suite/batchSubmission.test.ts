import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { startEmulator, type Emulator } from '../../../src/emulator/server';
import { Commands } from '../../../src/contributions';
import { submissionState, type BatchSubmission } from '../../../src/core/submissions/journal';
import type { SubmitResult } from '../../../src/features/batch-submission/submit';
import type { ExtensionApi } from '../../../src/extension';
import { activateExtension, KNOWN_TOKEN, waitFor } from './helpers';

/** Submitting batch files from the editor and following them, against the emulator over HTTP. */
function batchFile(name: string, content: string): vscode.Uri {
  const file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'submissions', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return vscode.Uri.file(file);
}

function rowsFile(name: string, rows: number): vscode.Uri {
  const lines = ['batch=thirdPartyId,tier'];
  for (let i = 0; i < rows; i++) lines.push(`c${i},t${i % 7}`);
  return batchFile(name, lines.join('\n') + '\n');
}

describe('batch submission and tracking', () => {
  let api: ExtensionApi;
  let emulator: Emulator;
  let connectionId: string;

  const submit = (uri: vscode.Uri, extra: Record<string, unknown> = {}) =>
    vscode.commands.executeCommand<SubmitResult>(Commands.submitBatch, uri, {
      connectionId,
      apiVersion: 'v2',
      ...extra,
    });

  async function finished(submissionId: string, timeoutMs = 20_000): Promise<BatchSubmission> {
    const done = await waitFor(() => {
      const s = api.services.batches.get(submissionId);
      return s && ['complete', 'stuck', 'failed', 'not-sent', 'maybe-accepted'].includes(submissionState(s))
        ? s
        : undefined;
    }, timeoutMs);
    assert.ok(done, `submission never finished: ${JSON.stringify(api.services.batches.get(submissionId))}`);
    return done;
  }

  before(async () => {
    api = await activateExtension();
    emulator = await startEmulator({ statusDelayMs: 1200, token: KNOWN_TOKEN });
    connectionId = (await vscode.commands.executeCommand<string>(Commands.addConnection, {
      name: 'Batches',
      clientCode: 'bulk',
      baseUrl: emulator.url,
      token: KNOWN_TOKEN,
    }))!;
    const config = vscode.workspace.getConfiguration('targetProfiles');
    await config.update('polling.minSeconds', 1, vscode.ConfigurationTarget.Global);
    await config.update('polling.maxSeconds', 1, vscode.ConfigurationTarget.Global);
    // The confirmation is a modal, which nothing here could answer.
    await config.update('batch.confirmBeforeSubmit', false, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await emulator?.close();
    const config = vscode.workspace.getConfiguration('targetProfiles');
    for (const key of ['polling.minSeconds', 'polling.maxSeconds', 'batch.confirmBeforeSubmit']) {
      await config.update(key, undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('submits a valid file and follows it to complete, with the counters in the tree', async () => {
    const uri = batchFile('valid.batch', 'batch=thirdPartyId,tier,age\ncrm-1,gold,34\ncrm-2,silver,\ncrm-3,,51\n');
    const result = await submit(uri);
    assert.strictEqual(result.refused, undefined, JSON.stringify(result));
    assert.strictEqual(result.uploads.length, 1);
    assert.strictEqual(result.uploads[0].state, 'accepted');
    // Tracking starts incomplete; the emulator completes it after its delay.
    const done = await finished(result.submissionId!);
    assert.strictEqual(submissionState(done), 'complete');
    assert.deepStrictEqual(done.uploads[0].counters, {
      batchSize: 3,
      consumedCount: 3,
      successfulUpdates: 3,
      profilesNotFound: 0,
      failedUpdates: 0,
    });
    assert.deepStrictEqual(
      emulator.exportProfiles().find((p) => p.thirdPartyId === 'crm-1')?.attributes.tier.value,
      'gold',
    );
    // The tree shows it under the connection's Batches group.
    const tree = api.services.tree;
    const connection = tree.getChildren().find((n) => n.connectionId === connectionId)!;
    const group = tree.getChildren(connection).find((n) => n.type === 'group' && n.group === 'batches')!;
    const items = tree.getChildren(group).map((n) => tree.getTreeItem(n));
    const item = items.find((i) => i.label === 'valid.batch')!;
    assert.ok(item, `tree items: ${items.map((i) => i.label).join(', ')}`);
    assert.match(String(item.description), /^complete · 3 rows/);
    assert.strictEqual((item.iconPath as vscode.ThemeIcon).id, 'pass');
    const detailsUri = await vscode.commands.executeCommand<vscode.Uri>(Commands.showBatchDetails, {
      submissionId: result.submissionId,
    });
    const details = (await vscode.workspace.openTextDocument(detailsUri)).getText();
    assert.match(details, /successfulUpdates: 3/);
  });

  it('refuses a file with errors and shows why in the Problems panel', async () => {
    const uri = batchFile('broken.batch', 'batch=mbox3rdPartyId,profile.tier\ncrm-1,a&b\n');
    const uploadsBefore = emulator.uploads();
    const result = await submit(uri);
    assert.strictEqual(result.refused, 'errors');
    assert.strictEqual(emulator.uploads(), uploadsBefore, 'nothing may be uploaded');
    const codes = vscode.languages.getDiagnostics(uri).map((d) => (d.code as { value: string }).value);
    assert.ok(codes.includes('TP002') && codes.includes('TP004') && codes.includes('TP020'), codes.join(','));
  });

  it('refuses a broken file before asking anything, naming its first errors', async () => {
    const uri = batchFile(
      'broken-first.batch',
      'batch=thirdPartyId,tier,note\ncrm-1,a&b,x\ncrm-2,50%,y\ncrm-3,c,d,e,f\n',
    );
    const uploadsBefore = emulator.uploads();
    // Neither connection nor API version given: a question asked before validating would leave the
    // command waiting for an answer.
    const result = await Promise.race([
      vscode.commands.executeCommand<SubmitResult>(Commands.submitBatch, uri),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10_000)),
    ]);
    if (!result) await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.ok(result, 'the submission asked a question before refusing the broken file');
    assert.strictEqual(result.refused, 'errors');
    assert.strictEqual(emulator.uploads(), uploadsBefore, 'nothing may be uploaded');
    assert.match(
      result.message ?? '',
      /^broken-first\.batch has 3 errors and was not submitted: TP020 line 2: [^·]+ · TP021 line 3: [^·]+ · TP010 line 4: [^·]+\.$/,
    );
  });

  it('reveals the new batch in the view, selected, while it is tracked', async () => {
    const result = await submit(batchFile('revealed.batch', 'batch=thirdPartyId,tier\nrv-1,gold\n'));
    assert.strictEqual(result.uploads[0]?.state, 'accepted', JSON.stringify(result));
    const view = api.services.tree.treeView;
    assert.ok(view, 'the view is attached to the tree service');
    const selected = await waitFor(() =>
      view.selection.find((n) => n.type === 'submission' && n.submissionId === result.submissionId),
    );
    assert.ok(selected, `selection: ${JSON.stringify(view.selection)}`);
    assert.ok(view.visible, 'the view is shown');
    // Its status look-up copies as cURL, like every request in History.
    const command = await vscode.commands.executeCommand<string>(Commands.copyAsCurl, selected);
    assert.ok(
      command?.includes(`curl --fail-with-body -X GET '${result.uploads[0].batchStatus}'`),
      `copied: ${command}`,
    );
    await finished(result.submissionId!);
  });

  it('splits a 600,000-row file into two batches and tracks both', async function () {
    this.timeout(120_000);
    const uri = rowsFile('large.batch', 600_000);
    const before = emulator.uploads();
    const result = await submit(uri);
    assert.deepStrictEqual(
      result.uploads.map((u) => [u.rows, u.state]),
      [
        [500_000, 'accepted'],
        [100_000, 'accepted'],
      ],
    );
    assert.strictEqual(emulator.uploads() - before, 2);
    const done = await finished(result.submissionId!, 60_000);
    assert.strictEqual(submissionState(done), 'complete');
    assert.deepStrictEqual(
      done.uploads.map((u) => u.counters?.successfulUpdates),
      [500_000, 100_000],
    );
  });

  it('records a batch cancelled mid-upload as not sent', async function () {
    this.timeout(60_000);
    // The most rows one upload takes: a body large enough to stall in the middle.
    const uri = rowsFile('cancelled.batch', 500_000);
    // The emulator holds the request before reading its body, so the upload stalls mid-body.
    emulator.setDelay(8000);
    try {
      const pending = submit(uri);
      const uploading = await waitFor(
        () =>
          api.services.batches.all().find((s) => s.sourceFile === uri.fsPath && s.uploads[0]?.state === 'uploading'),
        20_000,
      );
      assert.ok(uploading, 'the upload never started');
      await new Promise((r) => setTimeout(r, 300));
      await vscode.commands.executeCommand(Commands.cancelRequests);
      const result = await pending;
      assert.strictEqual(result.uploads[0].state, 'not-sent', JSON.stringify(result.uploads[0]));
      assert.strictEqual(api.services.batches.get(result.submissionId!)?.uploads[0].state, 'not-sent');
    } finally {
      emulator.setDelay(0);
    }
  });

  it('retries an injected 503 on submit and sends the batch once', async () => {
    const uri = batchFile('retried.batch', 'batch=thirdPartyId,tier\nr-1,gold\n');
    const before = emulator.requests.filter((r) => r.route === 'batchUpdate').length;
    emulator.failNext(1, 503, '1');
    const result = await submit(uri);
    assert.strictEqual(result.uploads[0].state, 'accepted', JSON.stringify(result));
    const uploads = emulator.requests.filter((r) => r.route === 'batchUpdate').slice(before);
    assert.deepStrictEqual(
      uploads.map((r) => r.status),
      [503, 200],
    );
    assert.strictEqual(submissionState(await finished(result.submissionId!)), 'complete');
  });

  it('shows a stuck batch as stuck', async () => {
    emulator.stickNextBatch();
    const result = await submit(batchFile('stuck.batch', 'batch=thirdPartyId,tier\ns-1,gold\n'));
    const done = await finished(result.submissionId!);
    assert.strictEqual(submissionState(done), 'stuck');
    const item = api.services.tree.getTreeItem({ type: 'submission', connectionId, submissionId: done.id });
    assert.strictEqual((item.iconPath as vscode.ThemeIcon).id, 'warning');
  });

  it('resumes polling after a reload without uploading again', async () => {
    emulator.setStatusDelay(4000);
    try {
      const result = await submit(batchFile('reload.batch', 'batch=thirdPartyId,tier\nx-1,gold\nx-2,silver\n'));
      const uploadsAfterSubmit = emulator.uploads();
      assert.strictEqual(api.services.batches.get(result.submissionId!)?.uploads[0].status, 'incomplete');
      // As a window reload does: every feature is disposed and started again from stored state.
      const restarted = api.restart();
      const done = await waitFor(() => {
        const s = restarted.services.batches.get(result.submissionId!);
        return s && submissionState(s) === 'complete' ? s : undefined;
      }, 20_000);
      assert.ok(done, JSON.stringify(restarted.services.batches.get(result.submissionId!)));
      assert.strictEqual(emulator.uploads(), uploadsAfterSubmit, 'the batch was uploaded again');
    } finally {
      emulator.setStatusDelay(1200);
    }
  });

  it('marks an upload interrupted by a reload as maybe accepted, never resending it', async () => {
    const journal = api.services.batches;
    await journal.add({
      id: 'interrupted-1',
      connectionId,
      apiVersion: 'v2',
      sourceFile: '/tmp/interrupted.batch',
      createdAt: Date.now(),
      uploads: [
        { index: 0, rows: 10, bytes: 100, state: 'uploading' },
        { index: 1, rows: 10, bytes: 100, state: 'pending' },
      ],
    });
    const before = emulator.uploads();
    const restarted = api.restart();
    const recovered = await waitFor(() => {
      const s = restarted.services.batches.get('interrupted-1');
      return s?.uploads[0].state === 'maybe-accepted' ? s : undefined;
    });
    assert.ok(recovered);
    assert.strictEqual(recovered.uploads[1].state, 'not-sent');
    assert.strictEqual(emulator.uploads(), before);
    await vscode.commands.executeCommand(Commands.removeBatch, { submissionId: 'interrupted-1' });
    assert.strictEqual(restarted.services.batches.get('interrupted-1'), undefined);
  });
});
