import { randomUUID } from 'crypto';
import type * as http from 'http';
import { type QaModeInput, decide, knownPropertyTokens, responseTokens } from '../activities';
import { jsonResponse, readBody } from '../http';
import type { Profile } from '../profiles';
import type { EmulatorState } from '../state';

/**
 * The Delivery API, `POST /rest/v1/delivery?client={client}&sessionId={id}` (docs/target-api.md#delivery-api):
 * reads the visitor's profile from the same store the profile routes write, so an update shows at once
 * (Target itself may take up to 24 hours), decides each mbox with the activity model (activities.ts), and
 * answers under `prefetch` or `execute` as asked. Only `execute` counts impressions. Errors are Target's
 * `{status, message}` with HTTP 400.
 */

const MAX_MBOXES = 50;
const SESSION_ID = /^[\x21-\x7e]{1,128}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(res: http.ServerResponse, message: string): void {
  jsonResponse(res, 400, { status: 400, message });
}

interface MboxRequest {
  index: number;
  name: string;
}

/** The mbox list of `prefetch` or `execute`, or a message saying what is wrong with it. */
function readMboxList(section: unknown): MboxRequest[] | string {
  if (section === undefined) return [];
  if (!isObject(section) || (section.mboxes !== undefined && !Array.isArray(section.mboxes))) {
    return 'mboxes must be a list';
  }
  const list = (section.mboxes ?? []) as unknown[];
  const out: MboxRequest[] = [];
  for (const m of list) {
    if (!isObject(m) || typeof m.name !== 'string' || m.name === '' || typeof m.index !== 'number') {
      return 'every mbox needs an index and a non-empty name';
    }
    out.push({ index: m.index, name: m.name });
  }
  return out;
}

export async function handleDelivery(
  state: EmulatorState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
): Promise<void> {
  const { text } = await readBody(req, 1024 * 1024);
  if (req.method !== 'POST') return jsonResponse(res, 405, { status: 405, message: 'Use POST' });
  const clientCode = url.searchParams.get('client');
  if (!clientCode) return bad(res, 'The client parameter is required');
  const sessionId = url.searchParams.get('sessionId');
  if (!sessionId || !SESSION_ID.test(sessionId) || /[?{}/]/.test(sessionId)) {
    return bad(res, 'The sessionId parameter is required: 1-128 printable characters, no space, ?, {, } or /');
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return bad(res, 'The body must be JSON');
  }
  if (!isObject(body)) return bad(res, 'The body must be a JSON object');
  if (!isObject(body.context) || (body.context.channel !== 'web' && body.context.channel !== 'mobile')) {
    return bad(res, 'context.channel is required: web or mobile');
  }
  const prefetch = readMboxList(body.prefetch);
  const execute = readMboxList(body.execute);
  if (typeof prefetch === 'string') return bad(res, `prefetch: ${prefetch}`);
  if (typeof execute === 'string') return bad(res, `execute: ${execute}`);
  if (prefetch.length + execute.length > MAX_MBOXES) return bad(res, `At most ${MAX_MBOXES} mboxes per request`);

  const seed = state.activities.get(clientCode);
  const property = isObject(body.property) ? body.property.token : undefined;
  if (property !== undefined && (typeof property !== 'string' || !knownPropertyTokens(seed).has(property))) {
    return bad(res, 'Invalid property token');
  }
  const trace = isObject(body.trace) ? body.trace : undefined;
  if (trace && (typeof trace.authorizationToken !== 'string' || trace.authorizationToken === '')) {
    return bad(res, 'trace.authorizationToken is required');
  }
  let qaMode: QaModeInput | undefined;
  if (body.qaMode !== undefined) {
    if (!isObject(body.qaMode) || typeof body.qaMode.token !== 'string' || body.qaMode.token === '') {
      return bad(res, 'qaMode.token is required');
    }
    qaMode = body.qaMode as unknown as QaModeInput;
  }

  const ids = isObject(body.id) ? body.id : {};
  const acct = state.profiles.account(clientCode);
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const tntId = str(ids.tntId);
  const thirdPartyId = str(ids.thirdPartyId);
  const ecid = str(ids.marketingCloudVisitorId);
  const profile: Profile | undefined =
    (thirdPartyId !== undefined ? acct.byThirdPartyId.get(thirdPartyId) : undefined) ??
    (ecid !== undefined ? acct.byEcid.get(ecid) : undefined) ??
    (tntId !== undefined ? acct.byPcId.get(tntId) : undefined);

  const answer = (mboxes: MboxRequest[], counted: boolean) =>
    mboxes.map((m) => {
      const { decision, trace: evaluation } = decide(seed, m.name, profile, {
        ...(typeof property === 'string' ? { propertyToken: property } : {}),
        ...(qaMode ? { qaMode } : {}),
      });
      if (decision && counted) state.activities.countImpression(clientCode, decision);
      const option = decision
        ? [
            {
              type: decision.experience.offer.type,
              content: decision.experience.offer.content,
              responseTokens: responseTokens(seed!, decision, profile),
              ...(counted
                ? {}
                : { eventToken: Buffer.from(`${decision.activity.id}:${decision.experience.id}`).toString('base64') }),
            },
          ]
        : [];
      return {
        index: m.index,
        name: m.name,
        ...(option.length ? { options: option } : {}),
        ...(trace
          ? {
              trace: {
                clientCode,
                sessionId,
                profile: profile
                  ? {
                      tntId: profile.pcId,
                      attributes: Object.fromEntries([...profile.attributes].map(([k, v]) => [k, v.value])),
                    }
                  : null,
                campaigns: evaluation,
              },
            }
          : {}),
      };
    });

  const host = req.headers.host ?? 'localhost';
  jsonResponse(res, 200, {
    status: 200,
    requestId: typeof body.requestId === 'string' ? body.requestId : randomUUID(),
    client: clientCode,
    id: {
      tntId: profile?.pcId ?? tntId ?? `${randomUUID().replace(/-/g, '')}.1_1`,
      ...(thirdPartyId !== undefined ? { thirdPartyId } : {}),
      ...(ecid !== undefined ? { marketingCloudVisitorId: ecid } : {}),
    },
    edgeHost: host,
    ...(prefetch.length ? { prefetch: { mboxes: answer(prefetch, false) } } : {}),
    ...(execute.length ? { execute: { mboxes: answer(execute, true) } } : {}),
  });
}
