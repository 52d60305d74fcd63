import * as assert from 'assert';
import {
  BatchSubmitError,
  MAX_GET_URL_BYTES,
  MAX_POST_BODY_BYTES,
  TargetClient,
  buildProfileUpdateRequest,
} from '../../../../src/core/target/client';
import { checkSafeUrl, connectionFromEnvironment, resolveBaseUrl } from '../../../../src/core/target/connection';
import { TargetError } from '../../../../src/core/target/errors';
import {
  HttpRequest,
  HttpResponse,
  HttpSender,
  RequestLogEntry,
  Transport,
  bypassesProxy,
  parseRetryAfter,
  proxyFor,
  redactUrl,
  retryDelay,
  defaultRetryPolicy,
} from '../../../../src/core/target/http';
import { RateLimiter } from '../../../../src/core/target/limiter';
import { FakeClock, flush, rejection } from '../../../support/fakeClock';

const base = new URL('https://acme.tt.omtrdc.net');

function netError(code: string): Error {
  return Object.assign(new Error(code), { code });
}

function scripted(steps: (HttpResponse | Error)[]): Transport & { calls: HttpRequest[] } {
  const calls: HttpRequest[] = [];
  const send = async (req: HttpRequest): Promise<HttpResponse> => {
    calls.push(req);
    const step = steps.shift();
    if (!step) throw new Error('no more scripted steps');
    if (step instanceof Error) throw step;
    return step;
  };
  return Object.assign(send, { calls });
}

const ok = (body = ''): HttpResponse => ({ status: 200, headers: {}, body });
const busy = (retryAfter?: string): HttpResponse => ({
  status: 503,
  headers: retryAfter ? { 'retry-after': retryAfter } : {},
  body: '',
});

function request(overrides: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method: 'GET',
    url: new URL('https://acme.tt.omtrdc.net/x'),
    headers: {},
    idempotent: true,
    timeoutMs: 5000,
    what: 'the test',
    ...overrides,
  };
}

