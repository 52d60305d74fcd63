import * as assert from 'assert';
import { DeliveryClient } from '../../../../src/core/delivery/client';
import { SessionStore } from '../../../../src/core/delivery/session';
import { TargetError } from '../../../../src/core/target/errors';
import type { HttpRequest, HttpResponse, RequestLogEntry } from '../../../../src/core/target/http';

/** A transport that records each request and answers from `answers` in turn (the last one repeats). */
function recorder(...answers: (HttpResponse | Error)[]) {
  const calls: HttpRequest[] = [];
  const transport = async (req: HttpRequest): Promise<HttpResponse> => {
    calls.push(req);
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)];
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { calls, transport };
}

const json = (status: number, body: unknown): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const served = json(200, {
  status: 200,
  requestId: 'r-1',
  client: 'demo',
  id: { tntId: 'tnt-9.28_0', thirdPartyId: 'crm-1001' },
  edgeHost: 'mboxedge28.tt.omtrdc.net',
  prefetch: {
    mboxes: [
      {
        index: 1,
        name: 'home-hero',
        options: [
          {
            type: 'html',
            content: '<p>Hi</p>',
            eventToken: 'e',
            responseTokens: { 'activity.name': 'Hero', 'experience.name': 'Everyone', 'offer.name': 'Default' },
          },
        ],
      },
      { index: 2, name: 'empty' },
    ],
  },
});

const noRetryDelay = { baseDelayMs: 0, maxDelayMs: 0 };

