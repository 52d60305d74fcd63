import { randomUUID } from 'crypto';
import * as vscode from 'vscode';
import type { PreviewResult } from '../../core/delivery/client';
import {
  checkMboxes,
  parseQaLink,
  type PreviewRequest,
  type PreviewVisitor,
  type QaMode,
} from '../../core/delivery/request';
import { SessionStore } from '../../core/delivery/session';
import { ID_EXAMPLES, profileIdProblem } from '../../core/flowInput';
import { bodyVariable } from '../../core/profiles/curl';
import { isTargetError } from '../../core/target/errors';
import { Commands } from '../../contributions';
import {
  connectionArg,
  describeConnection,
  propertyNameProblem,
  type Connection,
} from '../../services/connectionStore';
import type { HistoryEntry } from '../../services/historyStore';
import type { FeatureRegistration, Services } from '../../services';
import { askSteps, type Step } from '../../services/steps';
import { describeError } from '../../services/targetAccess';
import { changesBetween, outcomeOf, renderReport, unchangedNote, type MboxOutcome } from './report';

type IdType = 'pcId' | 'thirdPartyId' | 'marketingCloudVisitorId';

/** What "Preview Personalization…" can be given instead of asking (the Preview buttons, tests, the tree). */
export interface PreviewInput {
  connectionId?: string;
  /** A History entry (tree item or id) whose visitor, and for a preview its mboxes, are used. */
  entryId?: string;
  idType?: IdType;
  id?: string;
  mboxes?: string[];
  /** The page URL; '' for none. */
  pageUrl?: string;
  /** The name of a stored property token; '' for none. */
  property?: string;
  trace?: boolean;
  /**
   * Execute instead of prefetch: counts impressions, so it is sent only after the user confirms it in a
   * modal, every time.
   */
  execute?: boolean;
  /** An Activity QA link: the preview prefetches with its `qaMode` (execute is then ignored). */
  qaLink?: string;
  /** After an update: compare with this visitor's preview before it, when there is one. */
  compare?: boolean;
}

export interface PreviewOutcome {
  entry: HistoryEntry;
  uri?: vscode.Uri;
  /** The preview's Markdown report. */
  text?: string;
  /** The earlier preview's report when a comparison was opened. */
  before?: vscode.Uri;
  /** What changed per mbox, when compared. */
  changes?: string[];
}

export const PREVIEW_SCHEME = 'target-preview';
const MBOXES_KEY = 'targetProfiles.preview.mboxes';
const PAGE_URL_KEY = 'targetProfiles.preview.pageUrl';
const PROPERTY_KEY = 'targetProfiles.preview.property/';
/** The variables "Copy as cURL" reads the secrets of a preview from. */
export const PROPERTY_TOKEN_VARIABLE = 'TARGET_PROPERTY_TOKEN';
export const TRACE_TOKEN_VARIABLE = 'TARGET_TRACE_TOKEN';
/** The at_preview_token of an Activity QA link, which opens the activity to whoever holds it. */
export const QA_TOKEN_VARIABLE = 'TARGET_QA_TOKEN';

/** The reports of previews, as read-only Markdown documents. Memory only: a report may hold what a visitor sees. */
class PreviewDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? vscode.l10n.t('This preview is no longer available; run it again.');
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** The last preview of a visitor on a connection, for the comparison after an update. */
interface LastPreview {
  uri: vscode.Uri;
  outcomes: MboxOutcome[];
  /** What it asked, so the preview after an update asks the same. */
  asked: NonNullable<HistoryEntry['preview']>;
  /** The Activity QA link it used (memory only, like the report). */
  qaLink?: string;
}

function previewKey(connectionId: string, idType: IdType, id: string): string {
  return JSON.stringify([connectionId, idType, id]);
}

