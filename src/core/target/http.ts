import * as l10n from '@vscode/l10n';
import { Readable } from 'stream';
import { count } from '../displayLanguage';
import { AgentOptions, Dispatcher, ProxyAgentOptions, createAgent, createProxyAgent, request } from './undici';
import { TargetError } from './errors';
import { Clock, RateLimiter, cancelledError, systemClock } from './limiter';

/** One HTTP exchange the client wants made. */
export interface HttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  /** A string, or a factory giving a fresh stream for each attempt (batch files are never held in memory). */
  body?: string | (() => AsyncIterable<Uint8Array>);
  /**
   * Safe to send again after a connection error or timeout. A batch upload is not: it is retried only
   * when Target provably did not take it (503/429, or the connection was refused before sending).
   */
  idempotent: boolean;
  timeoutMs: number;
  /** Names the call in error messages, e.g. "the profile update", in the display language. */
  what: string;
  /** Set for calls under Target's 50 per minute cap (bulk submit, batch status): the client code. */
  rateLimitKey?: string;
  /** The most of the answer's body that is read; a longer answer fails as `server`. Default 1 MiB. */
  maxResponseBytes?: number;
}

/** Target's XML and JSON answers are a few hundred bytes: anything past 1 MiB is not one of them. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** The error for an answer over `limit` bytes; for an upload, Target may still have taken the batch. */
function responseTooLargeError(req: Pick<HttpRequest, 'what' | 'idempotent'>, limit: number): TargetError {
  const message = req.idempotent
    ? l10n.t(
        "The server's answer to {0} was larger than {1} bytes, which no Target answer is; it was not read.",
        req.what,
        String(limit),
      )
    : l10n.t(
        "The server's answer to {0} was larger than {1} bytes, which no Target answer is; it was not read. Target may or may not have accepted it: check its batch status before sending it again.",
        req.what,
        String(limit),
      );
  return new TargetError('server', message, { maybeAccepted: !req.idempotent });
}

/** Reads at most `limit` bytes of `body`, destroying it and throwing `responseTooLargeError` beyond. */
async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown },
  req: HttpRequest,
  limit: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > limit) {
      body.destroy();
      throw responseTooLargeError(req, limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, bytes).toString('utf8');
}

/** Replaces every occurrence of the secrets (4 characters or more, raw or percent-encoded) with `***`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('***');
  }
  return out;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends one attempt; throws the network error as is (with its `code`) when there is no response. */
export type Transport = (request: HttpRequest, signal: AbortSignal) => Promise<HttpResponse>;

/** What the editor's log channel receives for every attempt: never a token, never profile values. */
export interface RequestLogEntry {
  method: string;
  url: string;
  headers: Record<string, string>;
  attempt: number;
  status?: number;
  error?: string;
  durationMs: number;
}

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails as rate-limited instead. */
  maxRetryAfterMs: number;
  /** In [0, 1): the jitter source. */
  random: () => number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  // Adobe's cap is per minute; one integrator waits 65 s after a 503 (docs/target-api.md#rate-limits).
  maxRetryAfterMs: 120_000,
  random: Math.random,
};

/** Reads `Retry-After` as seconds or as an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * The wait before retry number `retry` (0 for the first retry): exponential backoff with "equal
 * jitter", or the server's Retry-After plus a little jitter so that many clients do not return at once.
 */
export function retryDelay(retry: number, policy: RetryPolicy, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return retryAfterMs + Math.floor(policy.random() * policy.baseDelayMs);
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(backoff / 2 + policy.random() * (backoff / 2));
}

/** Replaces query values (ids and profile values are personal data) except the harmless ones. */
export function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  const keep = new Set(['client', 'batchId', 'showDetails', 'm2Node']);
  const params = [...copy.searchParams].map(
    ([k, v]) => `${encodeURIComponent(k)}=${keep.has(k) ? encodeURIComponent(v) : '***'}`,
  );
  copy.search = params.length ? `?${params.join('&')}` : '';
  return copy.href;
}

function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = /^(authorization|proxy-authorization|cookie)$/i.test(name) ? value.replace(/\s.*$/, ' ***') : value;
  }
  return out;
}

/** Where requests go through a proxy: explicit settings win over `https_proxy`/`http_proxy`. */
export interface ProxySettings {
  /** e.g. the editor's `http.proxy`; used for both http and https targets. */
  proxy?: string;
  /** Comma-separated hosts (and `.domain` suffixes, `*`) that bypass the proxy, added to `no_proxy`. */
  noProxy?: string;
  /** Where `https_proxy`, `http_proxy` and `no_proxy` are read from (upper or lower case). */
  env?: NodeJS.ProcessEnv;
  /**
   * The `Proxy-Authorization` header value sent to the proxy (the editor's `http.proxyAuthorization`),
   * e.g. `Basic dXNlcjpwYXNz`; without it, credentials in the proxy URL (`http://user:pass@host`) are used.
   */
  proxyAuthorization?: string;
  /**
   * Verify TLS certificates (the editor's `http.proxyStrictSSL`); default true. When false, neither the
   * proxy's certificate nor the server's is checked, on proxied and direct connections alike.
   */
  strictSSL?: boolean;
}

