/**
 * The personalization preview: one call to Target's Delivery API (docs/target-api.md#delivery-api) for one
 * visitor and a few mboxes, read into what each mbox gets.
 *
 * `new DeliveryClient(options)`, then `preview(request, { signal })` -> `PreviewResult`.
 * - POST `{base}/rest/v1/delivery?client=CODE&sessionId=ID`, the body from `buildDeliveryBody`.
 * - Prefetch unless `execute`: prefetch counts nothing; execute counts an impression (and may change what
 *   an Automated Personalization or Auto-Target activity serves next), so it is never retried after a
 *   timeout or a broken connection.
 * - No Authorization header, ever: the Delivery API needs none, and the profile API token must not
 *   travel to it. The property and trace tokens are scrubbed from logs and errors.
 * - The shared `HttpSender` (src/core/target/http.ts) gives the timeout, the retries of 503/429 and
 *   connection errors, and the request log; errors are `TargetError`s: Target's 400 with its message is
 *   `rejected`, other statuses as `errorForStatus` says.
 * - Sessions come from a `SessionStore`; the tntId and edgeHost Target returns are reused by the next call
 *   for the same visitor when the connection names no base URL of its own.
 */
import * as l10n from '@vscode/l10n';
import { randomUUID } from 'crypto';
import { ConnectionSettings, basePath, resolveBaseUrl } from '../target/connection';
import { TargetError, errorForStatus } from '../target/errors';
import {
  HttpSender,
  ProxySettings,
  RequestLogEntry,
  RetryPolicy,
  Transport,
  UndiciTransport,
  transportFor,
  scrubSecrets,
} from '../target/http';
import { Clock, systemClock } from '../target/limiter';
import { DeliveryBody, PreviewRequest, buildDeliveryBody } from './request';
import { SessionStore } from './session';

/** One option Target offers for an mbox. */
export interface PreviewOption {
  type: string;
  content: unknown;
  responseTokens: Record<string, unknown>;
}

/** What one mbox gets. activity/experience/offer are the first option's name tokens, null when absent. */
export interface MboxPreview {
  index: number;
  name: string;
  options: PreviewOption[];
  activity: string | null;
  experience: string | null;
  offer: string | null;
  /** The mbox's trace, present when a trace token was sent. */
  trace?: unknown;
}

export interface PreviewResult {
  status: number;
  requestId: string;
  edgeHost: string | null;
  /** The ids as Target returned them (`tntId`, `thirdPartyId`, ...). */
  id: Record<string, unknown>;
  mode: 'prefetch' | 'execute';
  mboxes: MboxPreview[];
  /** The sessionId sent (reused for this visitor for 30 minutes). */
  sessionId: string;
  /** The body sent, for History and Copy as cURL (tokens in it are secrets: redact before showing). */
  body: DeliveryBody;
}

