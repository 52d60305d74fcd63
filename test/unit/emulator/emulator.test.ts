import * as assert from 'assert';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { BatchSubmitError, TargetClient, TargetClientOptions } from '../../../src/core/target/client';
import { TargetError } from '../../../src/core/target/errors';
import { RateLimiter } from '../../../src/core/target/limiter';
import { Emulator, startEmulator } from '../../../src/emulator/server';
import { rejection } from '../../support/fakeClock';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-emu-'));
let fileCounter = 0;
function batchFile(content: string): string {
  const p = path.join(dir, `b${fileCounter++}.batch`);
  fs.writeFileSync(p, content);
  return p;
}

describe('target client against the emulator over HTTP', () => {
  let emulator: Emulator;
  const clients: TargetClient[] = [];

  function client(
    overrides: Partial<TargetClientOptions> & { apiVersion?: 'v1' | 'v2'; token?: string } = {},
  ): TargetClient {
    const { apiVersion = 'v2', token, ...rest } = overrides;
    const c = new TargetClient({
      connection: { clientCode: 'acme', baseUrl: emulator.url, apiVersion, ...(token ? { token } : {}) },
      retry: { baseDelayMs: 10, maxDelayMs: 50 },
      limiter: new RateLimiter(),
      proxy: {},
      ...rest,
    });
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    emulator = await startEmulator({
      seed: [
        { clientCode: 'acme', pcId: '1368007744041-575948.01_00', thirdPartyId: 'crm-1', attributes: { tier: 'gold' } },
      ],
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await emulator.close();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('updates a profile by pcId with GET, every character intact, and never creates one', async () => {
    const tricky = 'a&b=c#d?e+f g\nh\0i é 😀 %41';
    const result = await client().updateProfile({
      id: { pcId: '1368007744041-575948.01_00' },
      attributes: [
        ['note', tricky],
        ['empty', ''],
      ],
    });
    assert.deepStrictEqual(result, {
      method: 'GET',
      status: 200,
      success: true,
      message: 'Request successfully submitted',
    });
    await client().updateProfile({ id: { thirdPartyId: 'nobody' }, attributes: { a: '1' } });
    const profiles = emulator.exportProfiles();
    assert.strictEqual(profiles.length, 1);
    assert.strictEqual(profiles[0].attributes.note.value, tricky);
    assert.strictEqual(profiles[0].attributes.empty, undefined, 'empty values are ignored');
    assert.strictEqual(profiles[0].attributes.tier.value, 'gold');
    assert.match(profiles[0].attributes.note.modifiedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
  });

  it('switches to a form POST above 8 KB, which the emulator accepts up to 60 KB', async () => {
    const big = 'ü'.repeat(3000); // 18,000 bytes encoded
    const result = await client().updateProfile({ id: { thirdPartyId: 'crm-1' }, attributes: { big } });
    assert.strictEqual(result.method, 'POST');
    assert.strictEqual(emulator.exportProfiles()[0].attributes.big.value, big);
    assert.strictEqual(emulator.requests[0].url, '/m2/acme/profile/update');
  });

  it('answers oversize requests the way Target does: 414 for a long GET, 413 for a big POST', async () => {
    const get = await fetchRaw(`${emulator.url}/m2/acme/profile/update?mboxPC=1&profile.a=${'x'.repeat(9000)}`);
    assert.strictEqual(get.status, 414);
    const post = await fetchRaw(
      `${emulator.url}/m2/acme/profile/update`,
      'POST',
      `mboxPC=1&profile.a=${'x'.repeat(62_000)}`,
    );
    assert.strictEqual(post.status, 413);
  });

  it('fetches by pcId, thirdPartyId and ECID, and turns the documented 404 into found: false', async () => {
    emulator.seedProfile({ clientCode: 'acme', pcId: 'p2', marketingCloudVisitorId: 'ecid-9', attributes: { a: '1' } });
    const byPc = await client().fetchProfile({ pcId: '1368007744041-575948.01_00' });
    assert.ok(byPc.found);
    assert.deepStrictEqual(Object.keys(byPc.profile), ['client', 'visitorId', 'modifiedAt', 'profileAttributes']);
    assert.strictEqual(byPc.profile.client, 'acme');
    const byThird = await client().fetchProfile({ thirdPartyId: 'crm-1' });
    assert.ok(
      byThird.found && (byThird.profile.profileAttributes as Record<string, { value: string }>).tier.value === 'gold',
    );
    assert.ok((await client().fetchProfile({ marketingCloudVisitorId: 'ecid-9' })).found);
    assert.deepStrictEqual(await client().fetchProfile({ thirdPartyId: 'ghost' }), {
      found: false,
      status: 404,
      message: 'No profile found for client acme with third party id=ghost',
    });
    assert.deepStrictEqual(await client().fetchProfile({ pcId: 'ghost' }), {
      found: false,
      status: 404,
      message: 'No profile found for client acme with mboxPC=ghost',
    });
  });

  it('v1 updates existing profiles only and counts the rest as not found; v2 creates them', async () => {
    const content = 'batch=thirdPartyId,tier,city\ncrm-1,platinum,Paris\nnew-1,silver\n\nnew-2,,Rome\n';
    const [v1] = await client({ apiVersion: 'v1' }).submitBatch(batchFile(content));
    assert.strictEqual(v1.rows, 3);
    const s1 = await client().batchStatus(v1.batchStatus, { details: true });
    assert.deepStrictEqual(
      { ...s1, batchId: '' },
      {
        batchId: '',
        status: 'complete',
        batchSize: 3,
        consumedCount: 3,
        successfulUpdates: 1,
        profilesNotFound: 2,
        failedUpdates: 0,
        profiles: [],
      },
    );
    assert.match(s1.batchId, /^acme-\d{13}-\d+$/);
    assert.strictEqual(emulator.exportProfiles().length, 1);
    assert.strictEqual(emulator.exportProfiles()[0].attributes.tier.value, 'platinum');

    const [v2] = await client({ apiVersion: 'v2' }).submitBatch(
      batchFile(content.replace('crm-1', 'crm-x') + 'bad/id,x\n'),
    );
    const s2 = await client().batchStatus(v2.batchStatus, { details: true });
    assert.strictEqual(s2.successfulUpdates, 3);
    assert.strictEqual(s2.profilesNotFound, 0);
    assert.strictEqual(s2.failedUpdates, 1);
    assert.deepStrictEqual(s2.profiles, [{ id: 'bad/id', status: 'failed' }]);
    const created = emulator.exportProfiles().find((p) => p.thirdPartyId === 'new-2')!;
    assert.deepStrictEqual(Object.keys(created.attributes), ['city']);
    assert.strictEqual(emulator.requests.find((r) => r.route === 'batchUpdate')!.url, '/m2/acme/profile/batchUpdate');
    assert.strictEqual(
      emulator.requests.filter((r) => r.route === 'batchUpdate')[1].url,
      '/m2/acme/v2/profile/batchUpdate',
    );
  });

  it('decodes fields after splitting, so %2C, %26 and %2B stay inside a value', async () => {
    const [upload] = await client().submitBatch(
      batchFile('batch=pcId,note\r\n1368007744041-575948.01_00,a%2Cb%26c%2Bd+e%C3%A9\r\n'),
    );
    assert.ok(upload.batchStatus.startsWith(`${emulator.url}/m2/acme/profile/batchStatus?batchId=acme-`));
    assert.strictEqual(emulator.exportProfiles()[0].attributes.note.value, 'a,b&c+d eé');
  });

  it('reports success=false with the server message and an empty batchStatus', async () => {
    const error = await rejection(client().submitBatch(batchFile('batch=ecid,a\n1,x\n')));
    assert.ok(error instanceof BatchSubmitError && error.kind === 'rejected');
    assert.match(error.message, /first column must be pcId or thirdPartyId/);
    const limited = await startEmulator({ maxBatchRows: 2, maxBatchBytes: 1000 });
    try {
      const c = new TargetClient({
        connection: { clientCode: 'acme', baseUrl: limited.url, apiVersion: 'v2' },
        proxy: {},
        limiter: new RateLimiter(),
      });
      clients.push(c);
      const rows = await rejection(
        c.submitPlan({
          path: batchFile('batch=pcId,a\n1,x\n2,x\n3,x\n'),
          header: Buffer.from(''),
          parts: [{ rows: 3, bytes: 24, start: 0, end: 24 }],
        }),
      );
      assert.ok(rows instanceof TargetError && rows.kind === 'rejected' && /too many rows/.test(rows.message));
      const bytes = await rejection(c.submitBatch(batchFile(`batch=pcId,a\n1,${'x'.repeat(1000)}\n`)));
      assert.ok(bytes instanceof TargetError && bytes.kind === 'rejected' && /too large/.test(bytes.message));
    } finally {
      await limited.close();
    }
  });

  it('splits a file into several uploads, each with the header', async () => {
    const result = await client().submitBatch(batchFile('batch=pcId,a\n1,x\n2,y\n3,z\n'), { maxRows: 2 });
    assert.deepStrictEqual(
      result.map((r) => r.rows),
      [2, 1],
    );
    assert.strictEqual(emulator.uploads(), 2);
    assert.strictEqual(emulator.exportProfiles().filter((p) => p.attributes.a).length, 3);
  });

  it('follows the status lifecycle: incomplete, then complete; stuck on demand', async () => {
    emulator.setStatusDelay(300);
    const [upload] = await client().submitBatch(batchFile('batch=pcId,a\n1368007744041-575948.01_00,x\n'));
    const first = await client().batchStatus(upload.batchStatus, { details: true });
    assert.strictEqual(first.status, 'incomplete');
    assert.strictEqual(first.consumedCount, 0);
    const polls: string[] = [];
    const done = await client().waitForBatch(upload.batchStatus, {
      pollDelayMs: 100,
      onPoll: (s) => polls.push(s.status),
    });
    assert.strictEqual(done.status, 'complete');
    assert.ok(polls.length >= 2 && polls[0] === 'incomplete');
    const plain = await client().batchStatus(upload.batchStatus);
    assert.deepStrictEqual(Object.keys(plain), ['batchId', 'status', 'profiles', 'batchSize']);

    emulator.stickNextBatch();
    const [stuck] = await client().submitBatch(batchFile('batch=pcId,a\n1368007744041-575948.01_00,never\n'));
    assert.strictEqual((await client().waitForBatch(stuck.batchStatus, { pollDelayMs: 10 })).status, 'stuck');
    assert.strictEqual(emulator.exportProfiles()[0].attributes.a.value, 'x');
  });

  it('retries a 503 (with Retry-After) and then succeeds', async () => {
    emulator.failNext(2, 503, '0');
    const [upload] = await client().submitBatch(batchFile('batch=pcId,a\n1,x\n'));
    assert.ok(upload.batchStatus);
    assert.deepStrictEqual(
      emulator.requests.map((r) => r.status),
      [503, 503, 200],
    );
  });

  it('gives up after retries with a rate-limited error when 503 persists', async () => {
    emulator.failNext(10, 503);
    const error = await rejection(client({ retry: { maxAttempts: 3, baseDelayMs: 5 } }).fetchProfile({ pcId: 'x' }));
    assert.ok(error instanceof TargetError && error.kind === 'rate-limited');
    assert.strictEqual(emulator.requests.length, 3);
  });

  it('answers 503 past the per-minute limit for bulk and status calls', async () => {
    emulator.setRateLimit(2, 60_000);
    const c = client({ retry: { maxAttempts: 1 } });
    await c.submitBatch(batchFile('batch=pcId,a\n1,x\n'));
    const [u] = await c.submitBatch(batchFile('batch=pcId,a\n1,x\n'));
    const error = await rejection(c.batchStatus(u.batchStatus));
    assert.ok(error instanceof TargetError && error.kind === 'rate-limited' && error.status === 503);
    // Single update and fetch are not under the cap.
    assert.ok((await c.fetchProfile({ thirdPartyId: 'crm-1' })).found);
  });

  it('times out a slow answer', async () => {
    emulator.setDelay(500);
    const error = await rejection(
      client({ timeoutMs: 100, retry: { maxAttempts: 2, baseDelayMs: 1 } }).fetchProfile({ pcId: 'x' }),
    );
    assert.ok(error instanceof TargetError && error.kind === 'timeout');
    assert.strictEqual(emulator.requests.length, 2, 'a GET is retried after a timeout');
  });

  it('reports a reset mid-upload as failed, maybe accepted, and never resends it', async () => {
    emulator.dropNext(1);
    const content = 'batch=pcId,a\n' + '1,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n'.repeat(100_000);
    const error = await rejection(client().submitBatch(batchFile(content)));
    assert.ok(error instanceof BatchSubmitError && error.kind === 'network' && error.maybeAccepted, String(error));
    assert.match(error.message, /may or may not have accepted/);
    assert.strictEqual(emulator.uploads(), 1);
  });

  it('retries a GET whose connection dropped mid-answer', async () => {
    emulator.dropNext(1);
    assert.ok((await client().fetchProfile({ thirdPartyId: 'crm-1' })).found);
    assert.strictEqual(emulator.requests.length, 2);
  });

  it('retries a batch when the connection is refused, since nothing was sent', async () => {
    const port = await freePort();
    const c = new TargetClient({
      connection: { clientCode: 'acme', baseUrl: `http://127.0.0.1:${port}`, apiVersion: 'v2' },
      retry: { maxAttempts: 2, baseDelayMs: 10 },
      proxy: {},
      limiter: new RateLimiter(),
    });
    clients.push(c);
    const error = await rejection(c.submitBatch(batchFile('batch=pcId,a\n1,x\n')));
    assert.ok(error instanceof TargetError && error.kind === 'network' && !error.maybeAccepted, String(error));
    assert.match((error as Error).message, /connection refused/);
  });

  it('sends the bearer token, and maps a missing or wrong token to an auth error (401 or 403)', async () => {
    emulator.setAuth('s3cret');
    const missing = await rejection(client().fetchProfile({ pcId: 'x' }));
    assert.ok(missing instanceof TargetError && missing.kind === 'auth' && missing.status === 401);
    emulator.setAuth('s3cret', 403);
    const wrong = await rejection(
      client({ token: 'nope' }).updateProfile({ id: { pcId: 'x' }, attributes: { a: '1' } }),
    );
    assert.ok(wrong instanceof TargetError && wrong.kind === 'auth' && wrong.status === 403);
    assert.ok(!wrong.message.includes('nope'));
    const [u] = await client({ token: 's3cret' }).submitBatch(batchFile('batch=pcId,a\n1,x\n'));
    assert.strictEqual((await client({ token: 's3cret' }).batchStatus(u.batchStatus)).status, 'complete');
    assert.ok(emulator.requests.slice(2).every((r) => r.authorization === 'Bearer s3cret'));
    assert.ok(
      emulator.requests.every((r) => !r.url.includes('s3cret')),
      'never in URLs',
    );
  });

  it('goes through an http proxy from http_proxy or the explicit option', async () => {
    const seen: string[] = [];
    const proxy = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const upstream = http.request(req.url!, { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    try {
      await client({ proxy: { env: { http_proxy: proxyUrl } } }).fetchProfile({ thirdPartyId: 'crm-1' });
      await client({ proxy: { proxy: proxyUrl } }).submitBatch(batchFile('batch=pcId,a\n1,x\n'));
      await client({ proxy: { env: { http_proxy: proxyUrl, no_proxy: '127.0.0.1' } } }).fetchProfile({ pcId: 'x' });
      assert.deepStrictEqual(seen, [
        `GET ${emulator.url}/rest/v1/profiles/thirdPartyId/crm-1?client=acme`,
        `POST ${emulator.url}/m2/acme/v2/profile/batchUpdate`,
      ]);
      assert.strictEqual(emulator.requests.length, 3);
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('accepts the literal /m2/client/ path form, taking the code from the Host header', async () => {
    const res = await fetchRaw(
      `${emulator.url}/m2/client/profile/update?mboxPC=1368007744041-575948.01_00&profile.seen=yes`,
      'GET',
      undefined,
      {
        host: 'acme.tt.omtrdc.net',
      },
    );
    assert.strictEqual(res.status, 200);
    assert.strictEqual(emulator.exportProfiles()[0].attributes.seen.value, 'yes');
  });

  it("accepts Adobe's documented upload: curl -X POST --data-binary @file", async () => {
    emulator.seedProfile({ clientCode: 'acme', pcId: '123' });
    const file = batchFile(
      'batch=pcId,param1,param2,param3,param4\n123,value1\n124,value1,,,value4\n125,,value2\n126,value1,value2,value3,value4\n',
    );
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'curl',
        [
          '-s',
          '--noproxy',
          '*',
          '-X',
          'POST',
          '--data-binary',
          `@${file}`,
          `${emulator.url}/m2/acme/v2/profile/batchUpdate`,
        ],
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      ),
    );
    assert.match(out, /<success>true<\/success>/);
    assert.strictEqual(emulator.exportProfiles().length, 5);
    assert.strictEqual(emulator.exportProfiles().find((p) => p.pcId === '124')!.attributes.param4.value, 'value4');
  });

  it('serves its control API over HTTP for out-of-process tests', async () => {
    const post = (route: string, body: unknown) =>
      fetchRaw(`${emulator.url}/__emulator/${route}`, 'POST', JSON.stringify(body));
    await post('seed', { clientCode: 'acme', thirdPartyId: 'http-seeded', attributes: { a: '1' } });
    await post('fail', { count: 1, status: 429, retryAfter: '0' });
    assert.ok((await client().fetchProfile({ thirdPartyId: 'http-seeded' })).found);
    await post('auth', { token: 'abc', status: 403 });
    assert.strictEqual((await fetchRaw(`${emulator.url}/rest/v1/profiles/x?client=acme`)).status, 403);
    await post('auth', { token: null });
    await post('config', { statusDelayMs: 10_000, rateLimit: 5, rateWindowMs: 1000 });
    await post('stuck', {});
    await post('delay', { ms: 0 });
    await post('drop', { count: 0 });
    const profiles = JSON.parse((await fetchRaw(`${emulator.url}/__emulator/profiles`)).body) as {
      profiles: unknown[];
    };
    assert.strictEqual(profiles.profiles.length, 2);
    const requests = JSON.parse((await fetchRaw(`${emulator.url}/__emulator/requests`)).body) as {
      requests: { status: number }[];
    };
    assert.deepStrictEqual(
      requests.requests.map((r) => r.status),
      [429, 200, 403],
    );
    await post('reset', {});
    assert.strictEqual(emulator.exportProfiles().length, 0);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function fetchRaw(
  url: string,
  method = 'GET',
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        headers: { ...headers, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
