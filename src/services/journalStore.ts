import * as vscode from 'vscode';
import { recoverAfterRestart, type BatchSubmission, type UploadRecord } from '../core/submissions/journal';

const KEY = 'targetProfiles.batchJournal';
/** Finished submissions beyond this many are dropped, oldest first; unfinished ones are kept. */
const MAX_FINISHED = 100;

/**
 * The submission journal in global state. Every change is written (and awaited) before the next
 * step runs, so what is on disk is always what happened: see src/core/submissions/journal.ts.
 */
export class JournalStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  /** Serialises writes so two uploads finishing together cannot overwrite each other. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly state: vscode.Memento) {}

  dispose(): void {
    this.changed.dispose();
  }

  all(): BatchSubmission[] {
    return this.state.get<BatchSubmission[]>(KEY, []);
  }

  forConnection(connectionId: string): BatchSubmission[] {
    return this.all().filter((s) => s.connectionId === connectionId);
  }

  get(id: string): BatchSubmission | undefined {
    return this.all().find((s) => s.id === id);
  }

  /** Marks uploads interrupted by the last window's end; called once at activation. */
  recover(): Promise<void> {
    return this.mutate((list) => list.map(recoverAfterRestart));
  }

  add(submission: BatchSubmission): Promise<void> {
    return this.mutate((list) => {
      const finished = list.filter((s) => !s.uploads.some((u) => u.state === 'pending' || u.state === 'uploading'));
      const drop = new Set(finished.slice(MAX_FINISHED - 1).map((s) => s.id));
      return [submission, ...list.filter((s) => !drop.has(s.id))];
    });
  }

  updateUpload(submissionId: string, index: number, change: (u: UploadRecord) => UploadRecord): Promise<void> {
    return this.mutate((list) =>
      list.map((s) =>
        s.id !== submissionId ? s : { ...s, uploads: s.uploads.map((u) => (u.index === index ? change(u) : u)) },
      ),
    );
  }

  remove(submissionId: string): Promise<void> {
    return this.mutate((list) => list.filter((s) => s.id !== submissionId));
  }

  private mutate(change: (list: BatchSubmission[]) => BatchSubmission[]): Promise<void> {
    const next = this.writes.then(async () => {
      await this.state.update(KEY, change(this.all()));
      this.changed.fire();
    });
    this.writes = next.catch(() => undefined);
    return next;
  }
}
