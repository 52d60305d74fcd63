import * as path from 'path';
import * as vscode from 'vscode';
import { isTracking, submissionState, type BatchSubmission } from '../../core/submissions/journal';
import { BATCH_LANGUAGE_ID, Commands, Views } from '../../contributions';
import type { FeatureRegistration, Services } from '../../services';
import { submitBatchFile, type SubmitInput } from './submit';
import { BatchTracker } from './tracker';

/** Batch submission and tracking: submit from the editor, the Explorer or a CodeLens; follow to the end. */
const BATCH_STATUS_SCHEME = 'target-batch-status';

/** A submission passed by a tree node, or its id. */
function submissionArg(arg: unknown): { submissionId?: string; index?: number } {
  if (typeof arg === 'string') return { submissionId: arg };
  if (arg && typeof arg === 'object') {
    return { submissionId: (arg as { submissionId?: string }).submissionId, index: (arg as { index?: number }).index };
  }
  return {};
}

export const register: FeatureRegistration = (_context, services) => {
  const journal = services.batches;
  const tracker = new BatchTracker(journal, services);
  const status = vscode.window.createStatusBarItem('targetProfiles.batches', vscode.StatusBarAlignment.Left, 9);
  status.name = vscode.l10n.t('Target batches in flight');
  status.command = `${Views.connections}.focus`;
  const refreshStatus = () => {
    const processing = journal.all().filter((s) => s.uploads.some(isTracking)).length;
    status.text = `$(sync~spin) ${vscode.l10n.t('{0} batch(es) processing', processing)}`;
    status.tooltip = vscode.l10n.t('Batches Target is still processing; click to show them.');
    if (processing > 0) status.show();
    else status.hide();
  };

  const details = new vscode.EventEmitter<vscode.Uri>();
  const detailsUri = (id: string) =>
    vscode.Uri.from({ scheme: BATCH_STATUS_SCHEME, path: `/${id}.txt`, query: new URLSearchParams({ id }).toString() });

  // Uploads cut short by the last window's end are marked before anything is polled.
  void journal.recover().then(() => {
    tracker.resume();
    refreshStatus();
  });

  return vscode.Disposable.from(
    tracker,
    status,
    details,
    journal.onDidChange(() => {
      refreshStatus();
      for (const s of journal.all()) details.fire(detailsUri(s.id));
    }),
    vscode.commands.registerCommand(Commands.submitBatch, (uri?: vscode.Uri, input?: SubmitInput) =>
      submitBatchFile(services, journal, tracker, uri instanceof vscode.Uri ? uri : undefined, input),
    ),
    vscode.commands.registerCommand(Commands.refreshBatchStatus, async (arg?: unknown) => {
      const { submissionId, index } = submissionArg(arg);
      if (submissionId) await tracker.pollNow(submissionId, index);
      return submissionId ? journal.get(submissionId) : undefined;
    }),
    vscode.commands.registerCommand(Commands.showBatchDetails, async (arg?: unknown) => {
      const { submissionId } = submissionArg(arg);
      if (!submissionId) return undefined;
      const document = await vscode.workspace.openTextDocument(detailsUri(submissionId));
      await vscode.window.showTextDocument(document, { preview: true });
      return document.uri;
    }),
    vscode.commands.registerCommand(Commands.openBatchSource, async (arg?: unknown) => {
      const submission = journal.get(submissionArg(arg).submissionId ?? '');
      if (submission) await vscode.window.showTextDocument(vscode.Uri.file(submission.sourceFile));
    }),
    vscode.commands.registerCommand(Commands.copyBatchStatusUrl, async (arg?: unknown) => {
      const { submissionId, index } = submissionArg(arg);
      const upload = journal
        .get(submissionId ?? '')
        ?.uploads.find((u) => u.batchStatus && (index === undefined || u.index === index));
      if (!upload?.batchStatus) return undefined;
      await vscode.env.clipboard.writeText(upload.batchStatus);
      return upload.batchStatus;
    }),
    vscode.commands.registerCommand(Commands.removeBatch, async (arg?: unknown) => {
      const { submissionId } = submissionArg(arg);
      if (!submissionId) return;
      tracker.stop(submissionId);
      await journal.remove(submissionId);
    }),
    vscode.workspace.registerTextDocumentContentProvider(BATCH_STATUS_SCHEME, {
      onDidChange: details.event,
      provideTextDocumentContent: (uri) => {
        const submission = journal.get(new URLSearchParams(uri.query).get('id') ?? '');
        return submission
          ? describeSubmission(submission, services)
          : vscode.l10n.t('This batch is no longer in the list.');
      },
    }),
    vscode.languages.registerCodeLensProvider(
      { language: BATCH_LANGUAGE_ID },
      {
        provideCodeLenses: (document) => {
          if (document.uri.scheme !== 'file') return [];
          const active = services.connections.active();
          const range = new vscode.Range(0, 0, 0, 0);
          return [
            new vscode.CodeLens(range, {
              title: active
                ? `$(cloud-upload) ${vscode.l10n.t('Submit to {0}', active.name)}`
                : `$(cloud-upload) ${vscode.l10n.t('Submit…')}`,
              command: Commands.submitBatch,
              arguments: [document.uri],
            }),
            new vscode.CodeLens(range, {
              title: `$(checklist) ${vscode.l10n.t('Validate from disk')}`,
              command: Commands.validateBatchFile,
              arguments: [document.uri],
            }),
          ];
        },
      },
    ),
  );
};

/** The read-only details of a submission: per upload, its state, counters and failed ids. */
function describeSubmission(s: BatchSubmission, services: Services): string {
  const connection = services.connections.get(s.connectionId);
  const lines = [
    `${path.basename(s.sourceFile)}  (${submissionState(s)})`,
    `${vscode.l10n.t('Source')}: ${s.sourceFile}`,
    `${vscode.l10n.t('Connection')}: ${connection ? `${connection.name} (${connection.clientCode})` : s.connectionId}, API ${s.apiVersion}`,
    `${vscode.l10n.t('Submitted')}: ${new Date(s.createdAt).toLocaleString()}`,
    '',
  ];
  for (const u of s.uploads) {
    lines.push(
      `${vscode.l10n.t('Upload')} ${u.index + 1}/${s.uploads.length}: ${u.state}${u.status ? ` / ${u.status}` : ''}${u.gaveUp ? ' (tracking stopped)' : ''}`,
    );
    lines.push(`  ${vscode.l10n.t('rows')}: ${u.rows}, ${vscode.l10n.t('bytes')}: ${u.bytes}`);
    if (u.batchId) lines.push(`  batchId: ${u.batchId}`);
    if (u.batchStatus) lines.push(`  batchStatus: ${u.batchStatus}`);
    if (u.counters) {
      for (const [k, v] of Object.entries(u.counters)) if (v !== undefined) lines.push(`  ${k}: ${v}`);
    }
    if (u.failedIds?.length) lines.push(`  ${vscode.l10n.t('failed ids')}: ${u.failedIds.join(', ')}`);
    if (u.message) lines.push(`  ${vscode.l10n.t('message')}: ${u.message}`);
    if (u.lastPolledAt) lines.push(`  ${vscode.l10n.t('last checked')}: ${new Date(u.lastPolledAt).toLocaleString()}`);
    lines.push('');
  }
  return lines.join('\n');
}