/** Personalization preview: the command, its reports and comparisons, and the property and trace tokens. */
export const register: FeatureRegistration = (context, services) => {
  const documents = new PreviewDocuments();
  const sessions = new SessionStore();
  const last = new Map<string, LastPreview>();
  let counter = 0;
  const preview = new Previewer(context, services, documents, sessions, last, () => ++counter);
  return vscode.Disposable.from(
    documents,
    vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, documents),
    vscode.commands.registerCommand(Commands.previewPersonalization, (arg?: unknown) => preview.run(arg)),
    vscode.commands.registerCommand(Commands.setPropertyToken, (arg?: unknown) => setPropertyToken(services, arg)),
    vscode.commands.registerCommand(Commands.setTraceToken, (arg?: unknown) => setTraceToken(services, arg)),
  );
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function visitorOf(idType: IdType, id: string): PreviewVisitor {
  if (idType === 'pcId') return { pcId: id };
  if (idType === 'thirdPartyId') return { thirdPartyId: id };
  return { marketingCloudVisitorId: id };
}

/** Mbox names as typed: separated by commas, blanks dropped. */
export function parseMboxes(text: string): string[] {
  return text
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
}

function mboxProblem(text: string): string | undefined {
  try {
    checkMboxes(parseMboxes(text));
    return undefined;
  } catch (error) {
    return describeError(error);
  }
}

function pageUrlProblem(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  try {
    const url = new URL(text.trim());
    if (url.protocol === 'http:' || url.protocol === 'https:') return undefined;
  } catch {
    // reported below
  }
  return vscode.l10n.t('Give the page as an http(s) URL, e.g. https://www.example.com/home, or leave it empty.');
}

/** What is wrong with a pasted Activity QA link, as the input box shows it; undefined when it can be used. */
function qaLinkProblem(text: string): string | undefined {
  if (text.trim() === '') {
    return vscode.l10n.t("Paste the Activity QA link (Target: the activity's Activity QA page, Copy link).");
  }
  try {
    parseQaLink(text);
    return undefined;
  } catch (error) {
    return describeError(error);
  }
}

/** The QA mode without its token: what the report and History may say about it. */
function qaWithoutToken(qa: QaMode): Omit<QaMode, 'token'> {
  const { token: _token, ...rest } = qa;
  return rest;
}

