import * as assert from 'assert';
import { Emulator, startEmulator } from '../../../src/emulator/server';

const CREDENTIALS = {
  clientId: 'console-client-7f3a',
  clientSecret: 'p8e-SECRET-d41d8cd98f00b204',
  tenant: 'acmetenant',
};

/** Plain fetch against the emulator (loopback only). */
async function call(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; json: Record<string, unknown>; type: string }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return {
    status: res.status,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    type: res.headers.get('content-type') ?? '',
  };
}

function imsForm(overrides: Record<string, string> = {}): RequestInit {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: CREDENTIALS.clientId,
    client_secret: CREDENTIALS.clientSecret,
    scope: 'openid,AdobeID,target_sdk',
    ...overrides,
  });
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() };
}

describe('emulator: Adobe IMS and the Target Admin API', () => {
  let emulator: Emulator;
  beforeEach(async () => {
    emulator = await startEmulator({ credentials: CREDENTIALS, imsTokenTtlMs: 60_000 });
  });
  afterEach(() => emulator.close());

  async function imsToken(): Promise<string> {
    const r = await call(`${emulator.url}/ims/token/v3`, imsForm());
    assert.strictEqual(r.status, 200);
    return r.json.access_token as string;
  }
  const admin = (token: string, apiKey = CREDENTIALS.clientId) => ({
    authorization: `Bearer ${token}`,
    'x-api-key': apiKey,
  });

  it('IMS issues tokens for the configured credential only, with expires_in in seconds', async () => {
    const ok = await call(`${emulator.url}/ims/token/v3`, imsForm());
    assert.deepStrictEqual(Object.keys(ok.json).sort(), ['access_token', 'expires_in', 'token_type']);
    assert.strictEqual(ok.json.expires_in, 60);
    for (const wrong of [{ client_id: 'nope' }, { client_secret: 'nope' }] as Record<string, string>[]) {
      const r = await call(`${emulator.url}/ims/token/v3`, imsForm(wrong));
      assert.strictEqual(r.status, 401);
      assert.strictEqual(r.json.error, 'invalid_client');
      assert.strictEqual(typeof r.json.error_description, 'string');
    }
    assert.strictEqual(
      (await call(`${emulator.url}/ims/token/v3`, imsForm({ grant_type: 'password' }))).json.error,
      'unsupported_grant_type',
    );
  });

  it('Admin API: GET gives the current profile token, POST rotates it (201) and the old one stops working', async () => {
    emulator.setAuth('first-token');
    const ims = await imsToken();
    const url = `${emulator.url}/acmetenant/target/authentication/token?authorizationScope=profile_api`;
    const got = await call(url, { headers: admin(ims) });
    assert.strictEqual(got.status, 200);
    assert.match(got.type, /application\/vnd\.adobe\.target\.v1\+json/);
    assert.strictEqual(got.json.accessToken, 'first-token');
    const rotated = await call(url, { method: 'POST', headers: admin(ims) });
    assert.strictEqual(rotated.status, 201);
    assert.notStrictEqual(rotated.json.accessToken, 'first-token');
    assert.strictEqual(emulator.currentToken(), rotated.json.accessToken);
    const oldFetch = await fetch(`${emulator.url}/rest/v1/profiles/thirdPartyId/x?client=acme`, {
      headers: { authorization: 'Bearer first-token' },
    });
    assert.strictEqual(oldFetch.status, 401);
    await oldFetch.text();
  });

  it('Admin API requires an unexpired IMS bearer, the client id as X-Api-Key, the tenant and the scope', async () => {
    const ims = await imsToken();
    const url = `${emulator.url}/acmetenant/target/authentication/token?authorizationScope=profile_api`;
    assert.strictEqual((await call(url)).status, 401);
    assert.strictEqual((await call(url, { headers: admin('ims-made-up') })).status, 401);
    assert.strictEqual((await call(url, { headers: admin(ims, 'other-key') })).status, 403);
    const other = await call(`${emulator.url}/othertenant/target/authentication/token?authorizationScope=profile_api`, {
      headers: admin(ims),
    });
    assert.strictEqual(other.status, 404);
    assert.deepStrictEqual(Object.keys(other.json).sort(), ['errors', 'httpStatus', 'requestId', 'requestTime']);
    assert.strictEqual(
      (await call(`${emulator.url}/acmetenant/target/authentication/token`, { headers: admin(ims) })).status,
      400,
    );
    emulator.expireImsTokens();
    assert.strictEqual((await call(url, { headers: admin(ims) })).status, 401);
  });

  it('IMS tokens expire after imsTokenTtlMs', async () => {
    emulator.setImsTokenTtl(50);
    const ims = await imsToken();
    await new Promise((r) => setTimeout(r, 80));
    const r = await call(`${emulator.url}/acmetenant/target/clients/settings`, { headers: admin(ims) });
    assert.strictEqual(r.status, 401);
  });

  it('settings: enableProfileApiAuthentication follows setAuth, and PATCH turns it on and off', async () => {
    const ims = await imsToken();
    const url = `${emulator.url}/acmetenant/target/clients/settings`;
    assert.strictEqual((await call(url, { headers: admin(ims) })).json.enableProfileApiAuthentication, false);
    emulator.setAuth('t-1');
    assert.strictEqual((await call(url, { headers: admin(ims) })).json.enableProfileApiAuthentication, true);
    const patched = await call(url, {
      method: 'PATCH',
      headers: { ...admin(ims), 'content-type': 'application/json' },
      body: JSON.stringify({ enableProfileApiAuthentication: false }),
    });
    assert.strictEqual(patched.json.enableProfileApiAuthentication, false);
    assert.strictEqual(emulator.authEnabled(), false);
  });
});