describe('target client: connection safety', () => {
  it('accepts lower-case letters and digits only as client code', () => {
    assert.doesNotThrow(() => resolveBaseUrl({ clientCode: 'acme2', apiVersion: 'v1' }));
    for (const bad of ['Acme', 'ac-me', 'ac.me', '', 'a b', 'acme/x', 'acme@evil', 'é']) {
      const error = (() => {
        try {
          resolveBaseUrl({ clientCode: bad, apiVersion: 'v1' });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      assert.ok(error instanceof TargetError && error.kind === 'usage', bad);
      assert.match((error as Error).message, /client code/);
    }
  });

  it('defaults to https://CLIENT.tt.omtrdc.net and allows http only on loopback', () => {
    assert.strictEqual(resolveBaseUrl({ clientCode: 'acme', apiVersion: 'v1' }).href, 'https://acme.tt.omtrdc.net/');
    for (const good of [
      'http://127.0.0.1:9',
      'http://localhost:8080',
      'http://[::1]:1',
      'http://127.5.6.7',
      'https://edge.example.com',
    ]) {
      assert.doesNotThrow(() => resolveBaseUrl({ clientCode: 'acme', baseUrl: good, apiVersion: 'v1' }), good);
    }
    for (const bad of [
      'http://example.com',
      'file:///etc/passwd',
      'https://user:pw@acme.tt.omtrdc.net',
      'https://a@b.com',
      'ftp://x',
      'not a url',
      'https://acme.tt.omtrdc.net/?x=1',
      'http://127.0.0.1.evil.com',
    ]) {
      assert.throws(
        () => resolveBaseUrl({ clientCode: 'acme', baseUrl: bad, apiVersion: 'v1' }),
        (e: unknown) => e instanceof TargetError && e.kind === 'usage',
        bad,
      );
    }
  });

  it('reads the token from TARGET_PROFILE_TOKEN and the base URL from TARGET_BASE_URL', () => {
    const s = connectionFromEnvironment({
      clientCode: 'acme',
      env: { TARGET_PROFILE_TOKEN: 't0k', TARGET_BASE_URL: 'http://127.0.0.1:5' },
    });
    assert.deepStrictEqual(s, { clientCode: 'acme', apiVersion: 'v2', baseUrl: 'http://127.0.0.1:5', token: 't0k' });
  });

  it("upgrades http:// status URLs on Target's own hosts to https, and refuses http elsewhere", () => {
    assert.strictEqual(
      checkSafeUrl('http://mboxedge45.tt.omtrdc.net/m2/demo/profile/batchStatus?batchId=1', 'batch status URL').href,
      'https://mboxedge45.tt.omtrdc.net/m2/demo/profile/batchStatus?batchId=1',
    );
    assert.doesNotThrow(() =>
      checkSafeUrl('https://mboxedge45.tt.omtrdc.net/m2/demo/profile/batchStatus?batchId=1', 'batch status URL'),
    );
    for (const bad of [
      'http://mboxedge45.example.com/m2/demo/profile/batchStatus?batchId=1',
      'http://mboxedge45.tt.omtrdc.net.evil.com/x',
      'http://tt.omtrdc.net/x',
      'http://evil-tt.omtrdc.net.example/x',
      'http://mboxedge45.tt.omtrdc.net:8080/x',
    ]) {
      assert.throws(
        () => checkSafeUrl(bad, 'batch status URL'),
        (e: unknown) => e instanceof TargetError && e.kind === 'usage' && /https/.test(e.message),
        bad,
      );
    }
    for (const bad of [
      'ftp://mboxedge45.tt.omtrdc.net/x',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ws://mboxedge45.tt.omtrdc.net/x',
      'data:text/plain,x',
    ]) {
      assert.throws(
        () => checkSafeUrl(bad, 'batch status URL'),
        (e: unknown) => e instanceof TargetError && e.kind === 'usage',
        bad,
      );
    }
  });
});

describe('target client: single update encoding and size', () => {
  it('percent-encodes names and values so every character arrives intact', () => {
    const tricky = 'a&b=c#d?e+f g\nh\0i é 😀 %41 /..';
    const built = buildProfileUpdateRequest(base, 'acme', {
      id: { thirdPartyId: 'x&y?z#' },
      attributes: [
        ['na&me', tricky],
        ['profile.plain', '1'],
      ],
    });
    assert.strictEqual(built.method, 'GET');
    assert.strictEqual(built.url.host, 'acme.tt.omtrdc.net');
    assert.strictEqual(built.url.pathname, '/m2/acme/profile/update');
    const params = [...new URLSearchParams(built.url.search)];
    assert.deepStrictEqual(params, [
      ['mbox3rdPartyId', 'x&y?z#'],
      ['profile.na&me', tricky],
      ['profile.plain', '1'],
    ]);
    assert.ok(!built.url.search.includes('+'), 'a space is %20 and a plus %2B, never a raw +');
  });

  it('uses GET up to exactly 8192 bytes of URL, POST above, and refuses above 61440 bytes of body', () => {
    const prefix = 'https://acme.tt.omtrdc.net/m2/acme/profile/update?mboxPC=1&profile.a=';
    const at = (urlBytes: number) =>
      buildProfileUpdateRequest(base, 'acme', {
        id: { pcId: '1' },
        attributes: { a: 'x'.repeat(urlBytes - prefix.length) },
      });
    assert.strictEqual(at(MAX_GET_URL_BYTES).method, 'GET');
    assert.strictEqual(at(MAX_GET_URL_BYTES).url.href.length, 8192);
    const post = at(MAX_GET_URL_BYTES + 1);
    assert.strictEqual(post.method, 'POST');
    assert.strictEqual(post.url.search, '');
    assert.strictEqual(post.body, `mboxPC=1&profile.a=${'x'.repeat(MAX_GET_URL_BYTES + 1 - prefix.length)}`);
    const bodyPrefix = 'mboxPC=1&profile.a='.length;
    const byBody = (bodyBytes: number) =>
      buildProfileUpdateRequest(base, 'acme', {
        id: { pcId: '1' },
        attributes: { a: 'x'.repeat(bodyBytes - bodyPrefix) },
      });
    assert.strictEqual(byBody(MAX_POST_BODY_BYTES).body!.length, 61440);
    assert.throws(
      () => byBody(MAX_POST_BODY_BYTES + 1),
      (e: unknown) => e instanceof TargetError && e.kind === 'too-large',
    );
    // Encoded size counts: "&" is three bytes ("%26").
    const encoded = buildProfileUpdateRequest(base, 'acme', {
      id: { pcId: '1' },
      attributes: { a: '&'.repeat(20_000) },
    });
    assert.strictEqual(encoded.method, 'POST');
    assert.throws(
      () => buildProfileUpdateRequest(base, 'acme', { id: { pcId: '1' }, attributes: { a: '&'.repeat(20_475) } }),
      /60 KB/,
    );
  });

  it('refuses an oversize update before sending anything', async () => {
    const transport = scripted([]);
    const client = new TargetClient({ connection: { clientCode: 'acme', apiVersion: 'v1' }, transport });
    const error = await rejection(client.updateProfile({ id: { pcId: '1' }, attributes: { a: '&'.repeat(30_000) } }));
    assert.ok(error instanceof TargetError && error.kind === 'too-large');
    assert.strictEqual(transport.calls.length, 0);
  });

  it('keeps ids from changing the path or host', async () => {
    const transport = scripted([ok('{}'), ok('{}')]);
    const client = new TargetClient({ connection: { clientCode: 'acme', apiVersion: 'v1' }, transport });
    await client.fetchProfile({ pcId: '../../evil?x#y' });
    await client.fetchProfile({ pcId: '//evil.com/a' });
    assert.strictEqual(
      transport.calls[0].url.href,
      'https://acme.tt.omtrdc.net/rest/v1/profiles/..%2F..%2Fevil%3Fx%23y?client=acme',
    );
    assert.strictEqual(
      transport.calls[1].url.href,
      'https://acme.tt.omtrdc.net/rest/v1/profiles/%2F%2Fevil.com%2Fa?client=acme',
    );
    for (const bad of ['..', '.', '']) {
      const error = await rejection(client.fetchProfile({ pcId: bad }));
      assert.ok(error instanceof TargetError && error.kind === 'usage', bad);
    }
    const lone = await rejection(client.updateProfile({ id: { pcId: '1' }, attributes: { a: '\ud800' } }));
    assert.ok(lone instanceof TargetError && lone.kind === 'usage');
  });
});

describe('target client: retry policy', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.strictEqual(parseRetryAfter('7', 0), 7000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.strictEqual(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.strictEqual(parseRetryAfter('garbage', now), undefined);
    assert.strictEqual(parseRetryAfter(undefined, now), undefined);
  });

  it('backs off exponentially with jitter, capped', () => {
    const policy = { ...defaultRetryPolicy, random: () => 0 };
    assert.deepStrictEqual(
      [0, 1, 2, 3, 10].map((r) => retryDelay(r, policy)),
      [500, 1000, 2000, 4000, 15000],
    );
    const high = { ...defaultRetryPolicy, random: () => 0.999 };
    assert.ok(retryDelay(2, high) < 4000 && retryDelay(2, high) >= 3990);
    assert.strictEqual(retryDelay(0, policy, 7000), 7000);
  });

  it('retries a 503 after its Retry-After, then succeeds', async () => {
    const clock = new FakeClock();
    const transport = scripted([busy('7'), busy(), ok('done')]);
    const sender = new HttpSender({ transport, clock, retry: { random: () => 0 } });
    const res = await clock.run(sender.send(request()));
    assert.strictEqual(res.body, 'done');
    assert.deepStrictEqual(clock.sleeps, [7000, 1000]);
  });

  it('gives the last 503 back after maxAttempts, and does not wait for a Retry-After beyond the cap', async () => {
    const clock = new FakeClock();
    const sender = new HttpSender({
      transport: scripted([busy(), busy(), busy()]),
      clock,
      retry: { maxAttempts: 3, random: () => 0 },
    });
    assert.strictEqual((await clock.run(sender.send(request()))).status, 503);
    const long = new HttpSender({ transport: scripted([busy('3600')]), clock, retry: { random: () => 0 } });
    assert.strictEqual((await clock.run(long.send(request()))).status, 503);
  });

  it('retries connection errors on GETs but never resends a batch whose connection broke', async () => {
    const clock = new FakeClock();
    const get = scripted([netError('ECONNRESET'), ok('fine')]);
    assert.strictEqual((await clock.run(new HttpSender({ transport: get, clock }).send(request()))).body, 'fine');
    const post = scripted([netError('ECONNRESET'), ok('never')]);
    const error = await rejection(
      clock.run(new HttpSender({ transport: post, clock }).send(request({ method: 'POST', idempotent: false }))),
    );
    assert.ok(error instanceof TargetError && error.kind === 'network' && error.maybeAccepted);
    assert.match((error as Error).message, /may or may not have accepted/);
    assert.strictEqual(post.calls.length, 1);
  });

  it('retries a batch after ECONNREFUSED or 429/503, which prove it was not taken', async () => {
    const clock = new FakeClock();
    const post = scripted([netError('ECONNREFUSED'), { status: 429, headers: {}, body: '' }, busy('1'), ok('taken')]);
    const res = await clock.run(
      new HttpSender({ transport: post, clock }).send(request({ method: 'POST', idempotent: false })),
    );
    assert.strictEqual(res.body, 'taken');
    assert.strictEqual(post.calls.length, 4);
  });

  it('times out every attempt, and reports a timed-out batch as maybe accepted', async () => {
    const clock = new FakeClock();
    const hang: Transport = (_req, signal) =>
      new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () =>
          reject(Object.assign(new Error('aborted'), { code: 'UND_ERR_ABORTED' })),
        ),
      );
    const error = await rejection(
      clock.run(
        new HttpSender({ transport: hang, clock, retry: { maxAttempts: 2 } }).send(request({ timeoutMs: 1000 })),
      ),
    );
    assert.ok(error instanceof TargetError && error.kind === 'timeout');
    const batch = await rejection(
      clock.run(new HttpSender({ transport: hang, clock }).send(request({ method: 'POST', idempotent: false }))),
    );
    assert.ok(batch instanceof TargetError && batch.kind === 'timeout' && batch.maybeAccepted);
  });

  it('stops at once when cancelled, during a request or a backoff wait', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const hang: Transport = (_req, signal) =>
      new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    const pending = new HttpSender({ transport: hang, clock }).send(request(), controller.signal);
    await flush();
    controller.abort();
    const error = await rejection(pending);
    assert.ok(error instanceof TargetError && error.kind === 'cancelled');

    const waiting = new AbortController();
    const sleeping = new HttpSender({ transport: scripted([busy('30')]), clock }).send(request(), waiting.signal);
    await flush();
    assert.ok(clock.sleeps[clock.sleeps.length - 1] >= 30_000);
    waiting.abort();
    const cancelled = await rejection(sleeping);
    assert.ok(cancelled instanceof TargetError && cancelled.kind === 'cancelled');
    const already = await rejection(
      new HttpSender({ transport: scripted([]), clock }).send(request(), AbortSignal.abort()),
    );
    assert.ok(already instanceof TargetError && already.kind === 'cancelled');
  });

  it('logs each attempt with the token and the query values redacted', async () => {
    const entries: RequestLogEntry[] = [];
    const client = new TargetClient({
      connection: { clientCode: 'acme', token: 'SECRET-TOKEN', apiVersion: 'v1' },
      transport: scripted([ok('<response><success>true</success><message>m</message></response>')]),
      onRequest: (e) => entries.push(e),
    });
    await client.updateProfile({ id: { pcId: 'PERSON-1' }, attributes: { email: 'a@b.c' } });
    assert.strictEqual(entries.length, 1);
    const text = JSON.stringify(entries);
    assert.ok(!text.includes('SECRET-TOKEN') && !text.includes('PERSON-1') && !text.includes('a@b.c'), text);
    assert.strictEqual(entries[0].headers.authorization, 'Bearer ***');
    assert.strictEqual(
      redactUrl(new URL('https://u:p@h/x?client=acme&mboxPC=1')),
      'https://h/x?client=acme&mboxPC=***',
    );
  });

  it('sends the token to the configured host and Target edges only', async () => {
    const transport = scripted([
      ok('<response><batchId>a</batchId><status>complete</status></response>'),
      ok('<response><batchId>a</batchId><status>complete</status></response>'),
    ]);
    const client = new TargetClient({ connection: { clientCode: 'acme', token: 'T', apiVersion: 'v1' }, transport });
    await client.batchStatus('https://mboxedge45.tt.omtrdc.net/m2/acme/profile/batchStatus?batchId=a');
    await client.batchStatus('https://elsewhere.example.com/status?batchId=a');
    assert.strictEqual(transport.calls[0].headers.authorization, 'Bearer T');
    assert.strictEqual(transport.calls[1].headers.authorization, undefined);
  });

  it('appends showDetails=true correctly whether or not the URL has a query', async () => {
    const body = '<response><batchId>a</batchId><status>complete</status></response>';
    const transport = scripted([ok(body), ok(body), ok(body), ok(body)]);
    const client = new TargetClient({ connection: { clientCode: 'acme', apiVersion: 'v1' }, transport });
    await client.batchStatus('https://e.tt.omtrdc.net/s?batchId=a&m2Node=00', { details: true });
    await client.batchStatus('https://e.tt.omtrdc.net/s', { details: true });
    await client.batchStatus('https://e.tt.omtrdc.net/s?', { details: true });
    await client.batchStatus('https://e.tt.omtrdc.net/s?batchId=a&mboxPC=0000000000000-000000.19_05');
    assert.deepStrictEqual(
      transport.calls.map((c) => c.url.href),
      [
        'https://e.tt.omtrdc.net/s?batchId=a&m2Node=00&showDetails=true',
        'https://e.tt.omtrdc.net/s?showDetails=true',
        'https://e.tt.omtrdc.net/s?showDetails=true',
        'https://e.tt.omtrdc.net/s?batchId=a&mboxPC=0000000000000-000000.19_05',
      ],
    );
  });

  it('reports success=false on a batch as rejected, with the server message', async () => {
    const transport = scripted([
      ok('<response><success>false</success><batchStatus></batchStatus><message>Batch is empty</message></response>'),
    ]);
    const client = new TargetClient({ connection: { clientCode: 'acme', apiVersion: 'v2' }, transport });
    const fs = await import('fs');
    const os = await import('os');
    const path = await import('path');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tp-')), 'b.batch');
    fs.writeFileSync(file, 'batch=pcId,a\n1,x\n');
    const error = await rejection(client.submitBatch(file));
    assert.ok(
      error instanceof BatchSubmitError && error.kind === 'rejected' && error.serverMessage === 'Batch is empty',
    );
    assert.deepStrictEqual(error.accepted, []);
    assert.strictEqual(transport.calls[0].url.href, 'https://acme.tt.omtrdc.net/m2/acme/v2/profile/batchUpdate');
    assert.strictEqual(transport.calls[0].headers['content-type'], 'application/x-www-form-urlencoded');
  });
});

