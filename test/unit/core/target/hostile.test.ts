import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { BatchSubmitError, TargetClient, TargetClientOptions } from '../../../../src/core/target/client';
import { TargetError } from '../../../../src/core/target/errors';
import {
  HttpRequest,
  HttpResponse,
  MAX_RESPONSE_BYTES,
  RequestLogEntry,
  Transport,
} from '../../../../src/core/target/http';
import { RateLimiter } from '../../../../src/core/target/limiter';
import { decodeXmlText, parseBatchStatus, readTag } from '../../../../src/core/target/xml';
import { Emulator, startEmulator } from '../../../../src/emulator/server';
import { rejection } from '../../../support/fakeClock';

const TOKEN = 'tok-5f3c9a1e-SECRET-77d2';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-hostile-'));
let fileCounter = 0;
function batchFile(content: string): string {
  const p = path.join(dir, `h${fileCounter++}.batch`);
  fs.writeFileSync(p, content);
  return p;
}

/** A transport that records every request and answers them all with `answer`. */
function recorder(answer: HttpResponse = { status: 200, headers: {}, body: '' }): Transport & { calls: HttpRequest[] } {
  const calls: HttpRequest[] = [];
  const send = async (req: HttpRequest): Promise<HttpResponse> => {
    calls.push(req);
    return answer;
  };
  return Object.assign(send, { calls });
}

