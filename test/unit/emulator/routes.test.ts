import * as assert from 'assert';
import { Emulator, startEmulator } from '../../../src/emulator/server';

/** What the emulator answered, read whole. */
async function call(url: string, init: RequestInit = {}): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(url, init);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

const form = (body: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body,
});

describe('emulator: answers of each route to requests the client never sends', () => {
  let emulator: Emulator;
  let u: string;
  beforeEach(async () => {
    emulator = await startEmulator({
      seed: [{ clientCode: 'acme', pcId: 'p1', thirdPartyId: 't1', attributes: { tier: 'gold' } }],
    });
    u = emulator.url;
  });
  afterEach(() => emulator.close());

  it('profile update: 400 without an id, 404 for another method, and an unknown visitor is not created', async () => {
    const missing = await call(`${u}/m2/acme/profile/update?profile.a=1`);
    assert.strictEqual(missing.status, 400);
    assert.match(missing.type, /^text\/xml/);
    assert.match(missing.text, /<success>false<\/success>.*mboxPC or mbox3rdPartyId is required/);
    const put = await call(`${u}/m2/acme/profile/update`, { method: 'PUT', body: 'x' });
    assert.strictEqual(put.status, 404);
    assert.deepStrictEqual(JSON.parse(put.text), { status: 404, message: 'No route for PUT /m2/acme/profile/update' });
    const unknown = await call(`${u}/m2/acme/profile/update`, form('mbox3rdPartyId=ghost&profile.a=1'));
    assert.strictEqual(unknown.status, 200);
    assert.match(unknown.text, /<success>true<\/success>/);
    assert.deepStrictEqual(
      emulator.exportProfiles().map((p) => p.thirdPartyId),
      ['t1'],
    );
  });

  it('profile fetch: 400 without ?client= and for a malformed id', async () => {
    const noClient = await call(`${u}/rest/v1/profiles/p1`);
    assert.strictEqual(noClient.status, 400);
    assert.strictEqual(JSON.parse(noClient.text).message, 'The client parameter is required');
    const malformed = await call(`${u}/rest/v1/profiles/%E0%A4%A?client=acme`);
    assert.strictEqual(malformed.status, 400);
    assert.strictEqual(JSON.parse(malformed.text).message, 'Malformed id');
    const ecid = await call(`${u}/rest/v1/profiles/marketingCloudVisitorId/none?client=acme`);
    assert.strictEqual(
      JSON.parse(ecid.text).message,
      'No profile found for client acme with marketingCloudVisitorId=none',
    );
  });

  it('batch upload: 405 for a GET, success=false for a body without a batch field', async () => {
    const get = await call(`${u}/m2/acme/profile/batchUpdate`);
    assert.strictEqual(get.status, 405);
    assert.strictEqual(get.text, '<response><success>false</success><message>Use POST</message></response>');
    const empty = await call(`${u}/m2/acme/profile/batchUpdate`, form('other=pcId,a\n1,2\n'));
    assert.strictEqual(empty.status, 200);
    assert.match(
      empty.text,
      /<success>false<\/success>\n {4}<batchStatus><\/batchStatus>\n {4}<message>Batch is empty/,
    );
    assert.strictEqual(emulator.requests.at(-1)!.bytes, 'other=pcId,a\n1,2\n'.length);
  });

  it('batch status: lists the failed ids only once complete, and only under its own client code', async () => {
    emulator.setStatusDelay(60_000);
    const upload = await call(`${u}/m2/acme/v2/profile/batchUpdate`, form('batch=pcId,a\n,x\np1,y,extra\n'));
    const statusUrl = /<batchStatus>([^<]+)</.exec(upload.text)![1].replace(/&amp;/g, '&');
    const pending = await call(statusUrl);
    assert.match(
      pending.text,
      /^<response><batchId>acme-\d+-\d+<\/batchId><status>incomplete<\/status><batchSize>2<\/batchSize><\/response>$/,
    );
    emulator.setStatusDelay(0);
    // The status delay is read when a batch is accepted: the first stays incomplete.
    assert.match((await call(statusUrl)).text, /<status>incomplete<\/status>/);
    const other = await call(statusUrl.replace('/m2/acme/', '/m2/other/'));
    assert.strictEqual(other.status, 404);

    const done = await call(`${u}/m2/acme/v2/profile/batchUpdate`, form('batch=pcId,a\n,x\np1,y,extra\n'));
    const doneUrl = /<batchStatus>([^<]+)</.exec(done.text)![1].replace(/&amp;/g, '&');
    const plain = await call(doneUrl);
    assert.match(
      plain.text,
      /<status>complete<\/status><batchSize>2<\/batchSize>\n {4}<profile>\n {8}<id><\/id>\n {8}<status>failed<\/status>\n {4}<\/profile>\n {4}<profile>\n {8}<id>p1<\/id>/,
    );
    const details = await call(`${doneUrl}&showDetails=true`);
    assert.match(
      details.text,
      /<consumedCount>2<\/consumedCount>\n {4}<successfulUpdates>0<\/successfulUpdates>\n {4}<profilesNotFound>0<\/profilesNotFound>\n {4}<failedUpdates>2<\/failedUpdates>/,
    );
  });

  it('rate limit: counts bulk and status calls per client code, and answers 503 in plain text', async () => {
    emulator.setRateLimit(1, 60_000);
    assert.strictEqual((await call(`${u}/m2/acme/profile/batchStatus?batchId=x`)).status, 404);
    const limited = await call(`${u}/m2/acme/profile/batchStatus?batchId=x`);
    assert.strictEqual(limited.status, 503);
    assert.strictEqual(limited.text, 'Service Unavailable: more than the allowed calls per minute');
    assert.strictEqual((await call(`${u}/m2/other/profile/batchStatus?batchId=x`)).status, 404);
    assert.strictEqual((await call(`${u}/m2/acme/profile/update?mboxPC=p1`)).status, 200);
  });

  it('injected failures answer any route, IMS included, with the status, Retry-After and a plain message', async () => {
    emulator.failNext(2, 429, '7');
    const first = await call(`${u}/ims/token/v3`, form('grant_type=client_credentials'));
    assert.strictEqual(first.status, 429);
    assert.strictEqual(first.text, 'Injected failure: HTTP 429');
    const res = await fetch(`${u}/nowhere`);
    assert.strictEqual(res.headers.get('retry-after'), '7');
    await res.text();
    assert.strictEqual((await call(`${u}/nowhere`)).status, 404);
  });

  it('control API: 400 for a body that is not JSON, 404 for an unknown action, GET works for reset', async () => {
    const bad = await call(`${u}/__emulator/seed`, { method: 'POST', body: '{bad' });
    assert.deepStrictEqual([bad.status, JSON.parse(bad.text)], [400, { error: 'the body must be JSON' }]);
    const unknown = await call(`${u}/__emulator/nope`, { method: 'POST', body: '{}' });
    assert.deepStrictEqual([unknown.status, JSON.parse(unknown.text)], [404, { error: 'unknown control route nope' }]);
    await call(`${u}/rest/v1/profiles/p1?client=acme`);
    assert.strictEqual((await call(`${u}/__emulator/reset`)).text, '{"ok":true}');
    assert.deepStrictEqual(emulator.exportProfiles(), []);
    assert.deepStrictEqual(emulator.requests, [], 'control calls are not recorded');
  });

  it('control API: credentials and ims set what IMS accepts and how long its tokens work', async () => {
    const imsForm = form('grant_type=client_credentials&client_id=c1&client_secret=s1&scope=openid');
    assert.strictEqual((await call(`${u}/ims/token/v3`, imsForm)).status, 401, 'no credential configured');
    const post = (action: string, body: unknown) =>
      call(`${u}/__emulator/${action}`, { method: 'POST', body: JSON.stringify(body) });
    await post('credentials', { clientId: 'c1', clientSecret: 's1', tenant: 't' });
    await post('ims', { ttlMs: 3000 });
    const issued = await call(`${u}/ims/token/v3`, imsForm);
    assert.strictEqual(JSON.parse(issued.text).expires_in, 3);
    const token = JSON.parse(issued.text).access_token as string;
    const settings = () =>
      call(`${u}/t/target/clients/settings`, { headers: { authorization: `Bearer ${token}`, 'x-api-key': 'c1' } });
    assert.strictEqual((await settings()).status, 200);
    await post('ims', { expire: true });
    assert.strictEqual((await settings()).status, 401);
    await post('credentials', {});
    assert.strictEqual((await call(`${u}/ims/token/v3`, imsForm)).status, 401);
  });

  it('Admin API: debug_tools scope, 405 for other methods, 400 for a settings body that is not JSON', async () => {
    emulator.setCredentials({ clientId: 'c1', clientSecret: 's1', tenant: 'ten' });
    const ims = JSON.parse(
      (await call(`${u}/ims/token/v3`, form('grant_type=client_credentials&client_id=c1&client_secret=s1&scope=x')))
        .text,
    ).access_token as string;
    const headers = { authorization: `Bearer ${ims}`, 'x-api-key': 'c1' };
    const token = `${u}/ten/target/authentication/token`;
    const debug = await call(`${token}?authorizationScope=debug_tools`, { headers });
    assert.strictEqual(debug.status, 200);
    assert.strictEqual(JSON.parse(debug.text).scope, 'debug_tools');
    // A trace token lasts 6 hours and is not the profile API token.
    assert.strictEqual(JSON.parse(debug.text).expiresIn, 6 * 60 * 60);
    const profile = await call(`${token}?authorizationScope=profile_api`, { headers });
    assert.notStrictEqual(JSON.parse(profile.text).accessToken, JSON.parse(debug.text).accessToken);
    assert.strictEqual(JSON.parse(profile.text).expiresIn, 62 * 24 * 60 * 60);
    assert.strictEqual(
      (await call(`${token}?authorizationScope=profile_api`, { method: 'DELETE', headers })).status,
      405,
    );
    const settings = `${u}/ten/target/clients/settings`;
    const notJson = await call(settings, { method: 'PUT', headers, body: 'nope' });
    assert.strictEqual(notJson.status, 400);
    assert.strictEqual(JSON.parse(notJson.text).errors[0].errorCode, 'Invalid.Request');
    assert.strictEqual((await call(settings, { method: 'DELETE', headers })).status, 405);
  });

  it('Admin API: turning "Require Authentication" on with no token makes one, which the Profile API then needs', async () => {
    emulator.setCredentials({ clientId: 'c1', clientSecret: 's1', tenant: 'ten' });
    const ims = JSON.parse(
      (await call(`${u}/ims/token/v3`, form('grant_type=client_credentials&client_id=c1&client_secret=s1&scope=x')))
        .text,
    ).access_token as string;
    const headers = { authorization: `Bearer ${ims}`, 'x-api-key': 'c1', 'content-type': 'application/json' };
    assert.strictEqual(emulator.currentToken(), undefined);
    const on = await call(`${u}/ten/target/clients/settings`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ enableProfileApiAuthentication: true }),
    });
    assert.deepStrictEqual(JSON.parse(on.text), { enableProfileApiAuthentication: true });
    const token = emulator.currentToken();
    assert.match(token ?? '', /^[0-9a-f-]{36}$/);
    assert.strictEqual((await call(`${u}/rest/v1/profiles/p1?client=acme`)).status, 401);
    const ok = await call(`${u}/rest/v1/profiles/p1?client=acme`, { headers: { authorization: `Bearer ${token}` } });
    assert.strictEqual(ok.status, 200);
  });
});