describe('target client: rate limiter', () => {
  it('lets 50 calls a minute through per client code and makes the 51st wait, not fail', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(50, 60_000, clock);
    for (let i = 0; i < 50; i++) {
      await limiter.acquire('acme');
      clock.time += 100;
    }
    await limiter.acquire('other');
    assert.strictEqual(limiter.waitFor('acme'), 60_000 - 5000);
    let through = false;
    const waiting = limiter.acquire('acme').then(() => (through = true));
    await flush();
    assert.strictEqual(through, false);
    await clock.run(waiting);
    assert.strictEqual(through, true);
    assert.strictEqual(clock.time, 1_000_000 + 60_000);
  });

  it('keeps a sliding window: the oldest call leaving frees exactly one slot', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(2, 1000, clock);
    await limiter.acquire('k');
    clock.time += 600;
    await limiter.acquire('k');
    clock.time += 500;
    assert.strictEqual(limiter.waitFor('k'), 0);
    await limiter.acquire('k');
    assert.strictEqual(limiter.waitFor('k'), 500);
  });

  it('can cancel a wait', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(1, 60_000, clock);
    await limiter.acquire('k');
    const controller = new AbortController();
    const waiting = limiter.acquire('k', controller.signal);
    await flush();
    controller.abort();
    const error = await rejection(waiting);
    assert.ok(error instanceof TargetError && error.kind === 'cancelled');
    assert.strictEqual(clock.pending(), 0);
  });
});

