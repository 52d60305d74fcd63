import * as l10n from '@vscode/l10n';
import type { BatchStatus } from '../target/xml';

/**
 * The submission journal: what the extension knows about every batch it uploaded, written before an
 * upload starts and after it ends, so that a reload or a crash never loses a batch and never
 * uploads one twice. The editor keeps it in global state; everything here is pure.
 */
type UploadState =
  /** Planned, not started. */
  | 'pending'
  /** The body is on its way; seen after a reload, it means the window died mid-upload. */
  | 'uploading'
  /** Provably not taken by Target (cancelled, refused before sending, 503/429). Safe to submit again. */
  | 'not-sent'
  /** The connection broke after the body went out: Target may have it. Never resent automatically. */
  | 'maybe-accepted'
  /** Target said `<success>true</success>` and gave a status URL. */
  | 'accepted'
  /** Target read it and refused it (`<success>false</success>`), or another final error. */
  | 'failed';

type BatchState = 'incomplete' | 'complete' | 'stuck';

export interface UploadRecord {
  index: number;
  rows: number;
  bytes: number;
  state: UploadState;
  batchStatus?: string;
  batchId?: string;
  /** The last status Target reported for an accepted upload. */
  status?: BatchState;
  counters?: Pick<
    BatchStatus,
    'batchSize' | 'consumedCount' | 'successfulUpdates' | 'profilesNotFound' | 'failedUpdates'
  >;
  failedIds?: string[];
  message?: string;
  lastPolledAt?: number;
  /** Consecutive polls that failed (network, 5xx): drives backoff and is shown in the tree. */
  pollErrors?: number;
  /** Tracking gave up (maximum tracking time) before a final status. */
  gaveUp?: boolean;
}

export interface BatchSubmission {
  id: string;
  connectionId: string;
  apiVersion: 'v1' | 'v2';
  sourceFile: string;
  createdAt: number;
  uploads: UploadRecord[];
}

/** True while polling the upload's status still makes sense. */
export function isTracking(upload: UploadRecord): boolean {
  return upload.state === 'accepted' && upload.status !== 'complete' && upload.status !== 'stuck' && !upload.gaveUp;
}

/** What a submission as a whole is, for icons and the status bar. */
export function submissionState(
  s: BatchSubmission,
): 'processing' | 'complete' | 'stuck' | 'not-sent' | 'maybe-accepted' | 'failed' | 'uploading' | 'gave-up' {
  const states = s.uploads.map((u) => u.state);
  if (states.some((x) => x === 'uploading' || x === 'pending')) return 'uploading';
  if (states.includes('failed')) return 'failed';
  if (states.includes('maybe-accepted')) return 'maybe-accepted';
  if (s.uploads.some((u) => u.state === 'accepted' && u.status === 'stuck')) return 'stuck';
  if (s.uploads.some(isTracking)) return 'processing';
  if (s.uploads.some((u) => u.state === 'accepted' && u.gaveUp)) return 'gave-up';
  if (s.uploads.every((u) => u.state === 'accepted' && u.status === 'complete')) return 'complete';
  return 'not-sent';
}

/**
 * After a reload: an upload that was on its way when the window went away may have reached Target.
 * It becomes `maybe-accepted` (shown to the user) rather than being sent again.
 */
export function recoverAfterRestart(s: BatchSubmission): BatchSubmission {
  if (!s.uploads.some((u) => u.state === 'uploading' || u.state === 'pending')) return s;
  let interrupted = false;
  return {
    ...s,
    uploads: s.uploads.map((u) => {
      if (u.state === 'uploading') {
        interrupted = true;
        return {
          ...u,
          state: 'maybe-accepted',
          message: l10n.t('The window closed during this upload: Target may have received it. It was not sent again.'),
        };
      }
      // Uploads after an interrupted one were never started.
      if (u.state === 'pending') {
        return {
          ...u,
          state: 'not-sent',
          message: interrupted ? l10n.t('Not sent: an earlier upload was interrupted.') : l10n.t('Not sent.'),
        };
      }
      return u;
    }),
  };
}

/** Applies a status answer to an upload. Returns the new record and whether its state changed. */
export function applyStatus(
  upload: UploadRecord,
  status: BatchStatus,
  now: number,
): { upload: UploadRecord; changed: boolean } {
  const next: UploadRecord = {
    ...upload,
    // The legacy per-profile answer carries no status: keep the last one known.
    status: status.status || upload.status,
    batchId: status.batchId || upload.batchId,
    lastPolledAt: now,
    pollErrors: 0,
    counters: {
      batchSize: status.batchSize,
      consumedCount: status.consumedCount,
      successfulUpdates: status.successfulUpdates,
      profilesNotFound: status.profilesNotFound,
      failedUpdates: status.failedUpdates,
    },
    failedIds: status.profiles?.filter((p) => p.status !== 'success').map((p) => p.id) ?? upload.failedIds,
  };
  return { upload: next, changed: next.status !== upload.status };
}

/** The next wait before polling an upload: doubles from min to max with each poll, longer after errors. */
export function nextPollDelay(upload: UploadRecord, pollsSoFar: number, minMs: number, maxMs: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(pollsSoFar, 20));
  return upload.pollErrors ? Math.min(maxMs, base * 2 ** Math.min(upload.pollErrors, 5)) : base;
}

/** TP040/TP041: the rules that depend on the connection, not on the file (docs/rules.md). */
export function connectionNotes(
  idColumn: 'pcId' | 'thirdPartyId' | undefined,
  apiVersion: 'v1' | 'v2',
): { code: 'TP040' | 'TP041'; message: string }[] {
  const notes: { code: 'TP040' | 'TP041'; message: string }[] = [];
  if (apiVersion === 'v2' && idColumn === 'pcId') {
    notes.push({
      code: 'TP040',
      message: l10n.t(
        'v2 with a pcId key: for implementations that use the Experience Cloud ID, key on thirdPartyId or use v1.',
      ),
    });
  }
  if (apiVersion === 'v1') {
    notes.push({
      code: 'TP041',
      message: l10n.t('v1 never creates profiles: rows for unknown ids are counted as not found.'),
    });
  }
  return notes;
}

/**
 * Whether the bulk API version needs asking before a submission. The connection's version decides,
 * except for the one case where the file's id column makes it a real question: v2 keyed on pcId is
 * right for stand-alone implementations and wrong for those that use the Experience Cloud ID
 * (TP040), which only the user knows. Then the connection's version is offered first.
 */
export function bulkVersionChoice(
  connectionVersion: 'v1' | 'v2',
  idColumn: 'pcId' | 'thirdPartyId' | undefined,
): { decided: 'v1' | 'v2' } | { ask: 'TP040'; preferred: 'v1' | 'v2' } {
  if (connectionVersion === 'v2' && idColumn === 'pcId') return { ask: 'TP040', preferred: connectionVersion };
  return { decided: connectionVersion };
}
