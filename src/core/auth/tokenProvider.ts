/**
 * Profile API tokens from Adobe Developer Console credentials (OAuth server-to-server), so that nobody
 * copies a token out of Target's UI (docs/target-api.md#developer-console-and-ims-tokens):
 *   1. Adobe IMS: `POST {ims}/ims/token/v3`, form `grant_type=client_credentials&client_id&client_secret&scope`
 *      gives an access token (`expires_in` in seconds).
 *   2. Target Admin API: `GET {admin}/{tenant}/target/authentication/token?authorizationScope=profile_api`
 *      with that bearer and `X-Api-Key: <client id>` gives the profile API token; POST rotates it.
 *   3. `GET {admin}/{tenant}/target/clients/settings`: `enableProfileApiAuthentication`.
 *   4. The trace (mboxTrace) token of the personalization preview: the same token route with
 *      `authorizationScope=debug_tools` (docs/target-api.md#delivery-api), cached and refreshed like the profile token.
 * The tokens live in memory only, until shortly before they expire or until `invalidate()`.
 * No editor dependency: the extension and the command line share it.
 */
import * as l10n from '@vscode/l10n';
import { checkSafeUrl, queryOrFragmentError, type UrlName } from '../target/connection';
import { TargetError } from '../target/errors';
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
} from '../target/http';
import { Clock, systemClock } from '../target/limiter';

const DEFAULT_IMS_URL = 'https://ims-na1.adobelogin.com';
const DEFAULT_ADMIN_URL = 'https://mc.adobe.io';
/**
 * The scopes Adobe Developer Console lists for a Target OAuth server-to-server credential. Adobe's docs
 * do not name the ones Target needs; we assume these (docs/target-api.md#developer-console-and-ims-tokens).
 * A project can need others: the connection (or TARGET_SCOPES) overrides them.
 */
export const DEFAULT_SCOPES: readonly string[] = [
  'openid',
  'AdobeID',
  'target_sdk',
  'additional_info.projectedProductContext',
  'read_organizations',
  'additional_info.roles',
];

/** A Developer Console project's OAuth server-to-server credential, and the Target tenant it administers. */
export interface DeveloperConsoleCredentials {
  clientId: string;
  /** Never stored by this module; kept in memory for the token requests only. */
  clientSecret: string;
  /** Comma- or space-separated, or a list; empty means DEFAULT_SCOPES. */
  scopes?: string | readonly string[];
  /** The Admin API tenant (`mc.adobe.io/{tenant}/...`): not the client code (docs/target-api.md#identifiers). */
  tenant: string;
  /** Replace https://ims-na1.adobelogin.com and https://mc.adobe.io (an emulator); https unless loopback. */
  imsUrl?: string;
  adminUrl?: string;
}

export interface ProfileTokenProviderOptions extends DeveloperConsoleCredentials {
  /** When tokens are considered expired; tests inject a fake one. Timeouts and retries use real time. */
  clock?: Pick<Clock, 'now'>;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  proxy?: ProxySettings;
  /** Replaces the undici transport (unit tests). */
  transport?: Transport;
  /** Every attempt, redacted like the Target client's: bodies (the client secret) are never part of an entry. */
  onRequest?: (entry: RequestLogEntry) => void;
}

/** Which step of getting a token failed: the message says it in words, `step` for code. */
export type CredentialsStep = 'ims' | 'admin';

/** A failure of Adobe IMS or the Target Admin API; `kind` is `auth` when credentials or rights were refused. */
export class CredentialsError extends TargetError {
  constructor(
    readonly step: CredentialsStep,
    kind: TargetError['kind'],
    message: string,
    details: { status?: number; serverMessage?: string } = {},
  ) {
    super(kind, message, details);
    this.name = 'CredentialsError';
  }
}

/** What TargetClient needs of a token source. */
interface BearerTokenSource {
  token(signal?: AbortSignal): Promise<string>;
  /** Forgets the token (or only `token`, when it is still the cached one) so the next `token()` fetches anew. */
  invalidate(token?: string): void;
  /** Every secret this source has seen: for scrubbing them out of logs and errors. */
  readonly secrets?: readonly string[];
}

interface Cached {
  value: string;
  /** clock time after which the token is fetched again; Infinity when the server gave no lifetime. */
  refreshAt: number;
}

const TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** Scopes as IMS wants them: comma-separated, no blanks; DEFAULT_SCOPES when none are given. */
export function normaliseScopes(scopes: string | readonly string[] | undefined): string[] {
  const list = (typeof scopes === 'string' ? scopes.split(/[\s,]+/) : [...(scopes ?? [])])
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length ? list : [...DEFAULT_SCOPES];
}

/** Throws a usage error for credentials that cannot work, before anything is sent. */
export function checkCredentials(c: Omit<DeveloperConsoleCredentials, 'clientSecret'> & { clientSecret?: string }): {
  ims: URL;
  admin: URL;
} {
  if (!c.clientId || !VISIBLE_ASCII.test(c.clientId)) {
    throw new TargetError(
      'usage',
      l10n.t('The Developer Console client id is empty or contains spaces or non-ASCII characters.'),
    );
  }
  // Settings are checked without the secret (the editor keeps it apart, in SecretStorage).
  if (c.clientSecret !== undefined && !c.clientSecret) {
    throw new TargetError('usage', l10n.t('The Developer Console client secret is empty.'));
  }
  if (!TENANT.test(c.tenant)) {
    throw new TargetError(
      'usage',
      // `{tenant}` is no placeholder: l10n.t leaves names without an argument as written.
      l10n.t(
        "'{0}' is not a Target tenant id: use the tenant of mc.adobe.io/{tenant} (letters, digits, '.', '_' and '-'), which is not the client code.",
        c.tenant,
      ),
    );
  }
  const base = (raw: string, what: UrlName) => {
    const url = checkSafeUrl(raw, what);
    if (url.search !== '' || url.hash !== '') throw queryOrFragmentError(what);
    return url;
  };
  return {
    ims: base(c.imsUrl || DEFAULT_IMS_URL, 'Adobe IMS URL'),
    admin: base(c.adminUrl || DEFAULT_ADMIN_URL, 'Target Admin API URL'),
  };
}

function join(base: URL, path: string): URL {
  return new URL(`${base.origin}${base.pathname.replace(/\/+$/, '')}${path}`);
}

