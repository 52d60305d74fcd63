import * as vscode from 'vscode';

/** One thing the user did against Target, as the History shows it. Never holds a token. */
export interface HistoryEntry {
  id: string;
  time: number;
  connectionId: string;
  kind: 'update' | 'fetch' | 'verify' | 'batch' | 'preview';
  /** What was asked, e.g. "thirdPartyId crm-1: tier=gold, age=34". */
  summary: string;
  ok: boolean;
  /** Stopped by the user (Cancel, "Cancel Running Requests"): not ok, but not a failure either. */
  cancelled?: boolean;
  /** What came back, e.g. "Request successfully submitted" or the error message. */
  result: string;
  /**
   * The request, for "Copy as cURL" (URL and body only: the token is never stored). Updates, look-ups
   * and verifications (the look-up they repeat) carry one.
   */
  request?: {
    method: 'GET' | 'POST';
    url: string;
    body?: string;
    contentType?: string;
    authenticated: boolean;
    /** Environment variables whose `${NAME}` placeholders in the body stand for secrets (previews). */
    variables?: string[];
  };
  /** For updates: the pairs sent, so "Verify Update" knows what to expect. */
  profileId?: { type: 'pcId' | 'thirdPartyId' | 'marketingCloudVisitorId'; value: string };
  attributes?: [string, string][];
  /**
   * For previews: what was asked, so the preview can be run again. Never a token, only its name; `qa`
   * says an Activity QA link was used (the link, which holds a token, is not kept).
   */
  preview?: {
    mboxes: string[];
    pageUrl?: string;
    property?: string;
    trace?: boolean;
    execute?: boolean;
    qa?: boolean;
  };
}

const KEY = 'targetProfiles.history';
/** Kept small on purpose: global state is loaded at every start. */
const MAX_ENTRIES = 200;

export class HistoryStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {}

  dispose(): void {
    this.changed.dispose();
  }

  all(): HistoryEntry[] {
    return this.state.get<HistoryEntry[]>(KEY, []);
  }

  forConnection(connectionId: string, kind?: HistoryEntry['kind']): HistoryEntry[] {
    return this.all().filter((e) => e.connectionId === connectionId && (!kind || e.kind === kind));
  }

  get(id: string): HistoryEntry | undefined {
    return this.all().find((e) => e.id === id);
  }

  async add(entry: Omit<HistoryEntry, 'id' | 'time'>): Promise<HistoryEntry> {
    const full: HistoryEntry = {
      ...entry,
      id: crypto.randomUUID(),
      time: Date.now(),
    };
    await this.state.update(KEY, [full, ...this.all()].slice(0, MAX_ENTRIES));
    this.changed.fire();
    return full;
  }

  async clear(connectionId?: string): Promise<void> {
    await this.state.update(KEY, connectionId ? this.all().filter((e) => e.connectionId !== connectionId) : []);
    this.changed.fire();
  }
}