export interface DeliveryClientOptions {
  /** The connection; its profile API token is never sent to the Delivery API. */
  connection: ConnectionSettings;
  /** Names the connection in the session store; the client code when not given. */
  connectionKey?: string;
  sessions?: SessionStore;
  /** Per attempt; default 30 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
  proxy?: ProxySettings;
  transport?: Transport;
  onRequest?: (entry: RequestLogEntry) => void;
  newRequestId?: () => string;
}

/** Target's own edges: the only hosts a returned `edgeHost` may send the next call to. */
const EDGE_HOST = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.tt\.omtrdc\.net$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nameToken(tokens: Record<string, unknown>, key: string): string | null {
  const value = tokens[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

/** Reads `execute.mboxes` or `prefetch.mboxes` of an answer; missing options mean nothing qualified. */
function readMboxes(section: unknown): MboxPreview[] {
  if (!isObject(section) || !Array.isArray(section.mboxes)) return [];
  return section.mboxes.filter(isObject).map((mbox): MboxPreview => {
    const options = (Array.isArray(mbox.options) ? mbox.options : []).filter(isObject).map((option): PreviewOption => ({
      type: typeof option.type === 'string' ? option.type : 'unknown',
      content: option.content ?? null,
      responseTokens: isObject(option.responseTokens) ? option.responseTokens : {},
    }));
    const tokens = options[0]?.responseTokens ?? {};
    return {
      index: typeof mbox.index === 'number' ? mbox.index : 0,
      name: typeof mbox.name === 'string' ? mbox.name : '',
      options,
      activity: nameToken(tokens, 'activity.name'),
      experience: nameToken(tokens, 'experience.name'),
      offer: nameToken(tokens, 'offer.name'),
      ...(mbox.trace !== undefined ? { trace: mbox.trace } : {}),
    };
  });
}

export class DeliveryClient {
  private readonly base: URL;
  private readonly sender: HttpSender;
  private readonly transport?: UndiciTransport;
  private readonly sessions: SessionStore;
  private readonly secrets: string[] = [];

  constructor(private readonly options: DeliveryClientOptions) {
    this.base = resolveBaseUrl(options.connection);
    this.sessions = options.sessions ?? new SessionStore(options.clock ?? systemClock);
    const { send, owned } = transportFor(options.transport, options.proxy);
    this.transport = owned;
    this.sender = new HttpSender({
      transport: send,
      clock: options.clock,
      retry: options.retry,
      onRequest: options.onRequest,
      secrets: () => this.secrets,
    });
  }

  async close(): Promise<void> {
    await this.transport?.close();
  }

  private get connectionKey(): string {
    return this.options.connectionKey ?? this.options.connection.clientCode;
  }

  /** Where the call goes: the base URL, or the edge that served this visitor last when none was configured. */
  private origin(edgeHost: string | undefined): { origin: string; path: string } {
    if (this.options.connection.baseUrl === undefined && edgeHost && EDGE_HOST.test(edgeHost.toLowerCase())) {
      return { origin: `https://${edgeHost.toLowerCase()}`, path: '' };
    }
    return { origin: this.base.origin, path: basePath(this.base) };
  }

  /** The URL, body and session a preview would use, checked, without sending it. */
  prepare(request: PreviewRequest): { url: URL; body: DeliveryBody; sessionId: string } {
    const requestId = request.requestId ?? (this.options.newRequestId ?? randomUUID)();
    // Checked before a session is opened, so bad input leaves no trace.
    buildDeliveryBody(request, requestId);
    const session = this.sessions.session(this.connectionKey, request.visitor);
    const sticky = this.options.connection.baseUrl === undefined;
    const body = buildDeliveryBody(request, requestId, sticky ? session.tntId : undefined);
    const { origin, path } = this.origin(session.edgeHost);
    const { clientCode } = this.options.connection;
    const url = new URL(
      `${origin}${path}/rest/v1/delivery?client=${clientCode}&sessionId=${encodeURIComponent(session.sessionId)}`,
    );
    return { url, body, sessionId: session.sessionId };
  }

  async preview(request: PreviewRequest, options: { signal?: AbortSignal } = {}): Promise<PreviewResult> {
    const { url, body, sessionId } = this.prepare(request);
    for (const secret of [request.propertyToken, request.traceToken, request.qaMode?.token]) {
      if (secret && !this.secrets.includes(secret)) this.secrets.push(secret);
    }
    const what = l10n.t('the personalization preview');
    const res = await this.sender.send(
      {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-request-id': body.requestId },
        body: JSON.stringify(body),
        // A prefetch counts nothing, so sending it twice is harmless; an execute counts an impression.
        idempotent: !request.execute,
        timeoutMs: this.options.timeoutMs ?? 30_000,
        what,
      },
      options.signal,
    );
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      json = undefined;
    }
    const serverMessage = isObject(json) && typeof json.message === 'string' ? this.scrub(json.message) : undefined;
    if (res.status === 400) {
      throw new TargetError(
        'rejected',
        serverMessage
          ? l10n.t('Target refused the personalization preview (HTTP 400): {0}', serverMessage)
          : l10n.t('Target refused the personalization preview (HTTP 400).'),
        { status: 400, serverMessage },
      );
    }
    if (res.status === 401 || res.status === 403) {
      // The Delivery API takes no token, so errorForStatus's advice about the profile token would mislead:
      // this comes from a proxy, or from Target refusing the trace token.
      const http = String(res.status);
      throw new TargetError(
        'server',
        serverMessage
          ? l10n.t('Target answered HTTP {0} for {1}: {2}', http, what, serverMessage)
          : l10n.t('Target answered HTTP {0} for {1}', http, what),
        { status: res.status, serverMessage },
      );
    }
    if (res.status < 200 || res.status >= 300) throw errorForStatus(res.status, what, serverMessage);
    if (!isObject(json)) {
      throw new TargetError(
        'server',
        l10n.t("Target's answer to {0} (HTTP {1}) was not the Delivery API's JSON.", what, String(res.status)),
        { status: res.status },
      );
    }
    const id = isObject(json.id) ? json.id : {};
    const edgeHost = typeof json.edgeHost === 'string' ? json.edgeHost : null;
    this.sessions.remember(this.connectionKey, request.visitor, {
      tntId: typeof id.tntId === 'string' ? id.tntId : undefined,
      edgeHost: edgeHost ?? undefined,
    });
    const section = request.execute ? json.execute : json.prefetch;
    return {
      status: res.status,
      requestId: typeof json.requestId === 'string' ? json.requestId : body.requestId,
      edgeHost,
      id,
      mode: request.execute ? 'execute' : 'prefetch',
      mboxes: this.inRequestOrder(request.mboxes, readMboxes(section)),
      sessionId,
      body,
    };
  }

  /** One entry per requested mbox, in the order asked; an mbox Target left out got nothing. */
  private inRequestOrder(names: readonly string[], got: MboxPreview[]): MboxPreview[] {
    return names.map((name, i) => {
      const index = i + 1;
      return (
        got.find((m) => m.index === index) ??
        got.find((m) => m.name === name) ?? {
          index,
          name,
          options: [],
          activity: null,
          experience: null,
          offer: null,
        }
      );
    });
  }

  private scrub(text: string): string {
    return scrubSecrets(text, this.secrets);
  }
}