function parseJson(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A positive number of seconds, or undefined. */
function seconds(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * Gets, caches and rotates the profile API token of one Target tenant from Developer Console
 * credentials. Concurrent callers share one request; nothing is ever written anywhere.
 */
export class ProfileTokenProvider implements BearerTokenSource {
  private readonly ims: URL;
  private readonly admin: URL;
  private readonly scopes: string[];
  private readonly clock: Pick<Clock, 'now'>;
  private readonly sender: HttpSender;
  private readonly transport?: UndiciTransport;
  /** The client secret and every token seen, so that none reaches a log entry or an error message. */
  private readonly known: string[];
  private imsToken?: Cached;
  private profileToken?: Cached;
  private traceTokenCache?: Cached;
  private pendingIms?: Promise<string>;
  private pendingProfile?: Promise<string>;
  private pendingTrace?: Promise<string>;
  /** As `generation`, for the trace token. */
  private traceGeneration = 0;
  /** Bumped by invalidate() and rotate(): an answer to an older request is not cached. */
  private generation = 0;

  constructor(private readonly options: ProfileTokenProviderOptions) {
    ({ ims: this.ims, admin: this.admin } = checkCredentials(options));
    this.scopes = normaliseScopes(options.scopes);
    this.clock = options.clock ?? systemClock;
    this.known = [options.clientSecret];
    const { send, owned } = transportFor(options.transport, options.proxy);
    this.transport = owned;
    this.sender = new HttpSender({
      transport: send,
      // Real time for timeouts and retry pauses; `options.clock` only decides expiry.
      clock: systemClock,
      retry: { maxAttempts: 3, ...options.retry },
      onRequest: options.onRequest,
      secrets: this.known,
    });
  }

  get tenant(): string {
    return this.options.tenant;
  }

  get clientId(): string {
    return this.options.clientId;
  }

  get secrets(): readonly string[] {
    return this.known;
  }

  async close(): Promise<void> {
    await this.transport?.close();
  }

  /** The profile API token: cached, or fetched from the Admin API's token GET with a cached or new IMS token. */
  token(signal?: AbortSignal): Promise<string> {
    if (this.profileToken && this.clock.now() < this.profileToken.refreshAt) {
      return Promise.resolve(this.profileToken.value);
    }
    if (!this.pendingProfile) {
      const generation = this.generation;
      const pending: Promise<string> = this.adminToken('GET', signal)
        .then((cached) => {
          if (generation === this.generation) this.profileToken = cached;
          return cached.value;
        })
        .finally(() => {
          if (this.pendingProfile === pending) this.pendingProfile = undefined;
        });
      this.pendingProfile = pending;
    }
    return this.pendingProfile;
  }

  /** After Target refused `token` (401/403): the next `token()` asks the Admin API again. */
  invalidate(token?: string): void {
    if (token !== undefined && this.profileToken && this.profileToken.value !== token) return;
    this.profileToken = undefined;
    this.pendingProfile = undefined;
    this.generation++;
  }

  /**
   * The trace token a personalization preview sends as `trace.authorizationToken`: cached until shortly
   * before it expires (Target's last 6 hours), or fetched from the Admin API's token GET with scope debug_tools.
   * It is never sent as a bearer; the Delivery API takes it in the body.
   */
  traceToken(signal?: AbortSignal): Promise<string> {
    if (this.traceTokenCache && this.clock.now() < this.traceTokenCache.refreshAt) {
      return Promise.resolve(this.traceTokenCache.value);
    }
    if (!this.pendingTrace) {
      const generation = this.traceGeneration;
      const pending: Promise<string> = this.adminToken('GET', signal, 'debug_tools')
        .then((cached) => {
          if (generation === this.traceGeneration) this.traceTokenCache = cached;
          return cached.value;
        })
        .finally(() => {
          if (this.pendingTrace === pending) this.pendingTrace = undefined;
        });
      this.pendingTrace = pending;
    }
    return this.pendingTrace;
  }

  /** After Target refused the trace token `token`: the next `traceToken()` asks the Admin API again. */
  invalidateTrace(token?: string): void {
    if (token !== undefined && this.traceTokenCache && this.traceTokenCache.value !== token) return;
    this.traceTokenCache = undefined;
    this.pendingTrace = undefined;
    this.traceGeneration++;
  }

  /** Forgets every token (the credentials changed, or a sign-out). */
  clear(): void {
    this.invalidate();
    this.invalidateTrace();
    this.imsToken = undefined;
    this.pendingIms = undefined;
  }

  /**
   * Creates a new profile API token (the Admin API's token POST, HTTP 201). Every other caller that
   * still uses the old token is refused by Target from now on; ask the user first.
   */
  async rotate(signal?: AbortSignal): Promise<string> {
    this.invalidate();
    const generation = this.generation;
    const cached = await this.adminToken('POST', signal);
    if (generation === this.generation) this.profileToken = cached;
    return cached.value;
  }

  /** Whether Target's "Require Authentication" is on (the Admin API setting `enableProfileApiAuthentication`). */
  async authenticationRequired(signal?: AbortSignal): Promise<boolean> {
    const url = join(this.admin, `/${encodeURIComponent(this.options.tenant)}/target/clients/settings`);
    const res = await this.adminRequest(
      { method: 'GET', url, idempotent: true, what: l10n.t('the Target Admin API settings request') },
      signal,
    );
    const json = parseJson(res.body);
    // The Admin API's OpenAPI description shows the field at the top level; we also accept it wrapped in
    // `data` (docs/target-api.md#developer-console-and-ims-tokens).
    const value =
      json?.enableProfileApiAuthentication ??
      (json?.data as Record<string, unknown> | undefined)?.enableProfileApiAuthentication;
    if (typeof value !== 'boolean') {
      throw new CredentialsError(
        'admin',
        'server',
        l10n.t(
          "The Target Admin API's settings (HTTP {0}) did not say whether authentication is required (no enableProfileApiAuthentication).",
          String(res.status),
        ),
        { status: res.status },
      );
    }
    return value;
  }

  private remember(secret: string): void {
    if (secret && !this.known.includes(secret)) this.known.push(secret);
  }

  private scrub(text: string): string {
    return scrubSecrets(text, this.known);
  }

  private send(req: Omit<HttpRequest, 'timeoutMs'>, signal?: AbortSignal): Promise<HttpResponse> {
    return this.sender.send({ timeoutMs: this.options.timeoutMs ?? 30_000, ...req }, signal);
  }

  /** The Adobe IMS access token, cached until shortly before `expires_in`. */
  private imsAccessToken(signal?: AbortSignal): Promise<string> {
    if (this.imsToken && this.clock.now() < this.imsToken.refreshAt) return Promise.resolve(this.imsToken.value);
    if (!this.pendingIms) {
      const pending: Promise<string> = this.requestImsToken(signal).finally(() => {
        if (this.pendingIms === pending) this.pendingIms = undefined;
      });
      this.pendingIms = pending;
    }
    return this.pendingIms;
  }

  private async requestImsToken(signal?: AbortSignal): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.options.clientId,
      client_secret: this.options.clientSecret,
      scope: this.scopes.join(','),
    }).toString();
    const started = this.clock.now();
    // The body carries the secret: HttpSender logs method, redacted URL and headers only, never a body.
    const res = await this.send(
      {
        method: 'POST',
        url: join(this.ims, '/ims/token/v3'),
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        // Asking for a token twice is harmless.
        idempotent: true,
        what: l10n.t('the Adobe IMS token request'),
      },
      signal,
    );
    const json = parseJson(res.body);
    if (res.status < 200 || res.status >= 300) {
      const code = typeof json?.error === 'string' ? json.error : undefined;
      const description = typeof json?.error_description === 'string' ? json.error_description : undefined;
      const said = code ? `${code}${description ? `: ${description}` : ''}` : `HTTP ${res.status}`;
      const serverMessage = this.scrub(said);
      if (code === 'invalid_client' || code === 'unauthorized_client' || res.status === 401) {
        throw new CredentialsError(
          'ims',
          'auth',
          l10n.t(
            "Adobe IMS refused the client credentials ({0}). Check the Developer Console project's client id and client secret.",
            serverMessage,
          ),
          { status: res.status, serverMessage },
        );
      }
      throw new CredentialsError(
        'ims',
        res.status >= 500 ? 'server' : 'auth',
        l10n.t('Adobe IMS refused the token request (HTTP {0}, {1}).', String(res.status), serverMessage),
        {
          status: res.status,
          serverMessage,
        },
      );
    }
    const token = json?.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new CredentialsError(
        'ims',
        'server',
        l10n.t('Adobe IMS answered HTTP {0} without an access_token.', String(res.status)),
        { status: res.status },
      );
    }
    this.remember(token);
    this.imsToken = { value: token, refreshAt: refreshTime(started, seconds(json?.expires_in)) };
    return token;
  }

  /**
   * An Admin API call with the IMS bearer and the client id as API key. When the Admin API refuses the
   * bearer (401), the IMS token may have been revoked or expired early: get a new one and try once more.
   */
  private async adminRequest(
    req: Omit<HttpRequest, 'timeoutMs' | 'headers'>,
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt++) {
      const bearer = await this.imsAccessToken(signal);
      const res = await this.send(
        {
          ...req,
          headers: {
            accept: 'application/vnd.adobe.target.v1+json',
            authorization: `Bearer ${bearer}`,
            'x-api-key': this.options.clientId,
          },
        },
        signal,
      );
      if (res.status === 401 && attempt === 1) {
        if (this.imsToken?.value === bearer) this.imsToken = undefined;
        continue;
      }
      if (res.status >= 200 && res.status < 300) return res;
      throw this.adminError(res, req.what);
    }
  }

  private adminError(res: HttpResponse, what: string): CredentialsError {
    const json = parseJson(res.body);
    // The Admin API's ErrorResponse: {httpStatus, requestId, requestTime, errors: [{errorCode, message}]}
    // (docs/target-api.md#developer-console-and-ims-tokens).
    const first = Array.isArray(json?.errors) ? (json.errors[0] as Record<string, unknown> | undefined) : undefined;
    const parts = [first?.errorCode, first?.message ?? json?.message].filter(
      (p): p is string => typeof p === 'string' && p !== '',
    );
    const serverMessage = parts.length ? this.scrub(parts.join(': ')).slice(0, 300) : undefined;
    const http = String(res.status);
    const refused = serverMessage
      ? l10n.t('The Target Admin API refused {0} (HTTP {1}: {2}).', what, http, serverMessage)
      : l10n.t('The Target Admin API refused {0} (HTTP {1}).', what, http);
    const { tenant } = this.options;
    const hint =
      res.status === 401 || res.status === 403
        ? l10n.t(
            "Check that the Developer Console project has the Adobe Target API with a product profile that may administer tenant '{0}'.",
            tenant,
          )
        : res.status === 404
          ? l10n.t("Check the tenant '{0}' (mc.adobe.io/{tenant}, not the client code).", tenant)
          : undefined;
    const kind =
      res.status === 401 || res.status === 403
        ? 'auth'
        : res.status === 429 || res.status === 503
          ? 'rate-limited'
          : 'server';
    return new CredentialsError('admin', kind, hint ? `${refused} ${hint}` : refused, {
      status: res.status,
      serverMessage,
    });
  }

  private async adminToken(
    method: 'GET' | 'POST',
    signal?: AbortSignal,
    scope: 'profile_api' | 'debug_tools' = 'profile_api',
  ): Promise<Cached> {
    const url = join(this.admin, `/${encodeURIComponent(this.options.tenant)}/target/authentication/token`);
    url.search = `authorizationScope=${scope}`;
    const started = this.clock.now();
    const what =
      scope === 'debug_tools'
        ? l10n.t('the trace token request')
        : method === 'GET'
          ? l10n.t('the profile API token request')
          : l10n.t('the profile API token rotation');
    // A rotation sent twice would leave a token nobody received: never resend it after a timeout.
    const res = await this.adminRequest({ method, url, idempotent: method === 'GET', what }, signal);
    const json = parseJson(res.body);
    // The Admin API's AuthorizationToken names it accessToken; we accept `token` as well.
    const token =
      typeof json?.accessToken === 'string'
        ? json.accessToken
        : typeof json?.token === 'string'
          ? json.token
          : undefined;
    if (!token) {
      throw new CredentialsError(
        'admin',
        'server',
        l10n.t('The Target Admin API answered {0} (HTTP {1}) without a token (accessToken).', what, String(res.status)),
        {
          status: res.status,
        },
      );
    }
    this.remember(token);
    // Adobe does not give the unit of expiresIn; we assume seconds
    // (docs/target-api.md#developer-console-and-ims-tokens). A 401/403 from Target refreshes the token anyway.
    return { value: token, refreshAt: refreshTime(started, seconds(json?.expiresIn)) };
  }
}

