import { randomUUID } from 'crypto';
import type * as http from 'http';
import { jsonResponse, readBody } from '../http';
import type { EmulatorState } from '../state';

/** Adobe IMS's client_credentials grant (`POST /ims/token/v3`, form body), for the one configured credential. */
export async function handleImsToken(
  state: EmulatorState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  if (req.method !== 'POST') {
    req.resume();
    return jsonResponse(res, 405, { error: 'invalid_request', error_description: 'use POST' });
  }
  const form = new URLSearchParams((await readBody(req, 64 * 1024)).text);
  const credentials = state.credentials;
  if (form.get('grant_type') !== 'client_credentials') {
    return jsonResponse(res, 400, {
      error: 'unsupported_grant_type',
      error_description: 'only client_credentials is supported here',
    });
  }
  if (!credentials || form.get('client_id') !== credentials.clientId) {
    return jsonResponse(res, 401, { error: 'invalid_client', error_description: 'invalid client_id parameter' });
  }
  if (form.get('client_secret') !== credentials.clientSecret) {
    return jsonResponse(res, 401, { error: 'invalid_client', error_description: 'invalid client_secret parameter' });
  }
  if (!form.get('scope')) {
    return jsonResponse(res, 400, { error: 'invalid_scope', error_description: 'scope is required' });
  }
  const accessToken = `ims-${randomUUID()}`;
  state.imsTokens.set(accessToken, Date.now() + state.imsTokenTtlMs);
  jsonResponse(res, 200, {
    access_token: accessToken,
    token_type: 'bearer',
    expires_in: Math.max(1, Math.floor(state.imsTokenTtlMs / 1000)),
  });
}
