import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as vscode from 'vscode';
import { startEmulator, type Emulator } from '../../../src/emulator/server';
import { Commands } from '../../../src/contributions';
import { submissionState, type BatchSubmission, type UploadRecord } from '../../../src/core/submissions/journal';
import type { SubmitResult } from '../../../src/features/batch-submission/submit';
import type { HistoryEntry } from '../../../src/services/historyStore';
import type { ExtensionApi } from '../../../src/extension';
import { activateExtension, KNOWN_TOKEN, waitFor } from './helpers';

/**
 * Network faults at the editor level, against the emulator (and loopback servers that misbehave on
 * purpose): the user sees a clear message, the journal records the truth, nothing is uploaded
 * twice, and polling resumes after a reload.
 */
function batchFile(name: string, content: string): vscode.Uri {
  const file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'faults', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return vscode.Uri.file(file);
}

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** A loopback server that reads each request to its last body byte, then closes the connection without answering. */
async function closingServer(): Promise<{
  url: string;
  requests: { method: string; url: string; bytes: number }[];
  close(): Promise<void>;
}> {
  const requests: { method: string; url: string; bytes: number }[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let data = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = data.subarray(0, end).toString('latin1');
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (data.length - end - 4 < length) return;
      const [method, url] = head.split(' ');
      requests.push({ method, url, bytes: length });
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('network faults at the editor level', function () {
  this.timeout(90_000);
  let api: ExtensionApi;
  let emulator: Emulator;
  let connectionId: string;
  const config = () => vscode.workspace.getConfiguration('targetProfiles');

  const submit = (uri: vscode.Uri, connection = connectionId) =>
    vscode.commands.executeCommand<SubmitResult>(Commands.submitBatch, uri, {
      connectionId: connection,
      apiVersion: 'v2',
    });
  const journalEntry = (id: string): BatchSubmission | undefined => api.services.batches.get(id);
  const upload = (id: string, index = 0): UploadRecord | undefined => journalEntry(id)?.uploads[index];
  const batchUploads = () => emulator.requests.filter((r) => r.route === 'batchUpdate');

  /** As a window reload does; every later look-up goes through the restarted services. */
  function reload(): void {
    api = api.restart();
  }

  async function reaches(id: string, state: string, timeoutMs = 30_000): Promise<BatchSubmission> {
    const done = await waitFor(() => {
      const s = journalEntry(id);
      return s && submissionState(s) === state ? s : undefined;
    }, timeoutMs);
    assert.ok(done, `never ${state}: ${JSON.stringify(journalEntry(id))}`);
    return done;
  }

  before(async () => {
    api = await activateExtension();
    emulator = await startEmulator({
      statusDelayMs: 1200,
      token: KNOWN_TOKEN,
      seed: [{ clientCode: 'faults', thirdPartyId: 'crm-1001', attributes: { tier: 'silver' } }],
    });
    // Other suites' calls must not run into the emulator's own 50-per-minute cap here.
    emulator.setRateLimit(10_000, 60_000);
    connectionId = (await vscode.commands.executeCommand<string>(Commands.addConnection, {
      name: 'Faults',
      clientCode: 'faults',
      baseUrl: emulator.url,
      token: KNOWN_TOKEN,
    }))!;
    await config().update('polling.minSeconds', 1, vscode.ConfigurationTarget.Global);
    await config().update('polling.maxSeconds', 1, vscode.ConfigurationTarget.Global);
    // The confirmation is a modal, which nothing here could answer.
    await config().update('batch.confirmBeforeSubmit', false, vscode.ConfigurationTarget.Global);
  });

  afterEach(async () => {
    emulator.setDelay(0);
    emulator.failNext(0, 503);
    await config().update('requestTimeoutSeconds', undefined, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await emulator?.close();
    for (const key of [
      'polling.minSeconds',
      'polling.maxSeconds',
      'requestTimeoutSeconds',
      'batch.confirmBeforeSubmit',
    ]) {
      await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('connection reset mid-upload: maybe-accepted, a clear message, never uploaded again (even after a reload)', async () => {
    const before = emulator.uploads();
    emulator.dropNext(1);
    const result = await submit(batchFile('reset.batch', 'batch=thirdPartyId,tier\nr-1,gold\nr-2,silver\n'));
    assert.strictEqual(result.uploads[0].state, 'maybe-accepted', JSON.stringify(result));
    assert.match(result.uploads[0].message ?? '', /connection .* failed during the batch upload/i);
    assert.match(result.uploads[0].message ?? '', /may or may not have accepted it/);
    assert.strictEqual(upload(result.submissionId!)?.state, 'maybe-accepted');
    assert.strictEqual(emulator.uploads(), before + 1, 'a dropped upload must not be retried');
    reload();
    await new Promise((r) => setTimeout(r, 2500));
    assert.strictEqual(
      upload(result.submissionId!)?.state,
      'maybe-accepted',
      'the journal keeps the truth across a reload',
    );
    assert.strictEqual(emulator.uploads(), before + 1, 'the reload sent it again');
  });

  it('server closing before the response: the whole body went out, so maybe-accepted and sent once', async () => {
    const server = await closingServer();
    try {
      const closingId = (await vscode.commands.executeCommand<string>(Commands.addConnection, {
        name: 'Closing',
        clientCode: 'closing',
        baseUrl: server.url,
      }))!;
      const result = await submit(batchFile('closed.batch', 'batch=thirdPartyId,tier\nc-1,gold\n'), closingId);
      assert.strictEqual(result.uploads[0].state, 'maybe-accepted', JSON.stringify(result));
      assert.match(result.uploads[0].message ?? '', /connection to 127\.0\.0\.1:\d+ failed during the batch upload/);
      assert.match(result.uploads[0].message ?? '', /check its batch status or the profiles before sending it again/);
      assert.deepStrictEqual(
        server.requests.map((r) => [r.method, r.bytes]),
        [['POST', fs.statSync(vscode.Uri.file(journalEntry(result.submissionId!)!.sourceFile).fsPath).size]],
      );
      reload();
      await new Promise((r) => setTimeout(r, 2500));
      assert.strictEqual(server.requests.length, 1, 'nothing was sent again after the reload');
      assert.strictEqual(upload(result.submissionId!)?.state, 'maybe-accepted');
      await api.services.connections.remove(closingId);
    } finally {
      await server.close();
    }
  });

  it('server closing mid-answer on a status poll: recorded as a poll error, polling goes on to complete', async () => {
    const result = await submit(batchFile('status-drop.batch', 'batch=thirdPartyId,tier\nd-1,gold\n'));
    assert.strictEqual(result.uploads[0].state, 'accepted', JSON.stringify(result));
    const uploadsAfter = emulator.uploads();
    // Every attempt of the next poll (it retries a broken connection) is cut off mid-answer.
    emulator.dropNext(4);
    const errored = await waitFor(
      () => ((upload(result.submissionId!)?.pollErrors ?? 0) >= 1 ? upload(result.submissionId!) : undefined),
      30_000,
    );
    assert.ok(errored, `no poll error was recorded: ${JSON.stringify(upload(result.submissionId!))}`);
    assert.match(errored.message ?? '', /connection to 127\.0\.0\.1:\d+ failed during the batch status/);
    reload();
    await reaches(result.submissionId!, 'complete');
    assert.strictEqual(emulator.uploads(), uploadsAfter, 'nothing was uploaded twice');
  });

  it('a single update slower than requestTimeoutSeconds fails with a clear message in the history', async function () {
    await config().update('requestTimeoutSeconds', 1, vscode.ConfigurationTarget.Global);
    emulator.setDelay(2500);
    const entry = await vscode.commands.executeCommand<HistoryEntry>(Commands.updateProfile, {
      connectionId,
      idType: 'thirdPartyId',
      id: 'crm-1001',
      attributes: { tier: 'gold' },
    });
    assert.ok(entry, 'the update returned no history entry');
    assert.strictEqual(entry.ok, false, entry.result);
    assert.match(entry.result, /No answer from 127\.0\.0\.1:\d+ within 1 s for the profile update/);
    assert.ok(
      api.services.history.all().some((e) => e.id === entry.id && !e.ok),
      'the failure is in the history',
    );
  });

  it('status polls slower than the timeout: pollErrors grows, polling goes on and reaches complete once the server is fast again', async () => {
    await config().update('requestTimeoutSeconds', 1, vscode.ConfigurationTarget.Global);
    // The upload's own time limit is minutes, so it gets through; every status poll times out.
    emulator.setDelay(2500);
    const result = await submit(batchFile('slow-status.batch', 'batch=thirdPartyId,tier\ns-1,gold\n'));
    assert.strictEqual(result.uploads[0].state, 'accepted', JSON.stringify(result));
    const uploadsAfter = emulator.uploads();
    const errored = await waitFor(
      () => ((upload(result.submissionId!)?.pollErrors ?? 0) >= 1 ? upload(result.submissionId!) : undefined),
      45_000,
    );
    assert.ok(errored, `no poll error was recorded: ${JSON.stringify(upload(result.submissionId!))}`);
    assert.match(errored.message ?? '', /No answer from 127\.0\.0\.1:\d+ within 1 s for the batch status/);
    assert.strictEqual(
      submissionState(journalEntry(result.submissionId!)!),
      'processing',
      'a slow status is not a final state',
    );
    emulator.setDelay(0);
    await config().update('requestTimeoutSeconds', undefined, vscode.ConfigurationTarget.Global);
    reload();
    const done = await reaches(result.submissionId!, 'complete');
    assert.strictEqual(done.uploads[0].pollErrors, 0, 'a good answer resets the error count');
    assert.strictEqual(emulator.uploads(), uploadsAfter, 'nothing was uploaded twice');
  });

  it('a storm of 503s (Retry-After: 1) on status polls: eventually complete, nothing uploaded twice', async () => {
    const result = await submit(batchFile('storm.batch', 'batch=thirdPartyId,tier\nst-1,gold\nst-2,silver\n'));
    assert.strictEqual(result.uploads[0].state, 'accepted', JSON.stringify(result));
    const uploadsAfter = emulator.uploads();
    const statusBefore = emulator.requests.filter((r) => r.route === 'batchStatus').length;
    emulator.failNext(10, 503, '1');
    const errored = await waitFor(
      () => ((upload(result.submissionId!)?.pollErrors ?? 0) >= 1 ? upload(result.submissionId!) : undefined),
      30_000,
    );
    assert.ok(errored, `no poll error was recorded: ${JSON.stringify(upload(result.submissionId!))}`);
    assert.match(errored.message ?? '', /Target is limiting requests \(HTTP 503\) for the batch status/);
    reload();
    await reaches(result.submissionId!, 'complete', 60_000);
    const polls = emulator.requests.filter((r) => r.route === 'batchStatus').slice(statusBefore);
    assert.ok(polls.filter((r) => r.status === 503).length >= 9, `polls: ${polls.map((r) => r.status).join(',')}`);
    assert.strictEqual(polls[polls.length - 1].status, 200);
    assert.strictEqual(emulator.uploads(), uploadsAfter, 'nothing was uploaded twice');
  });

  it('429 with Retry-After on submit: waited for, retried, accepted once', async () => {
    const before = batchUploads().length;
    emulator.failNext(1, 429, '1');
    const started = Date.now();
    const result = await submit(batchFile('429.batch', 'batch=thirdPartyId,tier\nq-1,gold\n'));
    assert.strictEqual(result.uploads[0].state, 'accepted', JSON.stringify(result));
    assert.ok(Date.now() - started >= 1000, 'Retry-After was honoured');
    assert.deepStrictEqual(
      batchUploads()
        .slice(before)
        .map((r) => r.status),
      [429, 200],
      'sent once after the refusal',
    );
    const done = await reaches(result.submissionId!, 'complete');
    assert.strictEqual(done.uploads[0].counters?.batchSize, 1);
  });

  it('a base URL whose host does not resolve: a clear message and not-sent', async () => {
    const dnsId = (await vscode.commands.executeCommand<string>(Commands.addConnection, {
      name: 'Nowhere',
      clientCode: 'nowhere',
      baseUrl: 'https://nonexistent.invalid',
    }))!;
    try {
      const result = await submit(batchFile('dns.batch', 'batch=thirdPartyId,tier\nn-1,gold\n'), dnsId);
      assert.strictEqual(result.uploads[0].state, 'not-sent', JSON.stringify(result));
      assert.match(
        result.uploads[0].message ?? '',
        /Could not find the host nonexistent\.invalid .*DNS lookup failed.*nothing was sent/,
      );
      assert.strictEqual(upload(result.submissionId!)?.state, 'not-sent');
      assert.strictEqual(submissionState(journalEntry(result.submissionId!)!), 'not-sent');
      // A single update to it fails the same way, in the history.
      const entry = await vscode.commands.executeCommand<HistoryEntry>(Commands.updateProfile, {
        connectionId: dnsId,
        idType: 'thirdPartyId',
        id: 'n-1',
        attributes: { a: '1' },
      });
      assert.strictEqual(entry?.ok, false);
      assert.match(entry.result, /Could not find the host nonexistent\.invalid/);
      reload();
      await new Promise((r) => setTimeout(r, 1500));
      assert.strictEqual(upload(result.submissionId!)?.state, 'not-sent', 'never sent automatically after a reload');
    } finally {
      await api.services.connections.remove(dnsId);
    }
  });

  it('a status URL on an unreachable loopback port: poll errors recorded with a clear message, no crash, resumed after a reload', async () => {
    const port = await deadPort();
    const id = `unreachable-${Date.now()}`;
    await api.services.batches.add({
      id,
      connectionId,
      apiVersion: 'v2',
      sourceFile: '/tmp/unreachable.batch',
      createdAt: Date.now(),
      uploads: [
        {
          index: 0,
          rows: 1,
          bytes: 30,
          state: 'accepted',
          status: 'incomplete',
          batchStatus: `http://127.0.0.1:${port}/m2/faults/v2/profile/batchStatus?batchId=gone`,
        },
      ],
    });
    try {
      // The tracker picks journal entries up when it starts, as after a reload.
      reload();
      const first = await waitFor(() => ((upload(id)?.pollErrors ?? 0) >= 1 ? upload(id) : undefined), 30_000);
      assert.ok(first, JSON.stringify(upload(id)));
      assert.match(
        first.message ?? '',
        new RegExp(`Could not connect to 127\\.0\\.0\\.1:${port} for the batch status \\(connection refused\\)`),
      );
      assert.strictEqual(first.state, 'accepted', 'a failed poll does not change what the upload is');
      reload();
      const again = await waitFor(() => ((upload(id)?.pollErrors ?? 0) >= 2 ? upload(id) : undefined), 30_000);
      assert.ok(again, `polling did not resume after the reload: ${JSON.stringify(upload(id))}`);
      assert.strictEqual(submissionState(journalEntry(id)!), 'processing');
      // The editor is still fine: the tree shows it and other commands answer.
      const item = api.services.tree.getTreeItem({ type: 'submission', connectionId, submissionId: id });
      assert.ok(item.label);
    } finally {
      await vscode.commands.executeCommand(Commands.removeBatch, { submissionId: id });
    }
  });
});