describe('target client: proxies', () => {
  it('takes https_proxy/http_proxy by scheme, the explicit proxy first, and honours no_proxy', () => {
    const env = {
      https_proxy: 'http://p:1',
      HTTP_PROXY: 'http://p:2',
      no_proxy: 'internal.example, .corp.example,10.0.0.1:8443',
    };
    assert.strictEqual(proxyFor(new URL('https://acme.tt.omtrdc.net'), { env }), 'http://p:1');
    assert.strictEqual(proxyFor(new URL('http://127.0.0.1:9'), { env }), 'http://p:2');
    assert.strictEqual(
      proxyFor(new URL('https://acme.tt.omtrdc.net'), { env, proxy: 'http://mine:3' }),
      'http://mine:3',
    );
    assert.strictEqual(proxyFor(new URL('https://internal.example'), { env }), undefined);
    assert.strictEqual(proxyFor(new URL('https://a.corp.example'), { env }), undefined);
    assert.strictEqual(proxyFor(new URL('https://10.0.0.1:8443'), { env }), undefined);
    assert.strictEqual(proxyFor(new URL('https://10.0.0.1'), { env }), 'http://p:1');
    assert.ok(bypassesProxy(new URL('http://[::1]:5'), '::1'));
    assert.ok(bypassesProxy(new URL('http://x.y'), '*'));
    assert.strictEqual(proxyFor(new URL('https://acme.tt.omtrdc.net'), {}), undefined);
  });
});
