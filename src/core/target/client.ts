/**
 * The Adobe Target Profile API client (the API as described in docs/target-api.md). No editor dependency: the
 * extension, the command line and the tests all use it as is.
 *
 * Public API
 * ----------
 * `new TargetClient(options: TargetClientOptions)`
 * - `updateProfile(update: ProfileUpdate, options?: CallOptions): Promise<ProfileUpdateResult>`
 *   Single profile update (docs/target-api.md#single-profile-update) by `pcId` (sent as `mboxPC`) or
 *   `thirdPartyId` (`mbox3rdPartyId`). Values are sent as typed, UTF-8 percent-encoded; GET while the
 *   URL fits in 8 KB, else POST with a form body; refused above 60 KB before anything is sent.
 *   `success: false` is a result, not an error.
 * - `fetchProfile(id: ProfileLookup, options?: CallOptions): Promise<FetchResult>`
 *   Profile fetch (docs/target-api.md#profile-fetch) by pcId, thirdPartyId or marketingCloudVisitorId;
 *   the documented 404 becomes `{ found: false, message }`.
 * - `submitBatch(path: string, options?: SubmitOptions): Promise<BatchUpload[]>`
 *   Bulk update (docs/target-api.md#bulk-profile-update) to the connection's v1 or v2 endpoint, streamed
 *   from disk, split into several uploads when over 50 MB / 500,000 rows. Throws `BatchSubmitError`
 *   (which lists the uploads already accepted) on failure; an upload whose connection broke midway is
 *   reported `maybeAccepted`, never resent.
 * - `batchStatus(url: string, options?: StatusOptions): Promise<BatchStatus>`
 *   GETs the `<batchStatus>` URL as returned (https; Target's documented `http://mboxedgeNN.tt.omtrdc.net`
 *   URLs are upgraded to https; plain http only on loopback), with `details` adding `showDetails=true`.
 * - `waitForBatch(url: string, options?: WaitOptions): Promise<BatchStatus>`
 *   Polls with backoff until the batch is `complete` or `stuck`.
 * - `close(): Promise<void>` releases proxy connections.
 * Every call takes an AbortSignal, has a timeout, retries 503/429 (honouring Retry-After) and, when
 * safe, connection errors; bulk and status calls share a 50-per-minute limiter per client code.
 * Answers are read up to 1 MiB; XML with a DTD is refused, never expanded; the token is scrubbed from
 * any server text that reaches an error, a result or the request log.
 * Errors are `TargetError`s (errors.ts) whose `kind` says what went wrong.
 * With a `tokenProvider` (Developer Console credentials, src/core/auth) the bearer comes from it, and a
 * call refused with 401/403 gets a fresh token and is sent once more.
 */
import * as l10n from '@vscode/l10n';
import { ConnectionSettings, basePath, checkSafeUrl, isLoopbackHost, resolveBaseUrl } from './connection';
import { TargetError, errorForStatus } from './errors';
import {
  HttpRequest,
  HttpResponse,
  HttpSender,
  ProxySettings,
  RequestLogEntry,
  RetryPolicy,
  Transport,
  UndiciTransport,
  transportFor,
  scrubSecrets,
} from './http';
import { count } from '../displayLanguage';
import { Clock, RateLimiter, systemClock } from './limiter';
import { PlanOptions, UploadPlan, planUploads, readUploadPart } from './split';
import {
  BatchStatus,
  hasXmlDeclarations,
  parseBatchStatus,
  parseSubmitAnswer,
  parseUpdateAnswer,
  readTag,
} from './xml';

/** Target's size caps for a single update (docs/target-api.md#single-profile-update). */
export const MAX_GET_URL_BYTES = 8 * 1024;
export const MAX_POST_BODY_BYTES = 60 * 1024;

/** Who a single update is for. */
type ProfileId = { pcId: string } | { thirdPartyId: string };
/** Who a fetch is for: the Experience Cloud ID works for fetches only. */
export type ProfileLookup = ProfileId | { marketingCloudVisitorId: string };

export interface ProfileUpdate {
  id: ProfileId;
  /** Attribute names without `profile.` (a typed prefix is dropped) and values as typed. */
  attributes: Record<string, string> | ReadonlyArray<readonly [string, string]>;
}

export interface ProfileUpdateResult {
  method: 'GET' | 'POST';
  status: number;
  success: boolean;
  message: string;
  pcId?: string;
}

export type FetchResult =
  { found: true; status: number; profile: Record<string, unknown> } | { found: false; status: number; message: string };

