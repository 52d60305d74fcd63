/**
 * A local Adobe Target emulator for tests and demos: the Profile API routes of
 * docs/target-api.md ("What the emulator assumes") over plain Node http, with profiles in
 * memory and a control API for fault injection. Batch uploads are parsed as they stream in, so a
 * 50 MB upload does not sit in memory.
 *
 * Routes, and the file that answers each:
 *   GET|POST /m2/{client}/profile/update                     routes/profileUpdate.ts
 *   GET      /rest/v1/profiles/[{kind}/]{id}?client={client} routes/profileFetch.ts
 *   POST     /rest/v1/delivery?client={client}&sessionId={id} routes/delivery.ts (no token: activities.ts decides)
 *   POST     /m2/{client}/[v2/]profile/batchUpdate           routes/batchUpload.ts
 *   GET      /m2/{client}/[v2/]profile/batchStatus           routes/batchStatus.ts
 *   GET|POST /__emulator/{action}                            routes/control.ts (the control API, listed there)
 * It also stands in for Adobe IMS and the Target Admin API (docs/target-api.md#authentication), so one
 * base URL serves all three:
 *   POST /ims/token/v3                                      client_credentials grant for the configured credential
 *   GET|POST /{tenant}/target/authentication/token?authorizationScope=profile_api   current / rotated (201) token
 *   GET|PUT|PATCH /{tenant}/target/clients/settings         {enableProfileApiAuthentication}
 * Admin routes need `Authorization: Bearer <unexpired IMS token>` and `X-Api-Key: <client id>`. IMS is
 * routes/ims.ts, the Admin API routes/adminApi.ts.
 *
 * This file starts the server, records each request, applies the injected faults (faults.ts), checks
 * the profile API token and the rate limit, and hands the request to its route. What the routes share
 * lives in state.ts (with the control API's changes) and profiles.ts.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { answerInjectedFailure, dropConnection } from './faults';
import { jsonResponse, textResponse, xmlResponse } from './http';
import { handleAdminApi } from './routes/adminApi';
import { handleBatchStatus } from './routes/batchStatus';
import { handleBatchUpload } from './routes/batchUpload';
import { handleControl } from './routes/control';
import { handleDelivery } from './routes/delivery';
import { handleImsToken } from './routes/ims';
import { handleProfileFetch } from './routes/profileFetch';
import { handleProfileUpdate } from './routes/profileUpdate';
import { sampleActivities } from './samples';
import { EmulatorState } from './state';
import type { Emulator, EmulatorOptions, RequestRecord, RouteName } from './types';

export type { Activity, ActivitySeed, Audience, AudienceRule, Experience, Offer } from './activities';
export type {
  Emulator,
  EmulatorCredentials,
  EmulatorOptions,
  ExportedProfile,
  RequestRecord,
  SeedProfile,
} from './types';

const CONTROL_PREFIX = '/__emulator/';

const ROUTES: [RouteName, RegExp][] = [
  ['update', /^\/m2\/([^/]+)\/profile\/update$/],
  ['batchUpdate', /^\/m2\/([^/]+)\/(v2\/)?profile\/batchUpdate$/],
  ['batchStatus', /^\/m2\/([^/]+)\/(v2\/)?profile\/batchStatus$/],
  ['delivery', /^\/rest\/v1\/delivery$/],
  ['fetch', /^\/rest\/v1\/profiles\/(?:(thirdPartyId|marketingCloudVisitorId)\/)?([^/]+)$/],
  ['imsToken', /^\/ims\/token\/v3$/],
  ['adminToken', /^\/([^/]+)\/target\/authentication\/token$/],
  ['adminSettings', /^\/([^/]+)\/target\/clients\/settings$/],
];

function matchRoute(pathname: string): { name: RouteName; match: RegExpExecArray | null } {
  for (const [name, re] of ROUTES) {
    const match = re.exec(pathname);
    if (match) return { name, match };
  }
  return { name: 'unknown', match: null };
}

/**
 * The path's client code. Adobe's single-update docs write the literal `/m2/client/` (docs/target-api.md#endpoints); then the
 * code comes from a `<code>.tt.omtrdc.net` or `<code>.localhost` Host header when there is one.
 */