/** How `UndiciTransport` builds its dispatchers; replaceable so tests can see the options they get. */
export interface DispatcherFactory {
  agent(options: AgentOptions): Dispatcher;
  proxyAgent(options: ProxyAgentOptions): Dispatcher;
}

export const undiciDispatchers: DispatcherFactory = {
  agent: (options) => createAgent(options),
  proxyAgent: (options) => createProxyAgent(options),
};

/** The undici options `UndiciTransport` uses for a direct connection and for a proxy at `uri`. */
export function dispatcherOptions(settings: ProxySettings): {
  agent: AgentOptions;
  proxyAgent: (uri: string) => ProxyAgentOptions;
} {
  const tls = { rejectUnauthorized: settings.strictSSL !== false };
  return {
    agent: { connect: { ...tls } },
    // requestTls: the TLS session to Target through the tunnel; proxyTls: to an https:// proxy itself.
    proxyAgent: (uri) => ({
      uri,
      proxyTunnel: false,
      requestTls: { ...tls },
      proxyTls: { ...tls },
      ...(settings.proxyAuthorization ? { token: settings.proxyAuthorization } : {}),
    }),
  };
}

function envValue(env: NodeJS.ProcessEnv | undefined, name: string): string | undefined {
  return env?.[name] || env?.[name.toUpperCase()] || undefined;
}

/** True when `no_proxy`-style `list` names `url`'s host (exact, a subdomain, with or without port, or `*`). */
export function bypassesProxy(url: URL, list: string): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of list.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: string | undefined;
    const portMatch = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[|\]$/g, ''));
    if (portMatch && portMatch[2] && !entry.includes('::')) {
      entry = portMatch[1];
      entryPort = portMatch[2];
    }
    entry = entry.replace(/^\*?\./, '').replace(/^\[|\]$/g, '');
    if (entryPort && entryPort !== port) continue;
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/** The proxy URL to use for `url`, or undefined to connect directly. */
export function proxyFor(url: URL, settings: ProxySettings): string | undefined {
  const noProxy = [settings.noProxy, envValue(settings.env, 'no_proxy')].filter(Boolean).join(',');
  if (noProxy && bypassesProxy(url, noProxy)) return undefined;
  if (settings.proxy) return settings.proxy;
  return url.protocol === 'https:' ? envValue(settings.env, 'https_proxy') : envValue(settings.env, 'http_proxy');
}

/**
 * The real transport: undici 7 (the extension host runs Node 20, which undici 8 does not support).
 * Proxies go through `ProxyAgent`; plain-http targets are sent to an http proxy in absolute form
 * rather than tunnelled, the way curl does.
 */
export class UndiciTransport {
  private readonly agents = new Map<string, Dispatcher>();
  private direct?: Dispatcher;

  constructor(
    private readonly proxy: ProxySettings = {},
    private readonly factory: DispatcherFactory = undiciDispatchers,
  ) {}

  /** The dispatcher for `url`: one per proxy, or a direct agent; created on first use. */
  dispatcherFor(url: URL): Dispatcher {
    const options = dispatcherOptions(this.proxy);
    const proxyUrl = proxyFor(url, this.proxy);
    if (!proxyUrl) return (this.direct ??= this.factory.agent(options.agent));
    let agent = this.agents.get(proxyUrl);
    if (!agent) {
      agent = this.factory.proxyAgent(options.proxyAgent(proxyUrl));
      this.agents.set(proxyUrl, agent);
    }
    return agent;
  }

  readonly send: Transport = async (req, signal) => {
    const dispatcher = this.dispatcherFor(req.url);
    const payload = typeof req.body === 'function' ? Readable.from(req.body(), { objectMode: false }) : req.body;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: payload,
        signal,
        dispatcher,
        // Our own timer bounds the whole exchange; undici's idle timers would cut slow uploads short.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
    } catch (error) {
      const proxyUrl = signal.aborted ? undefined : proxyFor(req.url, this.proxy);
      throw (proxyUrl && proxyHopError(error, proxyUrl, req)) || error;
    }
    const limit = req.maxResponseBytes ?? MAX_RESPONSE_BYTES;
    if (Number(res.headers['content-length'] ?? 0) > limit) {
      res.body.destroy();
      throw responseTooLargeError(req, limit);
    }
    return { status: res.statusCode, headers: res.headers, body: await readCapped(res.body, req, limit) };
  };

  async close(): Promise<void> {
    const all = [...this.agents.values(), ...(this.direct ? [this.direct] : [])];
    this.agents.clear();
    this.direct = undefined;
    await Promise.all(all.map((a) => a.close()));
  }
}