/** One accepted upload of a batch file. */
export interface BatchUpload {
  rows: number;
  bytes: number;
  /** The URL to poll, as Target returned it. */
  batchStatus: string;
  message: string;
}

/** A batch submission that stopped; `accepted` lists the uploads Target took before it. */
export class BatchSubmitError extends TargetError {
  constructor(
    cause: TargetError,
    readonly accepted: BatchUpload[],
    /** 0-based index of the upload that failed, and how many the file needed. */
    readonly failedUpload: number,
    readonly uploads: number,
  ) {
    super(
      cause.kind,
      uploads > 1
        ? l10n.t('Upload {0} of {1}: {2}', count(failedUpload + 1), count(uploads), cause.message)
        : cause.message,
      {
        status: cause.status,
        maybeAccepted: cause.maybeAccepted,
        serverMessage: cause.serverMessage,
        cause,
      },
    );
    this.name = 'BatchSubmitError';
  }
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface SubmitOptions extends CallOptions, Pick<PlanOptions, 'maxBytes' | 'maxRows'> {
  /** Called as the file is planned and each upload finishes. */
  onProgress?: (event: { phase: 'planning' | 'uploading'; done: number; total: number }) => void;
}

export interface StatusOptions extends CallOptions {
  /** Adds `showDetails=true`: the counters, and per-profile failures for v2. */
  details?: boolean;
}

export interface WaitOptions extends StatusOptions {
  /** First pause between polls; it doubles up to `maxPollDelayMs`. */
  pollDelayMs?: number;
  maxPollDelayMs?: number;
  onPoll?: (status: BatchStatus) => void;
}

export interface TargetClientOptions {
  connection: ConnectionSettings;
  /** Per attempt, for everything but uploads. Default 30 s. */
  timeoutMs?: number;
  /** Per upload attempt. Default 15 minutes (50 MB on a slow link). */
  uploadTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Share one limiter between clients of the same account; defaults to one per process. */
  limiter?: RateLimiter;
  clock?: Clock;
  /** Explicit proxy (the editor's setting) and the environment to read `https_proxy` etc. from. */
  proxy?: ProxySettings;
  /** Replaces the undici transport (unit tests). */
  transport?: Transport;
  /** Receives every attempt with the URL and headers redacted: for the editor's log channel. */
  onRequest?: (entry: RequestLogEntry) => void;
  /**
   * Where the bearer comes from instead of `connection.token` (src/core/auth's ProfileTokenProvider).
   * A 401/403 invalidates the token and the call is sent once more with a new one.
   */
  tokenProvider?: TokenSource;
}

/** A source of profile API tokens, e.g. `ProfileTokenProvider`. */
export interface TokenSource {
  token(signal?: AbortSignal): Promise<string>;
  /** Forget the token (`token`: only if it is still the current one). */
  invalidate(token?: string): void;
  /** Further secrets to scrub from logs and errors (the client secret, IMS tokens). */
  readonly secrets?: readonly string[];
}

const processLimiter = new RateLimiter();

/**
 * Percent-encodes like encodeURIComponent, turning a lone surrogate into a usage error whose message
 * `invalid` gives (in the display language).
 */
function encode(text: string, invalid: () => string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    throw new TargetError('usage', invalid());
  }
}

/** The message for an id (`id` is its parameter name: id, pcId, thirdPartyId...) holding a lone surrogate. */
function invalidId(id: string): () => string {
  return () => l10n.t('The {0} contains text that is not valid Unicode (a lone surrogate).', id);
}

/**
 * The checks every profile id passes before it is sent (the command line and the editor's prompts alike).
 * `what` is the id's parameter name (pcId, thirdPartyId, marketingCloudVisitorId), never translated.
 */
export function checkId(value: string, what: string): void {
  if (value === '') throw new TargetError('usage', l10n.t('The {0} is empty.', what));
  // `.` and `..` would be read as path steps even when percent-encoded, changing the path.
  if (value === '.' || value === '..') throw new TargetError('usage', l10n.t("'{0}' is not a valid {1}.", value, what));
  // Adobe's docs: a thirdPartyId (mbox3rdPartyId) may not contain `+` or `/` (docs/target-api.md#identifiers).
  if (what === 'thirdPartyId' && /[+/]/.test(value)) {
    throw new TargetError(
      'usage',
      l10n.t("A thirdPartyId may not contain '+' or '/' (Adobe Target does not allow them)."),
    );
  }
}