describe('delivery: the client', () => {
  it('POSTs JSON to /rest/v1/delivery with client and sessionId, and no Authorization even with a profile token', async () => {
    const { calls, transport } = recorder(served);
    const client = new DeliveryClient({
      connection: { clientCode: 'demo', apiVersion: 'v2', token: 'profile-secret-token' },
      transport,
      newRequestId: () => 'r-1',
    });
    const result = await client.preview({ visitor: { thirdPartyId: 'crm-1001' }, mboxes: ['home-hero', 'empty'] });
    assert.strictEqual(calls.length, 1);
    const [req] = calls;
    assert.strictEqual(req.method, 'POST');
    assert.strictEqual(req.url.origin + req.url.pathname, 'https://demo.tt.omtrdc.net/rest/v1/delivery');
    assert.strictEqual(req.url.searchParams.get('client'), 'demo');
    assert.strictEqual(req.url.searchParams.get('sessionId'), result.sessionId);
    assert.ok(!Object.keys(req.headers).some((h) => h.toLowerCase() === 'authorization'));
    assert.ok(!JSON.stringify(req).includes('profile-secret-token'));
    assert.strictEqual(req.headers['content-type'], 'application/json');
    const body = JSON.parse(req.body as string);
    assert.ok(body.prefetch && !body.execute && !('profileParameters' in JSON.parse(JSON.stringify(body))));
    assert.ok(req.idempotent, 'a prefetch counts nothing and may be resent');
    assert.deepStrictEqual(
      result.mboxes.map((m) => [m.name, m.activity, m.experience, m.offer, m.options.length]),
      [
        ['home-hero', 'Hero', 'Everyone', 'Default', 1],
        ['empty', null, null, null, 0],
      ],
    );
    assert.deepStrictEqual(result.id, { tntId: 'tnt-9.28_0', thirdPartyId: 'crm-1001' });
    assert.strictEqual(result.edgeHost, 'mboxedge28.tt.omtrdc.net');
    assert.strictEqual(result.requestId, 'r-1');
  });

  it('without a base URL, the next call for the visitor goes to the returned edge with the returned tntId', async () => {
    const { calls, transport } = recorder(served);
    const sessions = new SessionStore();
    const client = new DeliveryClient({ connection: { clientCode: 'demo', apiVersion: 'v2' }, transport, sessions });
    const first = await client.preview({ visitor: { thirdPartyId: 'crm-1001' }, mboxes: ['home-hero'] });
    const second = await client.preview({ visitor: { thirdPartyId: 'crm-1001' }, mboxes: ['home-hero'] });
    assert.strictEqual(second.sessionId, first.sessionId);
    assert.strictEqual(calls[1].url.host, 'mboxedge28.tt.omtrdc.net');
    assert.deepStrictEqual(JSON.parse(calls[1].body as string).id, { thirdPartyId: 'crm-1001', tntId: 'tnt-9.28_0' });
    // Another visitor: another session, the configured host, no tntId of someone else.
    await client.preview({ visitor: { thirdPartyId: 'crm-1002' }, mboxes: ['home-hero'] });
    assert.notStrictEqual(calls[2].url.searchParams.get('sessionId'), first.sessionId);
    assert.strictEqual(calls[2].url.host, 'demo.tt.omtrdc.net');
    assert.deepStrictEqual(JSON.parse(calls[2].body as string).id, { thirdPartyId: 'crm-1002' });
  });

  it('with an explicit base URL, stays there and sends neither the returned edge nor tntId', async () => {
    const { calls, transport } = recorder(served);
    const client = new DeliveryClient({
      connection: { clientCode: 'demo', apiVersion: 'v2', baseUrl: 'http://127.0.0.1:9/target' },
      transport,
    });
    await client.preview({ visitor: { thirdPartyId: 'crm-1001' }, mboxes: ['a'] });
    await client.preview({ visitor: { thirdPartyId: 'crm-1001' }, mboxes: ['a'] });
    assert.strictEqual(calls[1].url.origin + calls[1].url.pathname, 'http://127.0.0.1:9/target/rest/v1/delivery');
    assert.deepStrictEqual(JSON.parse(calls[1].body as string).id, { thirdPartyId: 'crm-1001' });
  });

  it("ignores a returned edgeHost that is not one of Target's", async () => {
    const { calls, transport } = recorder(json(200, { id: {}, edgeHost: 'evil.example.com' }));
    const client = new DeliveryClient({ connection: { clientCode: 'demo', apiVersion: 'v2' }, transport });
    await client.preview({ visitor: { pcId: 'p' }, mboxes: ['a'] });
    await client.preview({ visitor: { pcId: 'p' }, mboxes: ['a'] });
    assert.strictEqual(calls[1].url.host, 'demo.tt.omtrdc.net');
  });

  it('reads execute answers, and marks an execute as not safe to resend', async () => {
    const { calls, transport } = recorder(
      json(200, {
        id: {},
        execute: { mboxes: [{ index: 1, name: 'a', options: [{ type: 'json', content: { x: 1 } }] }] },
      }),
    );
    const client = new DeliveryClient({ connection: { clientCode: 'demo', apiVersion: 'v2' }, transport });
    const result = await client.preview({ visitor: { pcId: 'p' }, mboxes: ['a'], execute: true });
    assert.strictEqual(calls[0].idempotent, false);
    assert.strictEqual(result.mode, 'execute');
    assert.deepStrictEqual(result.mboxes[0].options, [{ type: 'json', content: { x: 1 }, responseTokens: {} }]);
    assert.strictEqual(result.mboxes[0].activity, null);
  });

  it("a 400 is `rejected` with Target's message; the property token is scrubbed from it", async () => {
    const { transport } = recorder(json(400, { status: 400, message: 'Invalid property token prop-secret' }));
    const client = new DeliveryClient({ connection: { clientCode: 'demo', apiVersion: 'v2' }, transport });
    await assert.rejects(
      client.preview({ visitor: { pcId: 'p' }, mboxes: ['a'], propertyToken: 'prop-secret' }),
      (e: unknown) =>
        e instanceof TargetError &&
        e.kind === 'rejected' &&
        e.status === 400 &&
        e.message.includes('Invalid property token ***') &&
        !e.message.includes('prop-secret'),
    );
  });

  it('a 500 is a server error; 503 is retried; after a broken connection a prefetch is resent, an execute not', async () => {
    const fail500 = recorder(json(500, { status: 500, message: 'boom' }));
    const c1 = new DeliveryClient({
      connection: { clientCode: 'demo', apiVersion: 'v2' },
      transport: fail500.transport,
    });
    await assert.rejects(
      c1.preview({ visitor: { pcId: 'p' }, mboxes: ['a'] }),
      (e: unknown) => e instanceof TargetError && e.kind === 'server' && /HTTP 500.*boom/.test(e.message),
    );
    const busy = recorder(json(503, {}), served);
    const c2 = new DeliveryClient({
      connection: { clientCode: 'demo', apiVersion: 'v2' },
      transport: busy.transport,
      retry: noRetryDelay,
    });
    await c2.preview({ visitor: { pcId: 'p' }, mboxes: ['home-hero'] });
    assert.strictEqual(busy.calls.length, 2);

    const reset = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    const broken = recorder(reset, served);
    const c3 = new DeliveryClient({
      connection: { clientCode: 'demo', apiVersion: 'v2' },
      transport: broken.transport,
      retry: noRetryDelay,
    });
    await c3.preview({ visitor: { pcId: 'p' }, mboxes: ['home-hero'] });
    assert.strictEqual(broken.calls.length, 2, 'a prefetch is resent after a broken connection');
    const brokenExecute = recorder(reset, served);
    const c4 = new DeliveryClient({
      connection: { clientCode: 'demo', apiVersion: 'v2' },
      transport: brokenExecute.transport,
      retry: noRetryDelay,
    });
    await assert.rejects(
      c4.preview({ visitor: { pcId: 'p' }, mboxes: ['a'], execute: true }),
      (e: unknown) => e instanceof TargetError && e.kind === 'network',
    );
    assert.strictEqual(brokenExecute.calls.length, 1, 'an execute is never resent');
  });

  it('a 403 does not talk of the profile token, which the Delivery API never takes', async () => {
    const { transport } = recorder(json(403, { status: 403, message: 'Invalid trace token' }));
    const client = new DeliveryClient({ connection: { clientCode: 'demo', apiVersion: 'v2' }, transport });
    await assert.rejects(
      client.preview({ visitor: { pcId: 'p' }, mboxes: ['a'], traceToken: 'tr' }),
      (e: unknown) =>
        e instanceof TargetError &&
        e.kind === 'server' &&
        /HTTP 403.*Invalid trace token/.test(e.message) &&
        !/profile API token/.test(e.message),
    );
  });

  it('bad input sends nothing: a bad client code, 51 mboxes, an empty mbox name', async () => {
    const { calls, transport } = recorder(served);
    assert.throws(
      () => new DeliveryClient({ connection: { clientCode: 'Demo!', apiVersion: 'v2' }, transport }),
      (e: unknown) => e instanceof TargetError && e.kind === 'usage',
    );
    const client = new DeliveryClient({ connection: { clientCode: 'demo', apiVersion: 'v2' }, transport });
    const many = Array.from({ length: 51 }, (_, i) => `m${i}`);
    for (const mboxes of [many, ['ok', '']]) {
      await assert.rejects(
        client.preview({ visitor: { pcId: 'p' }, mboxes }),
        (e: unknown) => e instanceof TargetError && e.kind === 'usage',
      );
    }
    assert.strictEqual(calls.length, 0);
  });

  it('the request log never shows the sessionId, the visitor or the tokens', async () => {
    const { transport } = recorder(served);
    const log: RequestLogEntry[] = [];
    const client = new DeliveryClient({
      connection: { clientCode: 'demo', apiVersion: 'v2' },
      transport,
      onRequest: (e) => log.push(e),
    });
    const result = await client.preview({
      visitor: { thirdPartyId: 'crm-1001' },
      mboxes: ['home-hero'],
      propertyToken: 'prop-secret',
      traceToken: 'trace-secret',
    });
    const text = JSON.stringify(log);
    assert.strictEqual(log.length, 1);
    for (const secret of [result.sessionId, 'crm-1001', 'prop-secret', 'trace-secret']) {
      assert.ok(!text.includes(secret), secret);
    }
  });
});
