import * as path from 'path';
import * as vscode from 'vscode';
import { validateFile, type BatchDiagnostic } from '../../core/batch/validator';
import {
  bulkVersionChoice,
  connectionNotes,
  type BatchSubmission,
  type UploadRecord,
} from '../../core/submissions/journal';
import { isTargetError } from '../../core/target/errors';
import { BATCH_LANGUAGE_ID, SETTINGS_SECTION } from '../../contributions';
import type { Connection } from '../../services/connectionStore';
import type { Services } from '../../services';
import { askSteps, type PickStep } from '../../services/steps';
import { describeError } from '../../services/targetAccess';
import type { JournalStore } from '../../services/journalStore';
import type { BatchTracker } from './tracker';

/**
 * What Submit Batch File can be given instead of asking (tests, scenarios, CodeLens). Whether to
 * confirm is the user's setting alone: any extension can run this command.
 */
export interface SubmitInput {
  connectionId?: string;
  apiVersion?: 'v1' | 'v2';
}

export interface SubmitResult {
  submissionId?: string;
  refused?: 'errors' | 'cancelled' | 'declined';
  uploads: UploadRecord[];
  /** The refusal as shown to the user, when the file has errors. */
  message?: string;
}

/** How many of a refused file's errors the message names; the Problems panel has them all. */
const ERRORS_NAMED = 3;

/** "crm.batch has 5 errors and was not submitted: TP020 line 2: … · TP021 line 5: … · … · and 2 more." */
function refusalMessage(name: string, errors: BatchDiagnostic[]): string {
  const named = errors
    .slice(0, ERRORS_NAMED)
    .map((d) => vscode.l10n.t('{0} line {1}: {2}', d.code, d.line + 1, d.message))
    .join(' · ');
  const more = errors.length - ERRORS_NAMED;
  return more > 0
    ? vscode.l10n.t('{0} has {1} errors and was not submitted: {2} · and {3} more.', name, errors.length, named, more)
    : errors.length === 1
      ? vscode.l10n.t('{0} has an error and was not submitted: {1}.', name, named)
      : vscode.l10n.t('{0} has {1} errors and was not submitted: {2}.', name, errors.length, named);
}

/**
 * Submit Batch File: validate before asking anything (refusing a file with errors, naming the first
 * ones, with a button to the Problems panel), choose the connection and, only when the file's id
 * column makes it a question, the bulk API version; confirm, plan the uploads, then upload them one by one, each journalled before it starts and after it
 * ends, and hand the accepted ones to the tracker.
 */