/** An HTML page (a proxy's, a login or an error page) where Target's XML or JSON was expected. */
function isHtmlPage(body: string): boolean {
  return /^(?:<!doctype\s+html|<html[\s>])/i.test(body.trim());
}

/**
 * What an answer we could not read looked like, for the error message: its kind, and a short excerpt
 * with control characters shown as escapes. Callers scrub the token out of it.
 */
function describeAnswer(body: string): string {
  const text = body.trim();
  if (text === '') return l10n.t('an empty answer');
  const excerpt = JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}...` : text);
  if (isHtmlPage(text)) return l10n.t("an HTML page, not Target's XML (a proxy, login or error page?): {0}", excerpt);
  if (/^[{[]/.test(text)) return l10n.t('JSON: {0}', excerpt);
  if (text.startsWith('<')) return l10n.t('XML of another shape: {0}', excerpt);
  return l10n.t('text: {0}', excerpt);
}

/** The calls as messages name them ("for {0}", "during {0}"), in the display language. */
const callName = {
  update: () => l10n.t('the profile update'),
  fetch: () => l10n.t('the profile fetch'),
  upload: () => l10n.t('the batch upload'),
  status: () => l10n.t('the batch status'),
};

/** The URL of a profile look-up (GET, Bearer token): by pcId, thirdPartyId or Experience Cloud ID. */
export function profileFetchUrl(base: URL, clientCode: string, id: ProfileLookup): { url: URL; path: string } {
  let segment: string;
  if ('pcId' in id) {
    checkId(id.pcId, 'pcId');
    segment = encode(id.pcId, invalidId('pcId'));
  } else if ('thirdPartyId' in id) {
    checkId(id.thirdPartyId, 'thirdPartyId');
    segment = `thirdPartyId/${encode(id.thirdPartyId, invalidId('thirdPartyId'))}`;
  } else {
    checkId(id.marketingCloudVisitorId, 'marketingCloudVisitorId');
    segment = `marketingCloudVisitorId/${encode(id.marketingCloudVisitorId, invalidId('marketingCloudVisitorId'))}`;
  }
  const path = `${basePath(base)}/rest/v1/profiles/${segment}`;
  return { url: new URL(`${base.origin}${path}?client=${clientCode}`), path };
}

/** The request a single update becomes: GET, or POST when the URL would pass 8 KB. */
export function buildProfileUpdateRequest(
  base: URL,
  clientCode: string,
  update: ProfileUpdate,
): { method: 'GET' | 'POST'; url: URL; body?: string } {
  const [idParam, idValue] =
    'pcId' in update.id ? ['mboxPC', update.id.pcId] : ['mbox3rdPartyId', update.id.thirdPartyId];
  checkId(idValue, 'pcId' in update.id ? 'pcId' : 'thirdPartyId');
  const pairs = Array.isArray(update.attributes) ? update.attributes : Object.entries(update.attributes);
  if (pairs.length === 0) throw new TargetError('usage', l10n.t('Give at least one attribute to update (NAME=VALUE).'));
  const params = [`${idParam}=${encode(idValue, invalidId('id'))}`];
  for (const [rawName, value] of pairs) {
    const name = rawName.startsWith('profile.') ? rawName.slice('profile.'.length) : rawName;
    if (name === '') throw new TargetError('usage', l10n.t('An attribute name is empty.'));
    const encodedName = encode(name, () =>
      l10n.t("The attribute name '{0}' contains text that is not valid Unicode (a lone surrogate).", name),
    );
    params.push(
      `profile.${encodedName}=${encode(value, () => l10n.t("The value of '{0}' contains text that is not valid Unicode (a lone surrogate).", name))}`,
    );
  }
  const query = params.join('&');
  const path = `${basePath(base)}/m2/${clientCode}/profile/update`;
  const getUrl = `${base.origin}${path}?${query}`;
  if (getUrl.length <= MAX_GET_URL_BYTES) return { method: 'GET', url: new URL(getUrl) };
  // Target's docs give no POST body format; we assume the same parameters form-encoded
  // (docs/target-api.md#single-profile-update).
  if (query.length > MAX_POST_BODY_BYTES) {
    throw new TargetError(
      'too-large',
      l10n.t(
        'This update is {0} bytes once encoded; Target accepts at most 60 KB ({1} bytes). Send fewer or shorter attributes, or use a batch file.',
        String(query.length),
        String(MAX_POST_BODY_BYTES),
      ),
    );
  }
  return { method: 'POST', url: new URL(`${base.origin}${path}`), body: query };
}

function mustStayOn(url: URL, base: URL, path: string): URL {
  // Defence in depth: whatever the ids held, the request stays on the base host and the intended path.
  if (url.origin !== base.origin || url.pathname !== path) {
    throw new TargetError('usage', l10n.t('The id would change the request path; it was not sent.'));
  }
  return url;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

export class TargetClient {
  private readonly base: URL;
  private readonly sender: HttpSender;
  private readonly transport?: UndiciTransport;
  private readonly clock: Clock;
  /** The token and every token the provider handed out: scrubbed from logs, errors and results. */
  private readonly secrets: string[];

  constructor(private readonly options: TargetClientOptions) {
    this.base = resolveBaseUrl(options.connection);
    this.clock = options.clock ?? systemClock;
    this.secrets = options.connection.token ? [options.connection.token] : [];
    const { send, owned } = transportFor(options.transport, options.proxy);
    this.transport = owned;
    this.sender = new HttpSender({
      transport: send,
      clock: this.clock,
      retry: options.retry,
      limiter: options.limiter ?? processLimiter,
      onRequest: options.onRequest,
      secrets: () => this.allSecrets(),
    });
  }

  get connection(): ConnectionSettings {
    return this.options.connection;
  }

  async close(): Promise<void> {
    await this.transport?.close();
  }

  /** The secrets to scrub: ours plus the provider's (client secret, IMS tokens), read when needed. */
  private allSecrets(): readonly string[] {
    const more = this.options.tokenProvider?.secrets;
    return more && more.length ? [...this.secrets, ...more] : this.secrets;
  }

  private async bearer(signal?: AbortSignal): Promise<string | undefined> {
    const provider = this.options.tokenProvider;
    if (!provider) return this.options.connection.token;
    const token = await provider.token(signal);
    if (token && !this.secrets.includes(token)) this.secrets.push(token);
    return token;
  }

  /**
   * Sends `req` with `accept` and the bearer (to hosts that may receive it). With a token provider, a
   * 401/403 means the token was rotated or expired: it is invalidated and the call sent once more with
   * a fresh one. That is safe even for a batch upload: a 401/403 proves Target did not accept it.
   */
  private async authorized(
    req: Omit<HttpRequest, 'timeoutMs' | 'headers'> & { timeoutMs?: number; headers?: Record<string, string> },
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    const send = async (): Promise<{ res: HttpResponse; token?: string }> => {
      const headers: Record<string, string> = { accept: '*/*', ...req.headers };
      const token = this.mayReceiveToken(req.url) ? await this.bearer(signal) : undefined;
      if (token) headers.authorization = `Bearer ${token}`;
      return { res: await this.request({ ...req, headers }, signal), token };
    };
    const first = await send();
    const provider = this.options.tokenProvider;
    if (!provider || first.token === undefined || (first.res.status !== 401 && first.res.status !== 403)) {
      return first.res;
    }
    provider.invalidate(first.token);
    return (await send()).res;
  }

  /**
   * The token goes to the configured host, Target's own `*.tt.omtrdc.net` edges (batch status URLs name
   * an `mboxedgeNN` host) and loopback; never to another host a server response happens to name.
   */
  private mayReceiveToken(url: URL): boolean {
    return url.host === this.base.host || url.hostname.endsWith('.tt.omtrdc.net') || isLoopbackHost(url.hostname);
  }

  private request(
    req: Omit<HttpRequest, 'timeoutMs'> & { timeoutMs?: number },
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    return this.sender.send({ timeoutMs: this.options.timeoutMs ?? 30_000, ...req }, signal);
  }

  /** Server text with the token taken out: a server may echo the request back in an error page. */
  private scrub(text: string): string;
  private scrub(text: string | undefined): string | undefined;
  private scrub(text: string | undefined): string | undefined {
    return text === undefined ? text : scrubSecrets(text, this.allSecrets());
  }

  /** The error for a non-2xx answer, with the server's `<message>` (token scrubbed) when it gave one. */
  private statusError(res: HttpResponse, what: string): TargetError {
    const message = hasXmlDeclarations(res.body) ? undefined : readTag(res.body, 'message');
    return this.errorForStatus(res.status, what, this.scrub(message));
  }

  private errorForStatus(status: number, what: string, serverMessage?: string): TargetError {
    if (this.options.tokenProvider && (status === 401 || status === 403)) {
      return new TargetError(
        'auth',
        l10n.t(
          "Target refused the profile API token from the Target Admin API for {0} (HTTP {1}), also after fetching it again. Check that the connection's tenant is the Target account of client code '{2}'.",
          what,
          String(status),
          this.options.connection.clientCode,
        ),
        { status, serverMessage },
      );
    }
    return errorForStatus(status, what, serverMessage);
  }

  /** The error for an answer that is not what the endpoint gives: clear about what came instead. */
  private unreadable(
    res: HttpResponse,
    what: string,
    expected: string,
    details: { maybeAccepted?: boolean } = {},
  ): TargetError {
    const got = this.scrub(describeAnswer(res.body));
    const http = String(res.status);
    const message = details.maybeAccepted
      ? l10n.t(
          "Target's answer to {0} (HTTP {1}) was not understood: expected {2}, got {3}. Target may have accepted it: check its batch status before sending it again.",
          what,
          http,
          expected,
          got,
        )
      : l10n.t(
          "Target's answer to {0} (HTTP {1}) was not understood: expected {2}, got {3}.",
          what,
          http,
          expected,
          got,
        );
    return new TargetError('server', message, { status: res.status, ...details });
  }

  /**
   * Target's XML never carries a DTD. One with `<!DOCTYPE`/`<!ENTITY` could define entities or hide tags
   * in its internal subset, so such an answer is refused rather than read (nothing is ever expanded).
   */
  private checkXml(res: HttpResponse, what: string, details: { maybeAccepted?: boolean } = {}): void {
    if (!hasXmlDeclarations(res.body)) return;
    // `<!DOCTYPE html>` is an HTML page (a proxy's or a login page): say so rather than talk of DTDs.
    if (isHtmlPage(res.body)) throw this.unreadable(res, what, l10n.t('the <response> XML'), details);
    const http = String(res.status);
    const message = details.maybeAccepted
      ? l10n.t(
          "Target's answer to {0} (HTTP {1}) contains a <!DOCTYPE> or <!ENTITY> declaration, which Target's answers never have; it was not read. Target may have accepted it: check its batch status before sending it again.",
          what,
          http,
        )
      : l10n.t(
          "Target's answer to {0} (HTTP {1}) contains a <!DOCTYPE> or <!ENTITY> declaration, which Target's answers never have; it was not read.",
          what,
          http,
        );
    throw new TargetError('server', message, { status: res.status, ...details });
  }

  async updateProfile(update: ProfileUpdate, options: CallOptions = {}): Promise<ProfileUpdateResult> {
    const { clientCode } = this.options.connection;
    const built = buildProfileUpdateRequest(this.base, clientCode, update);
    mustStayOn(built.url, this.base, `${basePath(this.base)}/m2/${clientCode}/profile/update`);
    const headers: Record<string, string> =
      built.body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' };
    const what = callName.update();
    // Setting the same values twice is harmless, so a single update may be retried like a GET.
    const res = await this.authorized(
      { method: built.method, url: built.url, headers, body: built.body, idempotent: true, what },
      options.signal,
    );
    if (!isSuccess(res.status)) throw this.statusError(res, what);
    this.checkXml(res, what);
    const answer = parseUpdateAnswer(res.body);
    if (!answer) throw this.unreadable(res, what, l10n.t('the <response> XML'));
    const message = this.scrub(answer.message);
    return { method: built.method, status: res.status, ...answer, message };
  }

  async fetchProfile(id: ProfileLookup, options: CallOptions = {}): Promise<FetchResult> {
    const { clientCode } = this.options.connection;
    const { url, path } = profileFetchUrl(this.base, clientCode, id);
    mustStayOn(url, this.base, path);
    const what = callName.fetch();
    const res = await this.authorized({ method: 'GET', url, idempotent: true, what }, options.signal);
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      json = undefined;
    }
    if (res.status === 404 && json && typeof (json as { message?: unknown }).message === 'string') {
      return { found: false, status: 404, message: this.scrub((json as { message: string }).message) };
    }
    if (!isSuccess(res.status)) throw this.errorForStatus(res.status, what);
    if (!json || typeof json !== 'object' || Array.isArray(json)) {
      throw this.unreadable(res, what, l10n.t('a JSON object'));
    }
    return { found: true, status: res.status, profile: json as Record<string, unknown> };
  }

  /** The uploads a file will need, without sending anything (one streaming read of the file). */
  planBatch(path: string, options: SubmitOptions = {}): Promise<UploadPlan> {
    return planUploads(path, {
      signal: options.signal,
      maxBytes: options.maxBytes,
      maxRows: options.maxRows,
      onProgress: (done, total) => options.onProgress?.({ phase: 'planning', done, total }),
    });
  }

  async submitBatch(path: string, options: SubmitOptions = {}): Promise<BatchUpload[]> {
    const plan = await this.planBatch(path, options);
    return this.submitPlan(plan, options);
  }

  /** Sends the uploads of a plan one after the other; stops at the first one that fails. */
  async submitPlan(plan: UploadPlan, options: SubmitOptions = {}): Promise<BatchUpload[]> {
    const { clientCode, apiVersion } = this.options.connection;
    const path = `${basePath(this.base)}/m2/${clientCode}${apiVersion === 'v2' ? '/v2' : ''}/profile/batchUpdate`;
    const url = new URL(`${this.base.origin}${path}`);
    const accepted: BatchUpload[] = [];
    for (const [index, part] of plan.parts.entries()) {
      try {
        accepted.push(await this.upload(url, plan, part, options.signal));
      } catch (error) {
        const cause =
          error instanceof TargetError ? error : new TargetError('network', String(error), { cause: error });
        throw new BatchSubmitError(cause, accepted, index, plan.parts.length);
      }
      options.onProgress?.({ phase: 'uploading', done: index + 1, total: plan.parts.length });
    }
    return accepted;
  }

  private async upload(
    url: URL,
    plan: UploadPlan,
    part: UploadPlan['parts'][number],
    signal?: AbortSignal,
  ): Promise<BatchUpload> {
    // Not multipart: the body is the file itself, `batch=` first, as `curl --data-binary` sends it. Target's
    // docs do not name a content type; we assume a form body (docs/target-api.md#upload-body).
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(part.bytes),
    };
    const what = callName.upload();
    const res = await this.authorized(
      {
        method: 'POST',
        url,
        headers,
        body: () => readUploadPart(plan, part),
        idempotent: false,
        what,
        rateLimitKey: this.options.connection.clientCode,
        timeoutMs: this.options.uploadTimeoutMs ?? 15 * 60_000,
      },
      signal,
    );
    if (!isSuccess(res.status)) throw this.statusError(res, what);
    this.checkXml(res, what, { maybeAccepted: true });
    const answer = parseSubmitAnswer(res.body);
    if (!answer) throw this.unreadable(res, what, l10n.t('the <response> XML'), { maybeAccepted: true });
    const message = this.scrub(answer.message);
    if (!answer.success) {
      throw new TargetError('rejected', l10n.t('Target refused the batch: {0}', message || l10n.t('no reason given')), {
        status: res.status,
        serverMessage: message,
      });
    }
    return { rows: part.rows, bytes: part.bytes, batchStatus: answer.batchStatus, message };
  }

  async batchStatus(statusUrl: string, options: StatusOptions = {}): Promise<BatchStatus> {
    if (this.scrub(statusUrl) !== statusUrl) {
      throw new TargetError(
        'usage',
        l10n.t('The batch status URL contains the profile API token; it was not requested (tokens never go in URLs).'),
      );
    }
    const given = checkSafeUrl(statusUrl, 'batch status URL');
    // Target's docs show several forms of this URL; we treat it as opaque, keep its query as is and only
    // append showDetails (docs/target-api.md#endpoints).
    let href = given.href.replace(/#.*$/, '');
    if (options.details && !/[?&]showDetails=/.test(href)) {
      href += /[?&]$/.test(href) ? 'showDetails=true' : `${given.search ? '&' : '?'}showDetails=true`;
    }
    const url = new URL(href);
    const what = callName.status();
    const res = await this.authorized(
      {
        method: 'GET',
        url,
        idempotent: true,
        what,
        rateLimitKey: this.options.connection.clientCode,
      },
      options.signal,
    );
    if (!isSuccess(res.status)) throw this.statusError(res, what);
    this.checkXml(res, what);
    const status = parseBatchStatus(res.body);
    if (!status) throw this.unreadable(res, what, l10n.t('the <response> XML with a <batchId>'));
    return status;
  }

  async waitForBatch(statusUrl: string, options: WaitOptions = {}): Promise<BatchStatus> {
    let delay = options.pollDelayMs ?? 2_000;
    for (;;) {
      const status = await this.batchStatus(statusUrl, options);
      options.onPoll?.(status);
      if (status.status === 'complete' || status.status === 'stuck') return status;
      await this.clock.sleep(delay, options.signal);
      delay = Math.min(delay * 2, options.maxPollDelayMs ?? 60_000);
    }
  }
}

export type { BatchStatus };