function clientCodeOf(pathCode: string, req: http.IncomingMessage): string {
  if (pathCode !== 'client') return pathCode;
  const host = /^([a-z0-9]+)\.(?:tt\.omtrdc\.net|localhost)(?::\d+)?$/.exec(req.headers.host ?? '');
  return host ? host[1] : pathCode;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const state = new EmulatorState(options);
  const server = http.createServer((req, res) => {
    handle(state, req, res).catch((error) => {
      if (!res.headersSent) jsonResponse(res, 500, { status: 500, message: String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  state.baseUrl = `http://${host}:${address.port}`;
  for (const seed of options.seed ?? []) state.profiles.seed(seed);
  for (const seed of options.activities ?? sampleActivities) state.activities.set(seed);
  return emulatorOf(state, server);
}

/** The handle tests and the extension hold: the state's control functions, and closing the server. */
function emulatorOf(state: EmulatorState, server: http.Server): Emulator {
  return {
    url: state.baseUrl,
    requests: state.requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    seedProfile: (profile) => state.profiles.seed(profile),
    setActivities: (seed) => state.activities.set(seed),
    impressions: () => state.activities.impressions(),
    exportProfiles: () => state.profiles.export(),
    failNext: (count, status, retryAfter) => state.failNext(count, status, retryAfter),
    setDelay: (ms) => state.setDelay(ms),
    dropNext: (count) => state.dropNext(count),
    stickNextBatch: () => state.stickNextBatch(),
    setAuth: (token, status) => state.setAuth(token, status),
    setStatusDelay: (ms) => state.setStatusDelay(ms),
    setRateLimit: (limit, windowMs) => state.setRateLimit(limit, windowMs),
    uploads: () => state.requests.filter((r) => r.route === 'batchUpdate').length,
    rotateToken: () => state.rotateToken(),
    setCredentials: (credentials) => state.setCredentials(credentials),
    setImsTokenTtl: (ms) => state.setImsTokenTtl(ms),
    expireImsTokens: () => state.expireImsTokens(),
    currentToken: () => state.token,
    authEnabled: () => state.authOn,
    reset: () => state.reset(),
  };
}

/** Every request but the control API's is recorded, then delayed, dropped or failed as the faults say. */
async function handle(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  if (url.pathname.startsWith(CONTROL_PREFIX)) {
    return handleControl(state, req, res, url.pathname.slice(CONTROL_PREFIX.length));
  }
  const { name, match } = matchRoute(url.pathname);
  const record: RequestRecord = {
    method: req.method ?? '',
    url: req.url ?? '',
    route: name,
    bytes: 0,
    ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
  };
  state.requests.push(record);
  res.on('finish', () => (record.status = res.statusCode));
  if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
  if (state.drops > 0) {
    state.drops--;
    return dropConnection(req, res);
  }
  if (state.failures.count > 0) {
    state.failures.count--;
    return answerInjectedFailure(req, res, state.failures);
  }
  if (name === 'imsToken') return handleImsToken(state, req, res);
  // The Delivery API needs no token (docs/target-api.md#delivery-api).
  if (name === 'delivery') return handleDelivery(state, req, res, url);
  if (name === 'adminToken' || name === 'adminSettings') {
    return handleAdminApi(state, req, res, url, name, decodeURIComponent(match![1]));
  }
  return handleProfileApi(state, req, res, url, name, match, record);
}

/**
 * The Target Profile API routes: a known path and method, the token while auth is on, and the rate
 * limit for bulk and status calls, before the route's own handler.
 */
async function handleProfileApi(
  state: EmulatorState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  name: RouteName,
  match: RegExpExecArray | null,
  record: RequestRecord,
): Promise<void> {
  if (!match || (name !== 'fetch' && !['GET', 'POST'].includes(req.method ?? ''))) {
    req.resume();
    return jsonResponse(res, 404, { status: 404, message: `No route for ${req.method} ${url.pathname}` });
  }
  if (!state.authorizes(req.headers.authorization)) {
    return textResponse(req, res, state.authStatus, state.authStatus === 401 ? 'Unauthorized' : 'Forbidden');
  }
  if (name === 'fetch') {
    const kind = match[1] === 'thirdPartyId' ? 'thirdPartyId' : match[1] ? 'ecid' : 'pcId';
    return handleProfileFetch(state, res, url, kind, match[2]);
  }
  const clientCode = clientCodeOf(decodeURIComponent(match[1]), req);
  if ((name === 'batchUpdate' || name === 'batchStatus') && state.overRateLimit(clientCode)) {
    return textResponse(req, res, 503, 'Service Unavailable: more than the allowed calls per minute');
  }
  if (name === 'update') return handleProfileUpdate(state, req, res, url, clientCode, record);
  if (name === 'batchUpdate') {
    if (req.method !== 'POST') {
      return xmlResponse(res, 405, '<response><success>false</success><message>Use POST</message></response>');
    }
    return handleBatchUpload(state, req, res, clientCode, match[2] !== undefined, record);
  }
  return handleBatchStatus(state, res, url, clientCode);
}
