import type * as http from 'http';
import { jsonResponse, readBody } from '../http';
import type { EmulatorState } from '../state';
import type { ActivitySeed } from '../activities';
import type { SeedProfile } from '../types';
import { authorizationToken } from './adminApi';

/**
 * The control API over HTTP, for out-of-process tests: `/__emulator/{action}` with a JSON body (a GET
 * has none). The same changes are functions on `Emulator`. Answers `{ok: true}` unless noted.
 *   POST /__emulator/fail    {count, status, retryAfter?}   fail the next N requests with status S
 *   POST /__emulator/delay   {ms}                           delay every response by D ms
 *   POST /__emulator/drop    {count?}                       drop the connection mid-body, N times
 *   POST /__emulator/stuck   {}                             the next batch stays `stuck`
 *   POST /__emulator/auth    {token: string|null, status?}  require `Bearer token` (401, or 403)
 *   POST /__emulator/rotate  {}                             new token, the old one fails; 201 {accessToken, ...}
 *   POST /__emulator/config  {statusDelayMs?, rateLimit?, rateWindowMs?}
 *   POST /__emulator/seed    SeedProfile | {profiles: SeedProfile[]}
 *   GET  /__emulator/profiles                               {profiles: ExportedProfile[]}
 *   GET  /__emulator/requests                               {requests: RequestRecord[]}
 *   POST /__emulator/reset                                  forget profiles, batches, faults, requests
 *   POST /__emulator/credentials {clientId, clientSecret, tenant} | {}   the Developer Console credential IMS accepts
 *   POST /__emulator/ims     {ttlMs?, expire?}              IMS token lifetime; `expire` ends every issued one now
 *   POST /__emulator/activities ActivitySeed | {activities: ActivitySeed[]}   set client codes' activities
 *   GET  /__emulator/activities                             {activities: ActivitySeed[]}
 *   GET  /__emulator/impressions                            {impressions: [{clientCode, activityId, experienceId, count}]}
 */
export async function handleControl(
  state: EmulatorState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  action: string,
): Promise<void> {
  const text = req.method === 'POST' ? (await readBody(req, 16 * 1024 * 1024)).text : '';
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return jsonResponse(res, 400, { error: 'the body must be JSON' });
  }
  runAction(state, req, res, action, body);
}

function runAction(
  state: EmulatorState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  action: string,
  body: Record<string, unknown>,
): void {
  const num = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback);
  switch (action) {
    case 'fail':
      state.failNext(
        num(body.count, 1),
        num(body.status, 503),
        typeof body.retryAfter === 'string' ? body.retryAfter : undefined,
      );
      break;
    case 'delay':
      state.setDelay(num(body.ms, 0));
      break;
    case 'drop':
      state.dropNext(num(body.count, 1));
      break;
    case 'stuck':
      state.stickNextBatch();
      break;
    case 'auth':
      state.setAuth(typeof body.token === 'string' ? body.token : undefined, body.status === 403 ? 403 : 401);
      break;
    case 'rotate':
      if (req.method !== 'POST') return jsonResponse(res, 405, { error: 'use POST' });
      return jsonResponse(res, 201, authorizationToken(state.rotateToken(), 'profile_api'));
    case 'config':
      if (typeof body.statusDelayMs === 'number') state.setStatusDelay(body.statusDelayMs);
      state.setRateLimit(num(body.rateLimit, state.rateLimit), num(body.rateWindowMs, state.rateWindowMs));
      break;
    case 'seed':
      for (const p of Array.isArray(body.profiles)
        ? (body.profiles as SeedProfile[])
        : [body as unknown as SeedProfile]) {
        state.profiles.seed(p);
      }
      break;
    case 'profiles':
      return jsonResponse(res, 200, { profiles: state.profiles.export() });
    case 'requests':
      return jsonResponse(res, 200, { requests: state.requests });
    case 'reset':
      state.reset();
      break;
    case 'credentials':
      state.setCredentials(
        typeof body.clientId === 'string' && typeof body.clientSecret === 'string' && typeof body.tenant === 'string'
          ? { clientId: body.clientId, clientSecret: body.clientSecret, tenant: body.tenant }
          : undefined,
      );
      break;
    case 'activities': {
      if (req.method !== 'POST') return jsonResponse(res, 200, { activities: state.activities.all() });
      const seeds =
        Array.isArray(body.activities) && body.clientCode === undefined
          ? (body.activities as ActivitySeed[])
          : [body as unknown as ActivitySeed];
      for (const seed of seeds) {
        if (typeof seed?.clientCode !== 'string' || !Array.isArray(seed.activities)) {
          return jsonResponse(res, 400, { error: 'each seed needs a clientCode and a list of activities' });
        }
      }
      for (const seed of seeds) state.activities.set(seed);
      break;
    }
    case 'impressions':
      return jsonResponse(res, 200, { impressions: state.activities.impressions() });
    case 'ims':
      if (typeof body.ttlMs === 'number') state.setImsTokenTtl(body.ttlMs);
      if (body.expire === true) state.expireImsTokens();
      break;
    default:
      return jsonResponse(res, 404, { error: `unknown control route ${action}` });
  }
  jsonResponse(res, 200, { ok: true });
}