/** A proxy URL as shown in messages: without the credentials it may carry. */
export function displayProxy(proxyUrl: string): string {
  try {
    const url = new URL(proxyUrl);
    return `${url.protocol}//${url.host}`;
  } catch {
    return proxyUrl.replace(/\/\/[^@/]*@/, '//');
  }
}

/**
 * The error for a request that failed at the proxy rather than at Target, or undefined when the
 * failure is not the proxy's. A refused connection or an unknown host while a proxy is in use is the
 * proxy's: the proxy, not this client, connects to Target. A tunnel the proxy refuses (CONNECT
 * answered with 502, 403, 407…) is the proxy's verdict, so it is final and not retried as if Target
 * were down; nothing reached Target in any of these cases.
 */
export function proxyHopError(
  error: unknown,
  proxyUrl: string,
  req: Pick<HttpRequest, 'url' | 'what'>,
): TargetError | undefined {
  const proxy = displayProxy(proxyUrl);
  const target = req.url.host;
  const code = errorCode(error);
  const text = messagesOf(error);
  const refusedTunnel = /Proxy response \((\d{3})\) !== 200 when HTTP Tunneling/.exec(text);
  const status = refusedTunnel
    ? Number(refusedTunnel[1])
    : /Proxy Authentication Required \(407\)/.test(text)
      ? 407
      : undefined;
  if (status === 407) {
    return new TargetError(
      'network',
      l10n.t(
        'The proxy {0} asks for authorization (HTTP 407) for {1}: check the proxy credentials. Target ({2}) was not reached.',
        proxy,
        req.what,
        target,
      ),
      { cause: error },
    );
  }
  if (status !== undefined) {
    return new TargetError(
      'network',
      l10n.t(
        'The proxy {0} refused to connect to {1} for {2} (HTTP {3}). Target was not reached; check that the proxy allows {1}.',
        proxy,
        target,
        req.what,
        String(status),
      ),
      { cause: error },
    );
  }
  if (code === 'ECONNREFUSED') {
    return new TargetError(
      'network',
      l10n.t(
        'Could not connect to the proxy {0} for {1} (connection refused). Check that the proxy is running and the proxy settings; nothing was sent to Target ({2}).',
        proxy,
        req.what,
        target,
      ),
      { cause: error },
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
    return new TargetError(
      'network',
      l10n.t(
        'Could not find the proxy host {0} for {1} (DNS lookup failed: {2}). Check the proxy settings; nothing was sent to Target ({3}).',
        proxy,
        req.what,
        code,
        target,
      ),
      { cause: error },
    );
  }
  return undefined;
}

/** The messages of an error and its causes, for undici errors that carry no code of their own. */
function messagesOf(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof Error) parts.push(e.message);
  }
  return parts.join('\n');
}

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED') return code;
  }
  return undefined;
}

export interface HttpSenderOptions {
  transport: Transport;
  clock?: Clock;
  retry?: Partial<RetryPolicy>;
  limiter?: RateLimiter;
  onRequest?: (entry: RequestLogEntry) => void;
  /**
   * Texts (the token) that must never reach a log entry or an error message, even when a server echoes
   * them; a function is asked each time, for tokens that are fetched later.
   */
  secrets?: readonly string[] | (() => readonly string[]);
}

/**
 * The transport a client sends through: the one it was given (tests), or an undici transport of its own
 * with the proxy settings, which the client closes when it is closed.
 */
export function transportFor(
  given: Transport | undefined,
  proxy: ProxySettings | undefined,
): { send: Transport; owned?: UndiciTransport } {
  if (given) return { send: given };
  const owned = new UndiciTransport(proxy ?? { env: process.env });
  return { send: owned.send, owned };
}

/** Runs requests with a timeout on each attempt, the retry policy and the rate limiter. */
export class HttpSender {
  private readonly clock: Clock;
  private readonly policy: RetryPolicy;

  constructor(private readonly options: HttpSenderOptions) {
    this.clock = options.clock ?? systemClock;
    this.policy = { ...defaultRetryPolicy, ...options.retry };
  }