/**
 * When to fetch a token again: a little before it expires (a tenth of its life, at most 5 minutes), counted
 * from when it was asked for. No lifetime given: keep it until Target refuses it.
 */
function refreshTime(askedAt: number, lifetimeSeconds: number | undefined): number {
  if (lifetimeSeconds === undefined) return Infinity;
  const lifetimeMs = lifetimeSeconds * 1000;
  return askedAt + lifetimeMs - Math.min(5 * 60_000, lifetimeMs / 10);
}

/**
 * Developer Console credentials from the command line's environment: TARGET_CLIENT_ID,
 * TARGET_CLIENT_SECRET and TARGET_TENANT (all three, or none), TARGET_SCOPES, TARGET_IMS_URL and
 * TARGET_ADMIN_URL. Undefined when none is set; a usage error when some are missing or TARGET_PROFILE_TOKEN
 * is set as well (which one would win is not obvious, so neither does).
 */
export function credentialsFromEnvironment(env: NodeJS.ProcessEnv): DeveloperConsoleCredentials | undefined {
  const names = ['TARGET_CLIENT_ID', 'TARGET_CLIENT_SECRET', 'TARGET_TENANT'] as const;
  const given = names.filter((n) => env[n]);
  if (given.length === 0) return undefined;
  if (given.length < names.length) {
    const missing = names.filter((n) => !env[n]);
    throw new TargetError(
      'usage',
      `Developer Console credentials need TARGET_CLIENT_ID, TARGET_CLIENT_SECRET and TARGET_TENANT; ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set.`,
    );
  }
  if (env.TARGET_PROFILE_TOKEN) {
    throw new TargetError(
      'usage',
      'Set either TARGET_PROFILE_TOKEN or the Developer Console credentials (TARGET_CLIENT_ID, TARGET_CLIENT_SECRET, TARGET_TENANT), not both.',
    );
  }
  const credentials: DeveloperConsoleCredentials = {
    clientId: env.TARGET_CLIENT_ID!,
    clientSecret: env.TARGET_CLIENT_SECRET!,
    tenant: env.TARGET_TENANT!,
    ...(env.TARGET_SCOPES ? { scopes: env.TARGET_SCOPES } : {}),
    ...(env.TARGET_IMS_URL ? { imsUrl: env.TARGET_IMS_URL } : {}),
    ...(env.TARGET_ADMIN_URL ? { adminUrl: env.TARGET_ADMIN_URL } : {}),
  };
  checkCredentials(credentials);
  return credentials;
}