export async function submitBatchFile(
  services: Services,
  journal: JournalStore,
  tracker: BatchTracker,
  target?: vscode.Uri,
  input: SubmitInput = {},
): Promise<SubmitResult> {
  const uri = target ?? (await pickFile());
  if (!uri) return { refused: 'cancelled', uploads: [] };
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(
      vscode.l10n.t('Only files on disk can be submitted: the upload streams the file.'),
    );
    return { refused: 'cancelled', uploads: [] };
  }
  // The upload reads the file from disk, so unsaved edits would silently not be sent.
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open?.isDirty && !(await open.save())) return { refused: 'cancelled', uploads: [] };

  const name = path.basename(uri.fsPath);

  // Validation first: a file that cannot be sent is refused before any question is asked.
  const validation = await services.targets.withProgress(vscode.l10n.t('Validating {0}', name), (signal) =>
    validateFile(uri.fsPath, { signal }),
  );
  services.batchProblems.publishFromDisk(uri, validation.diagnostics, validation.summary);
  const errors = validation.diagnostics
    .filter((d) => d.severity === 'error')
    .sort((a, b) => a.line - b.line || a.column - b.column);
  if (errors.length > 0) {
    const message = refusalMessage(name, errors);
    const showProblems = vscode.l10n.t('Show Problems');
    void vscode.window.showErrorMessage(message, showProblems).then((answer) => {
      if (answer === showProblems) void vscode.commands.executeCommand('workbench.actions.view.problems');
    });
    services.log.warn(`refused to submit ${uri.fsPath}: ${errors.length} error(s)`);
    return { refused: 'errors', uploads: [], message };
  }

  const given = input.connectionId ? services.connections.get(input.connectionId) : undefined;
  if (input.connectionId && !given) return { refused: 'cancelled', uploads: [] };
  const answers = await askSubmission(services, name, validation.summary.idColumn, {
    connection: given,
    // A caller that names the connection takes its version unless it gives one.
    apiVersion: input.apiVersion ?? given?.apiVersion,
  });
  const connection = answers?.connection;
  const apiVersion = answers?.apiVersion;
  if (!connection || !apiVersion) return { refused: 'cancelled', uploads: [] };

  const notes = connectionNotes(validation.summary.idColumn, apiVersion);
  const confirm = vscode.workspace.getConfiguration(SETTINGS_SECTION).get<boolean>('batch.confirmBeforeSubmit', true);
  if (confirm || !vscode.workspace.isTrusted) {
    const submit = vscode.l10n.t('Submit');
    const detail = [
      vscode.l10n.t(
        '{0} rows, {1} bytes, {2} upload(s), API {3}.',
        validation.summary.rows,
        validation.summary.bytes,
        validation.summary.uploads,
        apiVersion,
      ),
      ...notes.map((n) => `${n.code}: ${n.message}`),
      vscode.workspace.isTrusted ? '' : vscode.l10n.t('This workspace is not trusted.'),
    ]
      .filter(Boolean)
      .join('\n');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('Submit {0} to {1}?', name, connection.name),
      { modal: true, detail },
      submit,
    );
    if (answer !== submit) return { refused: 'declined', uploads: [] };
  }
  for (const note of notes) services.log.info(`${note.code} ${name}: ${note.message}`);

  const client = await services.targets.clientFor({ ...connection, apiVersion });
  const submission: BatchSubmission = {
    id: crypto.randomUUID(),
    connectionId: connection.id,
    apiVersion,
    sourceFile: uri.fsPath,
    createdAt: Date.now(),
    uploads: [],
  };
  try {
    return await services.targets.withProgress(
      vscode.l10n.t('Submitting {0} to {1}', name, connection.name),
      async (signal) => {
        const plan = await client.planBatch(uri.fsPath, { signal });
        submission.uploads = plan.parts.map((part, index) => ({
          index,
          rows: part.rows,
          bytes: part.bytes,
          state: 'pending' as const,
        }));
        // Journalled before the first byte goes out.
        await journal.add(submission);
        let stopped = false;
        for (const [index, part] of plan.parts.entries()) {
          if (stopped || signal.aborted) {
            await journal.updateUpload(submission.id, index, (u) => ({
              ...u,
              state: 'not-sent',
              message: signal.aborted ? 'Cancelled before this upload started.' : 'Not sent: an earlier upload failed.',
            }));
            continue;
          }
          await journal.updateUpload(submission.id, index, (u) => ({ ...u, state: 'uploading' }));
          try {
            const [accepted] = await client.submitPlan({ ...plan, parts: [part] }, { signal });
            await journal.updateUpload(submission.id, index, (u) => ({
              ...u,
              state: 'accepted',
              status: 'incomplete',
              batchStatus: accepted.batchStatus,
              message: accepted.message,
            }));
            services.log.info(
              `uploaded ${name} part ${index + 1}/${plan.parts.length} (${part.rows} rows): ${accepted.batchStatus}`,
            );
          } catch (error) {
            stopped = true;
            const cause = isTargetError(error) && error.cause && isTargetError(error.cause) ? error.cause : error;
            // A cancelled upload ends before its body is complete, and a server does not act on a
            // request whose body never fully arrived: it is recorded as not sent.
            const maybe = !signal.aborted && isTargetError(cause) && cause.maybeAccepted;
            const notSent =
              signal.aborted ||
              (isTargetError(cause) &&
                !cause.maybeAccepted &&
                ['cancelled', 'rate-limited', 'network', 'usage', 'too-large'].includes(cause.kind));
            const state = maybe ? 'maybe-accepted' : notSent ? 'not-sent' : 'failed';
            const message = signal.aborted
              ? vscode.l10n.t('Cancelled: the upload was stopped and is recorded as not sent.')
              : describeError(error);
            await journal.updateUpload(submission.id, index, (u) => ({ ...u, state, message }));
            services.log.error(`upload ${index + 1}/${plan.parts.length} of ${name}: ${state}: ${message}`);
            if (!signal.aborted) {
              void vscode.window.showErrorMessage(
                state === 'maybe-accepted'
                  ? vscode.l10n.t(
                      'The connection broke during the upload of {0}: Target may have received it, so it was not sent again. {1}',
                      name,
                      message,
                    )
                  : vscode.l10n.t('Submitting {0} failed: {1}', name, message),
              );
            }
          }
        }
        tracker.resume();
        const final = journal.get(submission.id)!;
        const accepted = final.uploads.filter((u) => u.state === 'accepted').length;
        if (accepted > 0) {
          // The batch is tracked from now on: shown in the view, expanded and selected, not left
          // under two collapsed rows.
          void services.tree.revealSubmission(connection.id, submission.id).then(undefined, (error: unknown) => {
            services.log.warn(`could not reveal ${name} in the view: ${String(error)}`);
          });
          void vscode.window.showInformationMessage(
            vscode.l10n.t(
              '{0}: {1} of {2} upload(s) accepted; following their status in the Target Profiles view.',
              name,
              accepted,
              final.uploads.length,
            ),
          );
        }
        return {
          submissionId: submission.id,
          uploads: final.uploads,
          refused: signal.aborted && accepted === 0 ? 'cancelled' : undefined,
        };
      },
    );
  } catch (error) {
    // Planning failed (unreadable file, cancelled while reading): nothing was sent.
    const message = describeError(error);
    if (submission.uploads.length === 0 && !(isTargetError(error) && error.kind === 'cancelled')) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Submitting {0} failed: {1}', name, message));
    }
    return {
      submissionId: journal.get(submission.id) ? submission.id : undefined,
      uploads: journal.get(submission.id)?.uploads ?? [],
      refused: 'cancelled',
    };
  } finally {
    void client.close();
  }
}