function safePath(text: string): string {
  return text.replace(/[/\\?#%]/g, '_');
}

/** The body as History keeps it: each secret replaced by the placeholder of the variable "Copy as cURL" reads. */
function redactedBody(body: PreviewResult['body']): { body: string; variables: string[] } {
  const copy = JSON.parse(JSON.stringify(body)) as PreviewResult['body'];
  const variables: string[] = [];
  if (copy.property) {
    copy.property.token = bodyVariable(PROPERTY_TOKEN_VARIABLE);
    variables.push(PROPERTY_TOKEN_VARIABLE);
  }
  if (copy.trace) {
    copy.trace.authorizationToken = bodyVariable(TRACE_TOKEN_VARIABLE);
    variables.push(TRACE_TOKEN_VARIABLE);
  }
  if (copy.qaMode) {
    copy.qaMode.token = bodyVariable(QA_TOKEN_VARIABLE);
    variables.push(QA_TOKEN_VARIABLE);
  }
  return { body: JSON.stringify(copy), variables };
}

/**
 * How Target is asked: prefetch (nothing counted), execute (impressions counted, confirmed first), or
 * prefetch with an Activity QA link.
 */
type PreviewMode = 'prefetch' | 'execute' | 'qa';

interface Answers {
  connection?: Connection;
  idType?: IdType;
  id?: string;
  mboxes?: string;
  pageUrl?: string;
  property?: string;
  trace?: boolean;
  mode?: PreviewMode;
  /** The Activity QA link, when the mode is 'qa'. */
  qaLink?: string;
}

class Previewer {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly services: Services,
    private readonly documents: PreviewDocuments,
    private readonly sessions: SessionStore,
    private readonly last: Map<string, LastPreview>,
    private readonly nextNumber: () => number,
  ) {}

  /**
   * Activity QA links hold a token, so they are kept in memory only: the link of each preview that used
   * one (to run it again) and the last one per connection (to offer it again).
   */
  private readonly qaLinks = new Map<string, string>();
  private readonly lastQaLink = new Map<string, string>();

  /**
   * The connection the argument names (or the entry it names was on), the only one there is, or undefined
   * when several are there to pick from (null: none at all, with a warning).
   */
  private connection(arg: unknown): Connection | null | undefined {
    const { connections } = this.services;
    const get = connections.get.bind(connections);
    const entryId = typeof arg === 'string' ? arg : isObject(arg) ? (arg as PreviewInput).entryId : undefined;
    const fromEntry = entryId ? this.services.history.get(entryId)?.connectionId : undefined;
    const named = (fromEntry ? get(fromEntry) : undefined) ?? connectionArg(arg, get);
    if (named) return named;
    const list = connections.list();
    if (list.length > 1) return undefined;
    const connection = list[0] ?? connections.active();
    if (!connection) {
      const add = vscode.l10n.t('Add Connection');
      void vscode.window.showWarningMessage(vscode.l10n.t('Add a Target connection first.'), add).then((a) => {
        if (a === add) void vscode.commands.executeCommand(Commands.addConnection);
      });
    }
    return connection ?? null;
  }

  /** What the argument already answers: a PreviewInput, a History entry id, or a tree item of an entry. */
  private given(arg: unknown): Answers & { compare: boolean } {
    const input: PreviewInput = typeof arg === 'string' ? { entryId: arg } : isObject(arg) ? (arg as PreviewInput) : {};
    const entry = input.entryId ? this.services.history.get(input.entryId) : undefined;
    const remembered = input.compare ? this.rememberedMboxes() : undefined;
    const fromEntry = entry?.preview;
    const mboxes = input.mboxes ?? fromEntry?.mboxes ?? remembered;
    const pageUrl = input.pageUrl ?? fromEntry?.pageUrl ?? (input.compare ? this.rememberedPageUrl() : undefined);
    return {
      idType: input.idType ?? entry?.profileId?.type,
      id: input.id ?? entry?.profileId?.value,
      ...(mboxes ? { mboxes: mboxes.join(', ') } : {}),
      // A preview run again asks nothing: it had no page URL when History has none.
      ...(pageUrl !== undefined ? { pageUrl } : input.mboxes || fromEntry ? { pageUrl: '' } : {}),
      // Given mboxes (or a preview to run again) mean nothing more is asked: no property, no trace unless given.
      ...(input.property !== undefined
        ? { property: input.property }
        : input.mboxes || fromEntry
          ? { property: fromEntry?.property ?? '' }
          : {}),
      ...(input.trace !== undefined
        ? { trace: input.trace }
        : input.mboxes || fromEntry
          ? { trace: fromEntry?.trace === true }
          : {}),
      ...this.givenMode(input, entry),
      compare: input.compare === true,
    };
  }

  /**
   * The mode given, or that of the preview run again. Given mboxes without a mode mean a prefetch. An
   * execute run again is confirmed again (see run); a QA preview run again reuses its link while this
   * window keeps it, and asks for it otherwise.
   */
  private givenMode(input: PreviewInput, entry: HistoryEntry | undefined): Pick<Answers, 'mode' | 'qaLink'> {
    if (input.qaLink !== undefined) return { mode: 'qa', qaLink: input.qaLink };
    if (input.execute !== undefined) return { mode: input.execute ? 'execute' : 'prefetch' };
    const before = entry?.preview;
    if (before?.qa) {
      const qaLink = this.qaLinks.get(entry!.id);
      return { mode: 'qa', ...(qaLink !== undefined ? { qaLink } : {}) };
    }
    if (before?.execute) return { mode: 'execute' };
    return input.mboxes || before ? { mode: 'prefetch' } : {};
  }

  private rememberedMboxes(): string[] | undefined {
    const value = this.context.workspaceState.get<string[]>(MBOXES_KEY);
    return value?.length ? value : undefined;
  }

  private rememberedPageUrl(): string | undefined {
    return this.context.workspaceState.get<string>(PAGE_URL_KEY);
  }

  private steps(withTrace: ReadonlySet<string>): Step<Answers>[] {
    const types: IdType[] = ['thirdPartyId', 'pcId', 'marketingCloudVisitorId'];
    const { connections } = this.services;
    return [
      {
        kind: 'pick',
        id: 'connection',
        known: (s) => (s.connection ? s : undefined),
        placeholder: () => vscode.l10n.t('Preview on which connection?'),
        items: () => {
          const active = connections.active();
          const list = connections.list();
          return [...list.filter((c) => c.id === active?.id), ...list.filter((c) => c.id !== active?.id)].map((c) => ({
            label: c.name,
            description: describeConnection(c),
            detail: c.id === active?.id ? vscode.l10n.t('Active') : undefined,
            value: c,
          }));
        },
        selected: (s) => s.connection,
        // Property tokens belong to a connection: one picked for another (after Back) is asked again.
        apply: (s, connection: Connection) =>
          !s.connection || connection.id === s.connection.id
            ? { ...s, connection }
            : { ...s, connection, property: undefined },
      },
      {
        kind: 'pick',
        id: 'idType',
        known: (s) => (s.idType ? s : undefined),
        placeholder: () => vscode.l10n.t('Which id identifies the visitor?'),
        items: () => types.map((t) => ({ label: t, value: t })),
        selected: (s) => s.idType,
        apply: (s, idType: IdType) => (idType === s.idType ? s : { ...s, idType, id: undefined }),
      },
      {
        kind: 'input',
        id: 'id',
        known: (s) => (s.id !== undefined ? s : undefined),
        prompt: (s) =>
          vscode.l10n.t('{0}, e.g. {1}', s.idType ?? 'thirdPartyId', ID_EXAMPLES[s.idType ?? 'thirdPartyId']),
        value: (s) => s.id ?? '',
        validate: (v, s) => profileIdProblem(s.idType ?? 'thirdPartyId', v),
        apply: (s, v) => ({ ...s, id: v.trim() }),
      },
      {
        kind: 'input',
        id: 'mboxes',
        known: (s) => (s.mboxes !== undefined ? s : undefined),
        prompt: () => vscode.l10n.t('The mboxes to preview, separated by commas, e.g. home-hero, offers'),
        value: (s) => s.mboxes ?? this.rememberedMboxes()?.join(', ') ?? '',
        validate: (v) => mboxProblem(v),
        apply: (s, v) => ({ ...s, mboxes: v }),
      },
      {
        kind: 'input',
        id: 'pageUrl',
        known: (s) => (s.pageUrl !== undefined ? s : undefined),
        prompt: () => vscode.l10n.t('The page the visitor is on (optional), e.g. https://www.example.com/home'),
        value: (s) => s.pageUrl ?? this.rememberedPageUrl() ?? '',
        validate: (v) => pageUrlProblem(v),
        apply: (s, v) => ({ ...s, pageUrl: v.trim() }),
      },
      {
        kind: 'pick',
        id: 'property',
        known: (s) => (s.property !== undefined ? s : undefined),
        placeholder: () => vscode.l10n.t('Which property token (Target Premium workspace)?'),
        items: (s) => {
          const properties = s.connection?.properties ?? [];
          const lastProperty = s.connection
            ? this.context.workspaceState.get<string>(PROPERTY_KEY + s.connection.id)
            : undefined;
          const names = [
            ...properties.filter((n) => n === lastProperty),
            ...properties.filter((n) => n !== lastProperty),
          ];
          const none = { label: vscode.l10n.t('No property token'), value: '' };
          return lastProperty === '' || lastProperty === undefined
            ? [none, ...names.map((n) => ({ label: n, value: n }))]
            : [...names.map((n) => ({ label: n, value: n })), none];
        },
        selected: (s) => s.property,
        apply: (s, property: string) => ({ ...s, property }),
      },
      {
        kind: 'pick',
        id: 'trace',
        known: (s) => (s.trace !== undefined ? s : undefined),
        placeholder: () => vscode.l10n.t('Ask Target for a trace of its decisions?'),
        items: (s) =>
          s.connection && withTrace.has(s.connection.id)
            ? [
                { label: vscode.l10n.t('Without trace'), value: false },
                { label: vscode.l10n.t('With trace'), value: true },
              ]
            : [{ label: vscode.l10n.t('Without trace'), value: false }],
        selected: (s) => s.trace,
        apply: (s, trace: boolean) => ({ ...s, trace }),
      },
      {
        kind: 'pick',
        id: 'mode',
        known: (s) => (s.mode !== undefined ? s : undefined),
        placeholder: () => vscode.l10n.t('How should Target decide? A prefetch counts nothing.'),
        items: () => [
          {
            label: vscode.l10n.t('Prefetch (nothing counted)'),
            description: vscode.l10n.t('what the visitor would get, without a visit'),
            value: 'prefetch',
          },
          {
            label: vscode.l10n.t('Execute (counts impressions)…'),
            description: vscode.l10n.t('a real visit, for Automated Personalization and Auto-Target; asks first'),
            value: 'execute',
          },
          {
            label: vscode.l10n.t('Use an Activity QA link…'),
            description: vscode.l10n.t('an activity and experience as its QA link shows them, inactive ones too'),
            value: 'qa',
          },
        ],
        selected: (s) => s.mode,
        apply: (s, mode: PreviewMode) => ({ ...s, mode }),
      },
      {
        kind: 'input',
        id: 'qaLink',
        skip: (s) => s.mode !== 'qa',
        known: (s) => (s.qaLink !== undefined && qaLinkProblem(s.qaLink) === undefined ? s : undefined),
        prompt: () =>
          vscode.l10n.t(
            "The Activity QA link (Target: the activity's Activity QA page, Copy link). It is kept only while this window is open.",
          ),
        placeholder: () => 'https://www.example.com/home?at_preview_token=…&at_preview_index=1_1',
        value: (s) => s.qaLink ?? (s.connection ? this.lastQaLink.get(s.connection.id) : undefined) ?? '',
        validate: (v) => qaLinkProblem(v),
        apply: (s, v) => ({ ...s, qaLink: v.trim() }),
      },
    ];
  }

  /** The modal before an execute: it counts impressions and feeds the models. Nothing is sent unless confirmed. */
  private async confirmExecute(connection: Connection, visitor: string, mboxes: string[]): Promise<boolean> {
    const execute = vscode.l10n.t('Execute');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('Execute the preview of {0} on {1} ({2})?', visitor, connection.name, mboxes.join(', ')),
      {
        modal: true,
        detail: vscode.l10n.t(
          'An execute is a visit: Target counts an impression for each mbox that serves something, and Automated Personalization and Auto-Target activities learn from it, so their reports change and so may what this visitor gets next. A prefetch counts nothing.',
        ),
      },
      execute,
    );
    return answer === execute;
  }

  async run(arg: unknown): Promise<PreviewOutcome | undefined> {
    const { services } = this;
    const fixed = this.connection(arg);
    if (fixed === null) return undefined;
    const { compare, ...given } = this.given(arg);
    // After an update, the same question as the preview before it, so that the comparison is fair.
    const earlier =
      fixed && compare && given.idType && given.id !== undefined
        ? this.last.get(previewKey(fixed.id, given.idType, given.id))
        : undefined;
    if (earlier) {
      given.mboxes = earlier.asked.mboxes.join(', ');
      given.pageUrl = earlier.asked.pageUrl ?? '';
      given.property = earlier.asked.property ?? '';
      given.trace = earlier.asked.trace === true;
      // The same question, an execute confirmed again; a QA link the window no longer has is asked for.
      given.mode = earlier.asked.qa ? 'qa' : earlier.asked.execute ? 'execute' : 'prefetch';
      given.qaLink = earlier.asked.qa ? earlier.qaLink : undefined;
    } else if (fixed && compare) {
      given.property ??= this.context.workspaceState.get<string>(PROPERTY_KEY + fixed.id) ?? '';
      given.trace ??= false;
      given.mode ??= 'prefetch';
    }
    // The trace question is asked only on a connection with a trace token: read them before asking.
    const candidates = fixed ? [fixed] : services.connections.list();
    const withTrace = new Set<string>();
    for (const c of candidates) if (await services.connections.traceToken(c.id)) withTrace.add(c.id);
    const answers = await askSteps<Answers>(
      fixed ? vscode.l10n.t('Preview Personalization on {0}', fixed.name) : vscode.l10n.t('Preview Personalization'),
      this.steps(withTrace),
      { ...given, ...(fixed ? { connection: fixed } : {}) },
    );
    const connection = answers?.connection;
    if (!connection || !answers?.idType || answers.id === undefined || answers.mboxes === undefined) return undefined;
    const idProblem = profileIdProblem(answers.idType, answers.id);
    const problem = idProblem ?? mboxProblem(answers.mboxes) ?? pageUrlProblem(answers.pageUrl ?? '');
    if (problem) {
      void vscode.window.showErrorMessage(problem);
      return undefined;
    }
    const mboxes = parseMboxes(answers.mboxes);
    const pageUrl = answers.pageUrl?.trim() || undefined;
    const property = answers.property || undefined;
    await this.context.workspaceState.update(MBOXES_KEY, mboxes);
    await this.context.workspaceState.update(PAGE_URL_KEY, pageUrl ?? '');
    await this.context.workspaceState.update(PROPERTY_KEY + connection.id, property ?? '');

    const propertyToken = property ? await services.connections.propertyToken(connection.id, property) : undefined;
    if (property && !propertyToken) {
      void vscode.window.showErrorMessage(
        vscode.l10n.t('No property token is stored under "{0}" for {1}: set it first.', property, connection.name),
      );
      return undefined;
    }
    const traceToken = answers.trace ? await services.connections.traceToken(connection.id) : undefined;
    if (answers.trace && !traceToken) {
      void vscode.window.showErrorMessage(
        vscode.l10n.t('No trace token is stored for {0}: set it first.', connection.name),
      );
      return undefined;
    }
    const visitorText = `${answers.idType} ${answers.id}`;
    const execute = answers.mode === 'execute';
    let qaMode: QaMode | undefined;
    if (answers.mode === 'qa') {
      try {
        qaMode = parseQaLink(answers.qaLink ?? '');
      } catch (error) {
        void vscode.window.showErrorMessage(describeError(error));
        return undefined;
      }
      this.lastQaLink.set(connection.id, answers.qaLink!.trim());
    }
    // Every execute is confirmed, a preview run again or compared after an update too.
    if (execute && !(await this.confirmExecute(connection, visitorText, mboxes))) {
      services.log.info(`preview ${visitorText} on ${connection.name}: execute not confirmed, nothing sent`);
      return undefined;
    }
    if (!(await services.targets.mayConnect(connection, vscode.l10n.t('a personalization preview')))) return undefined;

    const request: PreviewRequest = {
      visitor: visitorOf(answers.idType, answers.id),
      mboxes,
      requestId: randomUUID(),
      ...(pageUrl ? { pageUrl } : {}),
      ...(propertyToken ? { propertyToken } : {}),
      ...(traceToken ? { traceToken } : {}),
      ...(execute ? { execute: true } : {}),
      ...(qaMode ? { qaMode } : {}),
    };
    const summary = `${visitorText}: ${mboxes.join(', ')}`;
    const asked = {
      mboxes,
      ...(pageUrl ? { pageUrl } : {}),
      ...(property ? { property } : {}),
      trace: !!traceToken,
      ...(execute ? { execute: true } : {}),
      ...(qaMode ? { qa: true } : {}),
    };
    const client = services.targets.deliveryClientFor(connection, this.sessions);
    let historyRequest: HistoryEntry['request'];
    try {
      const prepared = client.prepare(request);
      historyRequest = {
        method: 'POST',
        url: prepared.url.toString(),
        contentType: 'application/json',
        authenticated: false,
        ...redactedBody(prepared.body),
      };
    } catch (error) {
      void client.close();
      void vscode.window.showErrorMessage(describeError(error));
      return undefined;
    }
    const base = {
      connectionId: connection.id,
      kind: 'preview' as const,
      summary,
      request: historyRequest,
      profileId: { type: answers.idType, value: answers.id },
      preview: asked,
    };
    let result: PreviewResult;
    try {
      result = await services.targets.withProgress(
        vscode.l10n.t('Previewing personalization for {0}', answers.id),
        (signal) => client.preview(request, { signal }),
      );
    } catch (error) {
      const cancelled = isTargetError(error) && error.kind === 'cancelled';
      const message = cancelled ? vscode.l10n.t('Cancelled') : describeError(error);
      const entry = await services.history.add({
        ...base,
        ok: false,
        ...(cancelled ? { cancelled: true } : {}),
        result: message,
      });
      // Run again after a failure, the preview uses the same link.
      if (qaMode) this.qaLinks.set(entry.id, answers.qaLink!.trim());
      if (cancelled) services.log.info(`preview ${summary} on ${connection.name} cancelled`);
      else {
        services.log.error(`preview ${summary} on ${connection.name} failed: ${message}`);
        void vscode.window.showErrorMessage(
          vscode.l10n.t('Personalization preview for {0} failed: {1}', answers.id, message),
        );
      }
      return { entry };
    } finally {
      void client.close();
    }

    const outcomes = result.mboxes.map(outcomeOf);
    const key = previewKey(connection.id, answers.idType, answers.id);
    const before = compare ? this.last.get(key) : undefined;
    const changes = before ? changesBetween(before.outcomes, outcomes) : undefined;
    const served = (o: MboxOutcome) =>
      o.served ? `${o.name} → ${o.experience ?? o.offer ?? o.activity ?? '?'}` : vscode.l10n.t('{0} → nothing', o.name);
    const entry = await services.history.add({ ...base, ok: true, result: outcomes.map(served).join('; ') });
    if (qaMode) this.qaLinks.set(entry.id, answers.qaLink!.trim());
    services.log.info(
      `preview ${summary} on ${connection.name} (${result.mode}${qaMode ? ', QA mode' : ''}): ${entry.result} (requestId ${result.requestId})`,
    );

    const uri = vscode.Uri.from({
      scheme: PREVIEW_SCHEME,
      path: `/${safePath(connection.name)}/${safePath(visitorText)} (${this.nextNumber()}).md`,
    });
    const text = renderReport(
      result,
      {
        connectionName: connection.name,
        clientCode: connection.clientCode,
        visitor: visitorText,
        ...(pageUrl ? { pageUrl } : {}),
        ...(property ? { property } : {}),
        trace: asked.trace,
        ...(qaMode ? { qa: qaWithoutToken(qaMode) } : {}),
        time: entry.time,
      },
      changes,
    );
    this.documents.set(uri, text);
    this.last.set(key, { uri, outcomes, asked, ...(qaMode ? { qaLink: answers.qaLink!.trim() } : {}) });
    if (before) {
      await vscode.commands.executeCommand(
        'vscode.diff',
        before.uri,
        uri,
        vscode.l10n.t('{0}: before ↔ after the update', visitorText),
        { preview: false },
      );
      if (changes!.length === 0) void vscode.window.showInformationMessage(unchangedNote());
    } else {
      const document = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(document, { preview: false });
    }
    return { entry, uri, text, ...(before ? { before: before.uri, changes } : {}) };
  }
}

