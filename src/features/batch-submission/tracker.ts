import * as path from 'path';
import * as vscode from 'vscode';
import {
  applyStatus,
  isTracking,
  nextPollDelay,
  type BatchSubmission,
  type UploadRecord,
} from '../../core/submissions/journal';
import { SETTINGS_SECTION } from '../../contributions';
import type { Services } from '../../services';
import { describeError } from '../../services/targetAccess';
import type { JournalStore } from '../../services/journalStore';

/**
 * Follows every accepted upload to `complete` or `stuck`: polls its status URL with backoff
 * (polling.minSeconds doubling to polling.maxSeconds), records each answer in the journal, and
 * notifies only when a batch's state changes. Survives reloads because it starts from the journal.
 */
export class BatchTracker implements vscode.Disposable {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly polls = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private disposed = false;

  constructor(
    private readonly journal: JournalStore,
    private readonly services: Services,
  ) {}

  dispose(): void {
    this.disposed = true;
    this.timers.forEach((t) => clearTimeout(t));
    this.timers.clear();
  }

  /** Schedules a poll for every upload still worth following (after activation or a submission). */
  resume(): void {
    for (const submission of this.journal.all()) {
      for (const upload of submission.uploads) if (isTracking(upload)) this.schedule(submission.id, upload.index, 0);
    }
  }

  /** "Refresh Status Now": polls at once, even a finished or abandoned upload. */
  async pollNow(submissionId: string, index?: number): Promise<void> {
    const submission = this.journal.get(submissionId);
    if (!submission) return;
    for (const upload of submission.uploads) {
      if (upload.state === 'accepted' && (index === undefined || upload.index === index)) {
        await this.poll(submissionId, upload.index, true);
      }
    }
  }

  stop(submissionId: string): void {
    for (const [key, timer] of this.timers) {
      if (key.startsWith(`${submissionId}/`)) {
        clearTimeout(timer);
        this.timers.delete(key);
      }
    }
  }

  private schedule(submissionId: string, index: number, delayMs: number): void {
    const key = `${submissionId}/${index}`;
    if (this.disposed || this.timers.has(key)) return;
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.poll(submissionId, index, false);
      }, delayMs),
    );
  }

  private async poll(submissionId: string, index: number, manual: boolean): Promise<void> {
    const key = `${submissionId}/${index}`;
    if (this.inFlight.has(key)) return;
    const submission = this.journal.get(submissionId);
    const upload = submission?.uploads.find((u) => u.index === index);
    if (!submission || !upload?.batchStatus || (!manual && !isTracking(upload))) return;
    const settings = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const maxTrackingMs = settings.get<number>('batch.maxTrackingHours', 24) * 3_600_000;
    if (!manual && Date.now() - submission.createdAt > maxTrackingMs) {
      await this.journal.updateUpload(submissionId, index, (u) => ({
        ...u,
        gaveUp: true,
        message: 'Tracking stopped after the maximum tracking time; use Refresh Status to check again.',
      }));
      return;
    }
    const connection = this.services.connections.get(submission.connectionId);
    if (!connection) return;
    this.inFlight.add(key);
    let next: UploadRecord | undefined;
    try {
      const client = await this.services.targets.clientFor(connection);
      try {
        const status = await client.batchStatus(upload.batchStatus, { details: true });
        const applied = applyStatus(upload, status, Date.now());
        next = { ...applied.upload, gaveUp: manual ? false : applied.upload.gaveUp };
        await this.journal.updateUpload(submissionId, index, () => next!);
        if (applied.changed) this.announce(submission, next);
      } finally {
        void client.close();
      }
    } catch (error) {
      const message = describeError(error);
      this.services.log.warn(`batch status of ${path.basename(submission.sourceFile)} upload ${index + 1}: ${message}`);
      await this.journal.updateUpload(submissionId, index, (u) => ({
        ...u,
        pollErrors: (u.pollErrors ?? 0) + 1,
        message,
        lastPolledAt: Date.now(),
      }));
      next = this.journal.get(submissionId)?.uploads.find((u) => u.index === index);
    } finally {
      this.inFlight.delete(key);
    }
    if (next && isTracking(next)) {
      const polls = (this.polls.get(key) ?? 0) + 1;
      this.polls.set(key, polls);
      const min = settings.get<number>('polling.minSeconds', 2) * 1000;
      const max = Math.max(min, settings.get<number>('polling.maxSeconds', 30) * 1000);
      this.schedule(submissionId, index, nextPollDelay(next, polls, min, max));
    }
  }

  private announce(submission: BatchSubmission, upload: UploadRecord): void {
    const name = path.basename(submission.sourceFile);
    const which = submission.uploads.length > 1 ? ` (${upload.index + 1}/${submission.uploads.length})` : '';
    const c = upload.counters ?? {};
    this.services.log.info(`batch ${name}${which} is ${upload.status}: ${JSON.stringify(c)}`);
    if (upload.status === 'complete') {
      void vscode.window.showInformationMessage(
        vscode.l10n.t(
          'Batch {0}{1} is complete: {2} updated, {3} not found, {4} failed.',
          name,
          which,
          c.successfulUpdates ?? '?',
          c.profilesNotFound ?? '?',
          c.failedUpdates ?? '?',
        ),
      );
    } else if (upload.status === 'stuck') {
      void vscode.window.showWarningMessage(
        vscode.l10n.t(
          'Batch {0}{1} is stuck: Target could not complete it. Check its details, then submit it again or contact Adobe support.',
          name,
          which,
        ),
      );
    }
  }
}
