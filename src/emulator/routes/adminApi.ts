import { randomUUID } from 'crypto';
import type * as http from 'http';
import { jsonResponse, readBody } from '../http';
import type { EmulatorState } from '../state';

/**
 * Adobe gives no lifetime for a profile API token; we use the ~62 days Target's UI shows, in seconds
 * (docs/target-api.md#profile-api-token).
 */
const PROFILE_TOKEN_LIFETIME_S = 62 * 24 * 60 * 60;

/** A trace (mboxTrace) token lasts 6 hours, as Target's UI says (docs/target-api.md#delivery-api). */
const TRACE_TOKEN_LIFETIME_S = 6 * 60 * 60;

/** The Admin API's AuthorizationToken shape (docs/target-api.md#developer-console-and-ims-tokens), which the control route's rotate answers with too. */
export function authorizationToken(accessToken: string | undefined, scope: string) {
  return {
    accessToken,
    tokenType: 'Bearer',
    scope,
    expiresIn: scope === 'debug_tools' ? TRACE_TOKEN_LIFETIME_S : PROFILE_TOKEN_LIFETIME_S,
  };
}

/** Each emulator's trace token, apart from its profile API token: the Delivery route takes any trace token. */
const traceTokens = new WeakMap<EmulatorState, string>();

/**
 * The Target Admin API: the profile API token (`GET|POST /{tenant}/target/authentication/token`) and
 * the settings ( `GET|PUT|PATCH /{tenant}/target/clients/settings`). Both need an unexpired IMS bearer,
 * the client id as X-Api-Key, and the credential's tenant.
 */
export async function handleAdminApi(
  state: EmulatorState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  route: 'adminToken' | 'adminSettings',
  tenant: string,
): Promise<void> {
  const text = req.method === 'GET' ? '' : (await readBody(req, 64 * 1024)).text;
  if (refusedCaller(state, req, res, tenant)) return;
  if (route === 'adminSettings') return handleSettings(state, req, res, text);
  handleProfileToken(state, req, res, url);
}

/** The Admin API's ErrorResponse (docs/target-api.md#error-shapes). */
function adminError(res: http.ServerResponse, status: number, errorCode: string, message: string): void {
  jsonResponse(res, status, {
    httpStatus: status,
    requestId: randomUUID(),
    requestTime: new Date().toISOString(),
    errors: [{ errorCode, message }],
  });
}

function adminJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/vnd.adobe.target.v1+json' });
  res.end(JSON.stringify(body));
}

/** Answers 401, 403 or 404 when the caller's IMS token, API key or tenant is wrong; true when it did. */
function refusedCaller(
  state: EmulatorState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  tenant: string,
): boolean {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const expires = bearer === undefined ? undefined : state.imsTokens.get(bearer);
  if (expires === undefined || Date.now() >= expires) {
    adminError(res, 401, 'Unauthorized', bearer === undefined ? 'Missing bearer token' : 'Oauth token is not valid');
    return true;
  }
  const credentials = state.credentials;
  if (!credentials || req.headers['x-api-key'] !== credentials.clientId) {
    adminError(res, 403, 'Forbidden', 'Api Key is invalid');
    return true;
  }
  // Adobe does not document the answer for another tenant; we assume 404, as Adobe I/O gateways answer
  // for unknown paths (docs/target-api.md#what-the-emulator-assumes).
  if (tenant !== credentials.tenant) {
    adminError(res, 404, 'Tenant.NotFound', `Unknown tenant '${tenant}'`);
    return true;
  }
  return false;
}

/** The settings route: reads "Require Authentication", or sets it (PUT or PATCH `enableProfileApiAuthentication`). */
function handleSettings(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, text: string) {
  if (req.method === 'PUT' || req.method === 'PATCH') {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text || '{}') as Record<string, unknown>;
    } catch {
      return adminError(res, 400, 'Invalid.Request', 'The body must be JSON');
    }
    if (typeof body.enableProfileApiAuthentication === 'boolean') {
      state.authOn = body.enableProfileApiAuthentication;
      if (state.authOn && state.token === undefined) state.token = randomUUID();
    }
  } else if (req.method !== 'GET') return adminError(res, 405, 'Method.NotAllowed', 'Use GET, PUT or PATCH');
  adminJson(res, 200, { enableProfileApiAuthentication: state.authOn });
}

/** The token route: GET gives the current profile API (or, with scope debug_tools, trace) token, POST a new one (201). */
function handleProfileToken(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
  const scope = url.searchParams.get('authorizationScope');
  if (scope !== 'profile_api' && scope !== 'debug_tools') {
    return adminError(res, 400, 'Invalid.Parameter', 'authorizationScope must be profile_api or debug_tools');
  }
  if (req.method !== 'GET' && req.method !== 'POST') {
    return adminError(res, 405, 'Method.NotAllowed', 'Use GET or POST');
  }
  if (scope === 'debug_tools') {
    let trace = traceTokens.get(state);
    if (req.method === 'POST' || trace === undefined) traceTokens.set(state, (trace = `trace-${randomUUID()}`));
    return adminJson(res, req.method === 'POST' ? 201 : 200, authorizationToken(trace, scope));
  }
  // Unlike the control route's rotateToken(), a POST here leaves "Require Authentication" as it is, as Target's does.
  if (req.method === 'POST' || state.token === undefined) state.token = randomUUID();
  adminJson(res, req.method === 'POST' ? 201 : 200, authorizationToken(state.token, scope));
}