function isUsage(e: unknown): boolean {
  return e instanceof TargetError && e.kind === 'usage';
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** A loopback server whose handler the test sets; records what it received. */
async function startServer(
  handler: http.RequestListener,
): Promise<{ url: string; seen: { url: string; headers: http.IncomingHttpHeaders }[]; close(): Promise<void> }> {
  const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const CYRILLIC_ACME = '\u0430cme'; // "аcme": a Cyrillic а, not a Latin a
const FULL_WIDTH_ACME = '\uff41\uff43\uff4d\uff45'; // "ａｃｍｅ"

describe('target client: hostile input', () => {
  let emulator: Emulator;
  const clients: TargetClient[] = [];

  function client(
    overrides: Partial<TargetClientOptions> = {},
    connection: Partial<TargetClientOptions['connection']> = {},
  ): TargetClient {
    const c = new TargetClient({
      connection: { clientCode: 'acme', baseUrl: emulator.url, apiVersion: 'v2', ...connection },
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
      limiter: new RateLimiter(1000),
      proxy: {},
      ...overrides,
    });
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    emulator = await startEmulator();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await emulator.close();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('client codes and base URLs that would change the host', () => {
    it('refuses client codes that are not plain lower-case letters and digits, before any request', () => {
      const bad = [
        'evil.com/x',
        'a@b',
        '..',
        '.',
        CYRILLIC_ACME,
        FULL_WIDTH_ACME,
        'acme:8080',
        'acme/../x',
        'ACME',
        'acme ',
        'acme\n',
        '',
        'acme#',
        'acme?x',
        'acme%2f',
        'acme.tt.omtrdc.net',
        'ac\u0000me',
        'acme\u200b',
      ];
      for (const clientCode of bad) {
        const transport = recorder();
        // With the default base URL the code is the host; with a base URL it is a path segment: both refused.
        for (const baseUrl of [undefined, emulator.url]) {
          const error = thrown(
            () =>
              new TargetClient({
                connection: { clientCode, apiVersion: 'v1', ...(baseUrl ? { baseUrl } : {}) },
                transport,
              }),
          );
          assert.ok(isUsage(error), JSON.stringify(clientCode));
          assert.match((error as Error).message, /client code/);
        }
        assert.strictEqual(transport.calls.length, 0);
      }
      assert.strictEqual(emulator.requests.length, 0);
    });

    it('refuses base URLs that change or disguise the host, or use a scheme other than https', () => {
      const port = new URL(emulator.url).port;
      // Any https host may be configured (an edge host, a gateway); these are what must never pass.
      const bad = [
        'http://evil.com',
        'http://acme.tt.omtrdc.net.evil.com',
        'http://127.0.0.1.evil.com',
        `http://localhost.evil.com:${port}`,
        `https://${CYRILLIC_ACME}.tt.omtrdc.net`,
        `https://${FULL_WIDTH_ACME}.tt.omtrdc.net`,
        'https://acme.tt.omtrdc.net\uff0fevil.com',
        'https://user:pw@acme.tt.omtrdc.net',
        'https://acme.tt.omtrdc.net@evil.com',
        `http://user@127.0.0.1:${port}`,
        'https://evil.com\\@acme.tt.omtrdc.net',
        'https://ac\nme.tt.omtrdc.net',
        'https://ac\tme.tt.omtrdc.net',
        ' https://acme.tt.omtrdc.net',
        'file:///etc/passwd',
        'javascript:alert(1)',
        'data:text/plain,hi',
        'ftp://acme.tt.omtrdc.net',
        `${emulator.url}?x=1`,
        `${emulator.url}#frag`,
        '//evil.com',
        'acme.tt.omtrdc.net',
        'http://[::ffff:7f00:1]:1',
      ];
      for (const baseUrl of bad) {
        const transport = recorder();
        const error = thrown(
          () => new TargetClient({ connection: { clientCode: 'acme', baseUrl, apiVersion: 'v1' }, transport }),
        );
        assert.ok(isUsage(error), `${JSON.stringify(baseUrl)}: ${String(error)}`);
        assert.strictEqual(transport.calls.length, 0);
      }
      assert.strictEqual(emulator.requests.length, 0);
    });

    it('allows loopback over http (IPv4, localhost, IPv6 [::1]) and any port on https', async () => {
      const transport = recorder({ status: 200, headers: {}, body: '{}' });
      for (const baseUrl of [
        'http://127.0.0.1:9',
        'http://localhost:9',
        'http://[::1]:9',
        'https://acme.tt.omtrdc.net:8443',
        'https://edge.example.com/prefix',
      ]) {
        const c = new TargetClient({
          connection: { clientCode: 'acme', baseUrl, apiVersion: 'v1' },
          transport,
          limiter: new RateLimiter(),
        });
        await c.fetchProfile({ pcId: 'p1' });
        const sent = transport.calls[transport.calls.length - 1].url;
        assert.strictEqual(sent.origin, new URL(baseUrl).origin, baseUrl);
      }
    });

    it('really reaches an emulator on the IPv6 loopback [::1] over plain http', async function () {
      let v6: Emulator;
      try {
        v6 = await startEmulator({ host: '::1' });
      } catch {
        this.skip();
      }
      try {
        assert.match(v6.url, /^http:\/\/\[::1\]:\d+$/);
        const c = new TargetClient({
          connection: { clientCode: 'acme', baseUrl: v6.url, apiVersion: 'v1' },
          proxy: {},
          limiter: new RateLimiter(),
        });
        clients.push(c);
        assert.deepStrictEqual(await c.fetchProfile({ pcId: 'nobody' }), {
          found: false,
          status: 404,
          message: 'No profile found for client acme with mboxPC=nobody',
        });
        assert.strictEqual(v6.requests.length, 1);
      } finally {
        await v6.close();
      }
    });

    it('refuses batch status URLs that leave https or disguise the host, and upgrades Target edges to https', async () => {
      const transport = recorder({
        status: 200,
        headers: {},
        body: '<response><batchId>acme-1-1</batchId><status>complete</status></response>',
      });
      const c = new TargetClient({
        connection: { clientCode: 'acme', token: TOKEN, apiVersion: 'v1' },
        transport,
        limiter: new RateLimiter(),
      });
      const bad = [
        'http://mboxedge45.evil.com/m2/acme/profile/batchStatus?batchId=1',
        'http://mboxedge45.tt.omtrdc.net.evil.com/m2/acme/profile/batchStatus?batchId=1',
        'http://mboxedge45.tt.omtrdc.net:8080/m2/acme/profile/batchStatus?batchId=1',
        `http://mboxedge45.tt.omtrdc.net/m2/acme/profile/batchStatus?batchId=${TOKEN}`,
        'https://user:pw@mboxedge45.tt.omtrdc.net/m2/acme/profile/batchStatus?batchId=1',
        'https://mboxedge45.tt.omtrdc.net@evil.com/x',
        `https://mboxedge45.tt.${'\u043e'}mtrdc.net/x`,
        'file:///etc/passwd',
        'javascript:alert(1)',
        'mboxedge45.tt.omtrdc.net/x',
      ];
      for (const url of bad) assert.ok(isUsage(await rejection(c.batchStatus(url))), url);
      assert.strictEqual(transport.calls.length, 0);

      await c.batchStatus(
        'http://mboxedge45.tt.omtrdc.net/m2/acme/profile/batchStatus?batchId=acme-1-1&mboxPC=0000000000000-000000.19_05',
      );
      assert.strictEqual(
        transport.calls[0].url.href,
        'https://mboxedge45.tt.omtrdc.net/m2/acme/profile/batchStatus?batchId=acme-1-1&mboxPC=0000000000000-000000.19_05',
      );
      assert.strictEqual(
        transport.calls[0].headers.authorization,
        `Bearer ${TOKEN}`,
        'Target edges get the token, over https',
      );
    });
  });

  describe('names, values and ids are always encoded and arrive intact', () => {
    const tricky = [
      '&',
      '=',
      '#',
      '?',
      '/',
      '%',
      '%41',
      '%zz',
      '+',
      ' ',
      'a b',
      '\n',
      '\r\n',
      '\u0000',
      '😀',
      'é',
      'Ω',
      '\u202e',
      FULL_WIDTH_ACME,
      '..',
      '../..',
      'a=b&c=d',
      ';',
      '\\',
      '"\'<>`',
      '\t',
      'profile.x',
    ];

    it('round-trips every name and value through the emulator by GET and by POST', async () => {
      emulator.seedProfile({ clientCode: 'acme', pcId: 'p1' });
      const pairs: [string, string][] = tricky.map((t, i) => [`n${i}${t}`, `v${t}${t}`]);
      const get = await client().updateProfile({ id: { pcId: 'p1' }, attributes: pairs });
      assert.strictEqual(get.method, 'GET');
      const padded: [string, string][] = tricky.map((t, i) => [`post${i}${t}`, `${t}${'x'.repeat(400)}${t}`]);
      const post = await client().updateProfile({ id: { pcId: 'p1' }, attributes: padded });
      assert.strictEqual(post.method, 'POST');
      const [profile] = emulator.exportProfiles();
      const stored = Object.fromEntries(Object.entries(profile.attributes).map(([k, v]) => [k, v.value]));
      assert.deepStrictEqual(stored, Object.fromEntries([...pairs, ...padded]));
      assert.ok(emulator.requests.every((r) => r.url.startsWith('/m2/acme/profile/update')));
    });

    it('round-trips pcIds and thirdPartyIds holding .., /, ?, #, &, NUL and unicode without changing the path', async () => {
      const ids = tricky
        .filter((t) => t !== '..')
        .map((t, i) => `id${i}${t}`)
        .concat(['../x', '..%2F', '%2e%2e', '?#', 'a/../../b']);
      for (const [i, id] of ids.entries()) {
        emulator.seedProfile({ clientCode: 'acme', pcId: id, attributes: {} });
        const thirdPartyId = /[+/]/.test(id) ? undefined : `tp-${id}`;
        if (thirdPartyId) emulator.seedProfile({ clientCode: 'acme', pcId: `pc-for-${i}`, thirdPartyId });
        await client().updateProfile({ id: { pcId: id }, attributes: { who: `pc ${id}` } });
        const byPc = await client().fetchProfile({ pcId: id });
        assert.ok(byPc.found && byPc.profile.visitorId === id, JSON.stringify(id));
        if (thirdPartyId) {
          await client().updateProfile({ id: { thirdPartyId }, attributes: { who: `tp ${id}` } });
          const byTp = await client().fetchProfile({ thirdPartyId });
          assert.ok(byTp.found && byTp.profile.visitorId === thirdPartyId, JSON.stringify(thirdPartyId));
        }
      }
      const profiles = emulator.exportProfiles();
      for (const [i, id] of ids.entries()) {
        assert.strictEqual(profiles.find((p) => p.pcId === id)!.attributes.who.value, `pc ${id}`);
        if (!/[+/]/.test(id)) {
          assert.strictEqual(profiles.find((p) => p.pcId === `pc-for-${i}`)!.attributes.who.value, `tp ${id}`);
        }
      }
      for (const r of emulator.requests) {
        const pathname = new URL(r.url, 'http://x').pathname;
        assert.ok(
          pathname === '/m2/acme/profile/update' || /^\/rest\/v1\/profiles\/(thirdPartyId\/)?[^/]+$/.test(pathname),
          r.url,
        );
      }
    });

    it('refuses a thirdPartyId with / or + (Target does not allow them) and path-step ids, before any request', async () => {
      for (const call of [
        () => client().updateProfile({ id: { thirdPartyId: 'a/b' }, attributes: { a: '1' } }),
        () => client().updateProfile({ id: { thirdPartyId: 'a+b' }, attributes: { a: '1' } }),
        () => client().fetchProfile({ thirdPartyId: '../admin' }),
        () => client().fetchProfile({ thirdPartyId: 'x+y' }),
        () => client().fetchProfile({ pcId: '..' }),
        () => client().fetchProfile({ pcId: '.' }),
        () => client().fetchProfile({ marketingCloudVisitorId: '..' }),
        () => client().updateProfile({ id: { pcId: '..' }, attributes: { a: '1' } }),
        () => client().updateProfile({ id: { pcId: '' }, attributes: { a: '1' } }),
        () => client().updateProfile({ id: { pcId: 'p' }, attributes: { '': '1' } }),
        () => client().updateProfile({ id: { pcId: 'p' }, attributes: { a: '\udc00' } }),
        () => client().updateProfile({ id: { pcId: '\ud800' }, attributes: { a: '1' } }),
      ]) {
        assert.ok(isUsage(await rejection(call())));
      }
      assert.strictEqual(emulator.requests.length, 0);
    });
  });

  describe('hostile answers', () => {
    it('never expands entities: a DOCTYPE or ENTITY declaration makes the answer refused', async () => {
      const declared = [
        '<!DOCTYPE response [<!ENTITY x "<success>true</success>">]><response><success>&x;</success><message>m</message></response>',
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><response><success>true</success><message>&lol2;</message></response>',
        '<response><!ENTITY x SYSTEM "file:///etc/passwd"><success>true</success><message>&x;</message></response>',
        '<!doctype response SYSTEM "http://evil.example/x.dtd"><response><success>true</success></response>',
      ];
      for (const body of declared) {
        const c = new TargetClient({
          connection: { clientCode: 'acme', apiVersion: 'v1' },
          transport: recorder({ status: 200, headers: {}, body }),
        });
        const error = await rejection(c.updateProfile({ id: { pcId: 'p' }, attributes: { a: '1' } }));
        assert.ok(
          error instanceof TargetError && error.kind === 'server' && /DOCTYPE|ENTITY/.test(error.message),
          body,
        );
        const status = await rejection(
          c.batchStatus('https://mboxedge1.tt.omtrdc.net/m2/acme/profile/batchStatus?batchId=1'),
        );
        assert.ok(status instanceof TargetError && status.kind === 'server', body);
      }
      // Only the five XML entities and numeric references are decoded; anything else stays literal.
      assert.strictEqual(
        decodeXmlText('&xxe; &amp; &lt;&gt;&quot;&apos; &#65;&#x42; &nbsp; &#99999999999; &amp;lt;'),
        '&xxe; & <>"\' AB &nbsp; &#99999999999; &lt;',
      );
      assert.strictEqual(readTag('<response><message>&ent;</message></response>', 'message'), '&ent;');
    });

    it('caps what it reads at 1 MiB and fails with a clear server error beyond, without retrying', async () => {
      let served = 0;
      const server = await startServer((req, res) => {
        served++;
        req.resume();
        if (req.url!.includes('length')) {
          res.writeHead(200, { 'content-type': 'text/xml', 'content-length': String(64 * 1024 * 1024) });
          res.write('<response>');
          return;
        }
        // No content-length and no end: the client must stop reading by itself.
        res.writeHead(200, { 'content-type': 'text/xml' });
        const chunk = Buffer.alloc(64 * 1024, 'a');
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      });
      try {
        const c = new TargetClient({
          connection: { clientCode: 'acme', baseUrl: server.url, apiVersion: 'v1' },
          proxy: {},
          limiter: new RateLimiter(),
        });
        clients.push(c);
        const endless = await rejection(c.fetchProfile({ pcId: 'p' }));
        assert.ok(endless instanceof TargetError && endless.kind === 'server', String(endless));
        assert.match((endless as Error).message, new RegExp(`larger than ${MAX_RESPONSE_BYTES} bytes`));
        const announced = await rejection(c.batchStatus(`${server.url}/length?batchId=1`));
        assert.ok(announced instanceof TargetError && announced.kind === 'server', String(announced));
        assert.strictEqual(served, 2, 'an oversize answer is not retried');
        const upload = await rejection(c.submitBatch(batchFile('batch=pcId,a\n1,x\n')));
        assert.ok(
          upload instanceof BatchSubmitError && upload.kind === 'server' && upload.maybeAccepted,
          String(upload),
        );
      } finally {
        await server.close();
      }
      // Custom transports get the same cap.
      const big = new TargetClient({
        connection: { clientCode: 'acme', apiVersion: 'v1' },
        transport: recorder({ status: 200, headers: {}, body: 'x'.repeat(MAX_RESPONSE_BYTES + 1) }),
      });
      const error = await rejection(big.fetchProfile({ pcId: 'p' }));
      assert.ok(error instanceof TargetError && error.kind === 'server');
    });

    it('gives clear errors for HTML pages, empty bodies, JSON where XML is expected, XML where JSON is', async () => {
      const html = '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>';
      const cases: {
        body: string;
        status?: number;
        call: (c: TargetClient) => Promise<unknown>;
        expect: RegExp;
        kind?: string;
      }[] = [
        {
          body: html,
          call: (c) => c.updateProfile({ id: { pcId: 'p' }, attributes: { a: '1' } }),
          expect: /HTML page/,
        },
        {
          body: html,
          status: 502,
          call: (c) => c.updateProfile({ id: { pcId: 'p' }, attributes: { a: '1' } }),
          expect: /HTTP 502/,
        },
        {
          body: '<html><body>Sign in</body></html>',
          call: (c) => c.fetchProfile({ pcId: 'p' }),
          expect: /expected a JSON object, got an HTML page/,
        },
        { body: '', call: (c) => c.batchStatus('https://e.tt.omtrdc.net/s?batchId=1'), expect: /empty answer/ },
        {
          body: '{"status":200,"batchId":"x"}',
          call: (c) => c.batchStatus('https://e.tt.omtrdc.net/s?batchId=1'),
          expect: /got JSON/,
        },
        {
          body: '<response><success>true</success></response>',
          call: (c) => c.fetchProfile({ pcId: 'p' }),
          expect: /expected a JSON object, got XML/,
        },
        { body: '[1,2]', call: (c) => c.fetchProfile({ pcId: 'p' }), expect: /JSON object/ },
        { body: 'null', call: (c) => c.fetchProfile({ pcId: 'p' }), expect: /JSON object/ },
        {
          body: '<response><success>tr',
          call: (c) => c.updateProfile({ id: { pcId: 'p' }, attributes: { a: '1' } }),
          expect: /not understood/,
        },
        {
          body: '\u0000\u0001\u0002 binary',
          call: (c) => c.batchStatus('https://e.tt.omtrdc.net/s?batchId=1'),
          expect: /\\u0000/,
        },
      ];
      for (const { body, status = 200, call, expect } of cases) {
        const c = new TargetClient({
          connection: { clientCode: 'acme', apiVersion: 'v1' },
          transport: recorder({ status, headers: {}, body }),
        });
        const error = await rejection(call(c));
        assert.ok(error instanceof TargetError && error.kind === 'server', `${body}: ${String(error)}`);
        assert.match((error as Error).message, expect, body);
        assert.ok((error as Error).message.length < 600, 'messages stay short');
      }
      // An empty answer to an upload may still mean Target took it.
      const c = new TargetClient({
        connection: { clientCode: 'acme', apiVersion: 'v1' },
        transport: recorder({ status: 200, headers: {}, body: '' }),
      });
      const upload = await rejection(c.submitBatch(batchFile('batch=pcId,a\n1,x\n')));
      assert.ok(
        upload instanceof BatchSubmitError &&
          upload.kind === 'server' &&
          upload.maybeAccepted &&
          /empty answer/.test(upload.message),
      );
      assert.strictEqual(parseBatchStatus('<html><body><batchId>x</batchId></body></html>'), undefined);
    });
  });

  describe('the token', () => {
    it('never appears in URLs, error messages or log entries, even when the server echoes the request', async () => {
      /** Answers each route with the whole request echoed back: in a <message>, a JSON message, or raw. */
      const echo = (req: http.IncomingMessage) => `${req.method} ${req.url} ${JSON.stringify(req.headers)}`;
      const server = await startServer((req, res) => {
        req.resume();
        const said = echo(req);
        const url = req.url ?? '';
        if (url.startsWith('/rest/v1/profiles/')) {
          res.writeHead(url.includes('ghost') ? 404 : 500, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ status: 404, message: said }));
        }
        if (url.includes('batchUpdate')) {
          res.writeHead(200, { 'content-type': 'text/xml' });
          return res.end(
            `<response><success>false</success><batchStatus></batchStatus><message>${said}</message></response>`,
          );
        }
        if (url.includes('batchStatus')) {
          res.writeHead(200, { 'content-type': 'text/html' });
          return res.end(`<html>${said}</html>`);
        }
        const status = url.includes('auth') ? 401 : 500;
        res.writeHead(status, { 'content-type': 'text/xml' });
        return res.end(
          `<response><success>false</success><message>${said} ${encodeURIComponent(said)}</message></response>`,
        );
      });
      const entries: RequestLogEntry[] = [];
      const texts: string[] = [];
      const collect = (e: unknown) => {
        texts.push(String(e), (e as Error).stack ?? '', JSON.stringify(e), (e as TargetError).serverMessage ?? '');
      };
      try {
        const c = new TargetClient({
          connection: { clientCode: 'acme', baseUrl: server.url, token: TOKEN, apiVersion: 'v1' },
          proxy: {},
          limiter: new RateLimiter(),
          retry: { maxAttempts: 1 },
          onRequest: (e) => entries.push(e),
        });
        clients.push(c);
        collect(await rejection(c.updateProfile({ id: { pcId: 'p' }, attributes: { a: '1' } })));
        collect(await rejection(c.fetchProfile({ pcId: 'p' })));
        const notFound = await c.fetchProfile({ pcId: 'ghost' });
        assert.ok(!notFound.found);
        texts.push(notFound.message);
        collect(await rejection(c.submitBatch(batchFile('batch=pcId,a\n1,x\n'))));
        collect(await rejection(c.batchStatus(`${server.url}/m2/acme/profile/batchStatus?batchId=1`)));
        collect(await rejection(c.batchStatus(`${server.url}/m2/acme/profile/batchStatus?batchId=${TOKEN}`)));
        collect(
          await rejection(
            c.batchStatus(`${server.url}/m2/acme/profile/batchStatus?batchId=${encodeURIComponent(TOKEN)}x`),
          ),
        );
        const refused = new TargetClient({
          connection: { clientCode: 'acme', baseUrl: 'http://127.0.0.1:1', token: TOKEN, apiVersion: 'v1' },
          proxy: {},
          retry: { maxAttempts: 1 },
        });
        clients.push(refused);
        collect(await rejection(refused.fetchProfile({ pcId: 'p' })));

        assert.ok(server.seen.length >= 5);
        assert.ok(
          server.seen.every((s) => s.headers.authorization === `Bearer ${TOKEN}`),
          'the server did get the token, in the header',
        );
        assert.ok(
          server.seen.every((s) => !s.url.includes(TOKEN)),
          'never in a URL',
        );
        assert.ok(
          texts.some((t) => t.includes('***')),
          'the echoed token was scrubbed, not dropped silently',
        );
        const all = texts.join('\n') + JSON.stringify(entries);
        assert.ok(!all.includes(TOKEN) && !all.includes(encodeURIComponent(TOKEN)), all.slice(0, 2000));
        assert.ok(entries.length >= 5 && entries.every((e) => e.headers.authorization === 'Bearer ***'));
      } finally {
        await server.close();
      }
    });
  });
});