async function pickFile(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document;
  if (active?.languageId === BATCH_LANGUAGE_ID) return active.uri;
  const picked = await vscode.window.showOpenDialog({
    openLabel: vscode.l10n.t('Submit'),
    filters: { [vscode.l10n.t('Batch files')]: ['batch', 'txt', 'csv'] },
  });
  return picked?.[0];
}

interface SubmitAnswers {
  connection?: Connection;
  apiVersion?: 'v1' | 'v2';
}

/**
 * Where to send the file and with which bulk API version, through the palette's step helper: with one
 * connection nothing is asked about it (the active one comes first otherwise), and the version only when
 * the file's id column makes it a question (TP040).
 */
function askSubmission(
  services: Services,
  name: string,
  idColumn: 'pcId' | 'thirdPartyId' | undefined,
  initial: SubmitAnswers,
): Promise<SubmitAnswers | undefined> {
  const list = services.connections.list();
  if (list.length === 0) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Add a Target connection first.'));
    return Promise.resolve(undefined);
  }
  const active = services.connections.active();
  const connectionStep: PickStep<SubmitAnswers, Connection> = {
    kind: 'pick',
    id: 'connection',
    known: (state) => (state.connection ? state : undefined),
    placeholder: () => vscode.l10n.t('Submit to which connection?'),
    items: () =>
      [...list]
        .sort((a, b) => (a.id === active?.id ? -1 : b.id === active?.id ? 1 : 0))
        .map((c) => ({ label: c.name, description: c.clientCode, value: c })),
    selected: (state) => state.connection,
    // Another connection may decide the version differently: forget a version chosen for the previous one.
    apply: (_state, connection) => ({ connection, apiVersion: initial.apiVersion }),
  };
  const versionStep: PickStep<SubmitAnswers, 'v1' | 'v2'> = {
    kind: 'pick',
    id: 'apiVersion',
    known: (state) => {
      if (state.apiVersion) return state;
      const choice = state.connection ? bulkVersionChoice(state.connection.apiVersion, idColumn) : undefined;
      return choice && 'decided' in choice ? { ...state, apiVersion: choice.decided } : undefined;
    },
    placeholder: () =>
      vscode.l10n.t(
        'The file is keyed on pcId: with the Experience Cloud ID, use v1 (or key the file on thirdPartyId).',
      ),
    items: (state) => {
      const choice = bulkVersionChoice(state.connection!.apiVersion, idColumn);
      const preferred = 'preferred' in choice ? choice.preferred : choice.decided;
      return [
        { label: 'v2', description: vscode.l10n.t('creates missing profiles'), value: 'v2' as const },
        { label: 'v1', description: vscode.l10n.t('updates existing profiles only'), value: 'v1' as const },
      ].sort((a) => (a.value === preferred ? -1 : 1));
    },
    selected: (state) => state.apiVersion,
    apply: (state, apiVersion) => ({ ...state, apiVersion }),
  };
  return askSteps(vscode.l10n.t('Submit {0}', name), [connectionStep, versionStep], initial);
}