/** Stores, replaces or removes a named property token of a connection. */
async function setPropertyToken(services: Services, arg: unknown): Promise<boolean> {
  const { connections } = services;
  const connection = connectionArg(arg, connections.get.bind(connections)) ?? connections.active();
  if (!connection) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Add a Target connection first.'));
    return false;
  }
  const given = isObject(arg) ? (arg as { name?: string; token?: string | null }) : {};
  type S = { name?: string; token?: string };
  const existing = connection.properties ?? [];
  const NEW = '\u0000new';
  const answers =
    typeof given.name === 'string' && given.token !== undefined
      ? { name: given.name, token: given.token ?? '' }
      : await askSteps<S & { pick?: string }>(
          vscode.l10n.t('Set Property Token for {0}', connection.name),
          [
            {
              kind: 'pick',
              id: 'pick',
              placeholder: () => vscode.l10n.t('Which property?'),
              items: () => [
                ...existing.map((n) => ({ label: n, description: vscode.l10n.t('stored'), value: n })),
                { label: vscode.l10n.t('New property…'), value: NEW },
              ],
              apply: (s, pick: string) => ({ ...s, pick, name: pick === NEW ? undefined : pick }),
            },
            {
              kind: 'input',
              id: 'name',
              skip: (s) => s.pick !== NEW,
              prompt: () => vscode.l10n.t('A name for the property, e.g. the workspace it belongs to'),
              value: (s) => s.name ?? '',
              validate: (v) => propertyNameProblem(v),
              apply: (s, v) => ({ ...s, name: v.trim() }),
            },
            {
              kind: 'input',
              id: 'token',
              password: true,
              prompt: (s) =>
                vscode.l10n.t(
                  'The property token (at_property) of "{0}"; leave empty to remove it. It is kept in SecretStorage.',
                  s.name ?? '',
                ),
              value: () => '',
              apply: (s, v) => ({ ...s, token: v }),
            },
          ],
          {},
        );
  if (!answers?.name || answers.token === undefined) return false;
  try {
    await connections.setPropertyToken(connection.id, answers.name, answers.token.trim() || null);
  } catch (error) {
    void vscode.window.showErrorMessage(describeError(error));
    return false;
  }
  services.log.info(
    `${answers.token.trim() ? 'stored' : 'removed'} the property token "${answers.name}" of ${connection.name}`,
  );
  return true;
}

/** Stores or removes (empty) the mboxTrace authorization token of a connection. */
async function setTraceToken(services: Services, arg: unknown): Promise<boolean> {
  const { connections } = services;
  const connection = connectionArg(arg, connections.get.bind(connections)) ?? connections.active();
  if (!connection) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Add a Target connection first.'));
    return false;
  }
  const given = isObject(arg) ? (arg as { token?: string | null }).token : undefined;
  const token =
    given !== undefined
      ? (given ?? '')
      : await vscode.window.showInputBox({
          title: vscode.l10n.t('Set Trace Token for {0}', connection.name),
          prompt: vscode.l10n.t(
            'The mboxTrace authorization token (Administration > Implementation > Debugger tools); leave empty to remove it. It is kept in SecretStorage.',
          ),
          password: true,
          ignoreFocusOut: true,
        });
  if (token === undefined) return false;
  await connections.setTraceToken(connection.id, token.trim() || null);
  services.log.info(`${token.trim() ? 'stored' : 'removed'} the trace token of ${connection.name}`);
  return true;
}