  /**
   * Sends `req` and returns the final response, whatever its status (the caller maps statuses to
   * meaning). Throws a TargetError when no usable response came.
   */
  async send(req: HttpRequest, signal?: AbortSignal): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw cancelledError();
      // The slot is held for the whole attempt and counted from its end (see RateLimiter.begin).
      const release =
        req.rateLimitKey && this.options.limiter
          ? await this.options.limiter.begin(req.rateLimitKey, signal)
          : undefined;
      let outcome: Awaited<ReturnType<HttpSender['attempt']>>;
      try {
        outcome = await this.attempt(req, attempt, signal);
      } finally {
        release?.();
      }
      let retryAfterMs: number | undefined;
      if ('response' in outcome) {
        const { response } = outcome;
        // 503 is Target's answer to more than 50 calls a minute; neither it nor 429 means the request was taken.
        if (response.status !== 503 && response.status !== 429) return response;
        retryAfterMs = parseRetryAfter(response.headers['retry-after'], this.clock.now());
        if (attempt >= this.policy.maxAttempts || (retryAfterMs ?? 0) > this.policy.maxRetryAfterMs) return response;
      } else {
        if (!outcome.retryable || attempt >= this.policy.maxAttempts) throw outcome.error;
      }
      await this.clock.sleep(retryDelay(attempt - 1, this.policy, retryAfterMs), signal);
    }
  }

  private async attempt(
    req: HttpRequest,
    attempt: number,
    signal: AbortSignal | undefined,
  ): Promise<{ response: HttpResponse } | { error: TargetError; retryable: boolean }> {
    const controller = new AbortController();
    let timedOut = false;
    const stopTimer = this.clock.setTimer(req.timeoutMs, () => {
      timedOut = true;
      controller.abort();
    });
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const started = this.clock.now();
    const log = (status?: number, error?: string) =>
      this.options.onRequest?.({
        method: req.method,
        url: this.scrub(redactUrl(req.url)),
        headers: redactHeaders(req.headers),
        attempt,
        ...(status !== undefined ? { status } : {}),
        ...(error !== undefined ? { error: this.scrub(error) } : {}),
        durationMs: this.clock.now() - started,
      });
    try {
      const response = await this.options.transport(req, controller.signal);
      // Transports other than undici's (tests, the editor's) get the same cap on what is read.
      const limit = req.maxResponseBytes ?? MAX_RESPONSE_BYTES;
      if (response.body.length > limit || Buffer.byteLength(response.body) > limit) {
        throw responseTooLargeError(req, limit);
      }
      log(response.status);
      return { response };
    } catch (error) {
      const classified = this.classify(req, error, timedOut, signal);
      log(undefined, classified.error.message);
      return classified;
    } finally {
      stopTimer();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private scrub(text: string): string {
    const { secrets } = this.options;
    if (!secrets) return text;
    return scrubSecrets(text, typeof secrets === 'function' ? secrets() : secrets);
  }

  private classify(
    req: HttpRequest,
    error: unknown,
    timedOut: boolean,
    signal: AbortSignal | undefined,
  ): { error: TargetError; retryable: boolean } {
    if (signal?.aborted) return { error: cancelledError(), retryable: false };
    // Our own verdicts (an answer too large to read) are final: the server did answer.
    if (error instanceof TargetError) return { error, retryable: false };
    const code = errorCode(error);
    // Refused means the connection never opened: nothing was sent, so even a batch may be retried.
    if (code === 'ECONNREFUSED') {
      return {
        error: new TargetError(
          'network',
          l10n.t('Could not connect to {0} for {1} (connection refused).', req.url.host, req.what),
          { cause: error },
        ),
        retryable: true,
      };
    }
    // A host name that does not resolve: no connection was opened, so nothing was sent. A name that
    // does not exist will not appear in seconds (ENOTFOUND); a failing resolver may recover (EAI_AGAIN).
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
      return {
        error: new TargetError(
          'network',
          l10n.t(
            "Could not find the host {0} for {1} (DNS lookup failed: {2}). Check the connection's base URL and your network; nothing was sent.",
            req.url.hostname,
            req.what,
            code,
          ),
          { cause: error },
        ),
        retryable: code === 'EAI_AGAIN',
      };
    }
    const maybeAccepted = !req.idempotent;
    if (timedOut) {
      const seconds = count(req.timeoutMs / 1000);
      const message = maybeAccepted
        ? l10n.t(
            'No answer from {0} within {1} s for {2}. Target may or may not have accepted it: check its batch status or the profiles before sending it again.',
            req.url.host,
            seconds,
            req.what,
          )
        : l10n.t('No answer from {0} within {1} s for {2}.', req.url.host, seconds, req.what);
      return { error: new TargetError('timeout', message, { maybeAccepted, cause: error }), retryable: req.idempotent };
    }
    const reason = code ?? this.scrub(error instanceof Error ? error.message : String(error));
    const message = maybeAccepted
      ? l10n.t(
          'The connection to {0} failed during {1} ({2}). Target may or may not have accepted it: check its batch status or the profiles before sending it again.',
          req.url.host,
          req.what,
          reason,
        )
      : l10n.t('The connection to {0} failed during {1} ({2}).', req.url.host, req.what, reason);
    return { error: new TargetError('network', message, { maybeAccepted, cause: error }), retryable: req.idempotent };
  }
}
