import * as assert from 'assert';
import * as http from 'http';
import * as net from 'net';
import { TargetClient, type TargetClientOptions } from '../../../../src/core/target/client';
import { TargetError } from '../../../../src/core/target/errors';
import { displayProxy, type ProxySettings, type RequestLogEntry } from '../../../../src/core/target/http';
import { RateLimiter } from '../../../../src/core/target/limiter';
import { Emulator, startEmulator } from '../../../../src/emulator/server';
import { rejection } from '../../../support/fakeClock';

/**
 * Requests through a real local proxy to the emulator: which hop failed is named in the message, a
 * refused tunnel is final, `noProxy` exempts hosts, and the proxy authorization reaches the proxy only.
 */
type Mode = 'forward' | 'refuse' | 'auth';

interface TestProxy {
  url: string;
  /** Every request the proxy received: method, target (absolute URL or host:port) and headers. */
  seen: { method: string; target: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

const PROXY_AUTH = `Basic ${Buffer.from('qa:proxy-pass').toString('base64')}`;

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

/**
 * A small forward proxy: plain-http requests in absolute form are forwarded, CONNECT opens a tunnel.
 * "refuse" answers 502 to everything; "auth" answers 407 unless PROXY_AUTH is sent.
 */
async function startProxy(mode: Mode): Promise<TestProxy> {
  const seen: TestProxy['seen'] = [];
  const denied = (headers: http.IncomingHttpHeaders) =>
    mode === 'refuse' ? 502 : mode === 'auth' && headers['proxy-authorization'] !== PROXY_AUTH ? 407 : 0;
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, target: req.url!, headers: req.headers });
    const status = denied(req.headers);
    if (status) {
      res.writeHead(status, status === 407 ? { 'proxy-authenticate': 'Basic realm="qa"' } : {});
      res.end();
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(req.url!, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode!, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    seen.push({ method: 'CONNECT', target: req.url!, headers: req.headers });
    socket.on('error', () => undefined);
    const status = denied(req.headers);
    if (status) {
      socket.end(`HTTP/1.1 ${status} ${status === 407 ? 'Proxy Authentication Required' : 'Bad Gateway'}\r\n\r\n`);
      return;
    }
    const [host, port] = req.url!.split(':');
    const upstream = net.connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A proxy address nothing listens on. */
async function deadProxyUrl(): Promise<string> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe('target client through a proxy', () => {
  let emulator: Emulator;
  const clients: TargetClient[] = [];
  const proxies: TestProxy[] = [];
  let attempts: RequestLogEntry[];

  function client(proxy: ProxySettings, baseUrl = emulator.url, extra: Partial<TargetClientOptions> = {}) {
    const c = new TargetClient({
      connection: { clientCode: 'acme', baseUrl, apiVersion: 'v2' },
      retry: { baseDelayMs: 10, maxDelayMs: 50 },
      limiter: new RateLimiter(),
      proxy,
      onRequest: (e) => attempts.push(e),
      ...extra,
    });
    clients.push(c);
    return c;
  }

  async function proxy(mode: Mode): Promise<TestProxy> {
    const p = await startProxy(mode);
    proxies.push(p);
    return p;
  }

  beforeEach(async () => {
    attempts = [];
    emulator = await startEmulator({
      seed: [{ clientCode: 'acme', pcId: '1368007744041-575948.01_00', thirdPartyId: 'crm-1', attributes: {} }],
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    await emulator.close();
  });

  it('names the proxy, not Target, when the proxy is down, and does not retry', async () => {
    const dead = await deadProxyUrl();
    const error = await rejection(client({ proxy: dead }).fetchProfile({ thirdPartyId: 'crm-1' }));
    assert.ok(error instanceof TargetError && error.kind === 'network', String(error));
    assert.match(
      error.message,
      new RegExp(`^Could not connect to the proxy ${dead.replace(/\./g, '\\.')} for .*connection refused`),
    );
    assert.match(error.message, new RegExp(`nothing was sent to Target \\(${new URL(emulator.url).host}\\)`));
    assert.strictEqual(attempts.length, 1, 'a proxy that is down is not asked again and again');
    assert.strictEqual(emulator.requests.length, 0);
  });

  it('reports a tunnel the proxy refuses (502 to CONNECT) in plain words, once', async () => {
    const refusing = await proxy('refuse');
    // An https Target is reached through a CONNECT tunnel.
    const target = `https://127.0.0.1:${new URL(emulator.url).port}`;
    const error = await rejection(client({ proxy: refusing.url }, target).fetchProfile({ thirdPartyId: 'crm-1' }));
    assert.ok(error instanceof TargetError && error.kind === 'network', String(error));
    assert.ok(!/Proxy response|Tunneling/.test(error.message), error.message);
    assert.match(
      error.message,
      /^The proxy http:\/\/127\.0\.0\.1:\d+ refused to connect to 127\.0\.0\.1:\d+ for .*\(HTTP 502\)/,
    );
    assert.strictEqual(refusing.seen.filter((r) => r.method === 'CONNECT').length, 1, 'not retried');
    assert.strictEqual(attempts.length, 1);
  });

  it('says the proxy wants authorization when it answers 407', async () => {
    const guarded = await proxy('auth');
    const target = `https://127.0.0.1:${new URL(emulator.url).port}`;
    const tunnel = await rejection(client({ proxy: guarded.url }, target).fetchProfile({ thirdPartyId: 'crm-1' }));
    assert.match((tunnel as Error).message, /^The proxy http:\/\/127\.0\.0\.1:\d+ asks for authorization \(HTTP 407\)/);
    const plain = await rejection(client({ proxy: guarded.url }).fetchProfile({ thirdPartyId: 'crm-1' }));
    assert.match((plain as Error).message, /asks for authorization \(HTTP 407\)/);
    assert.strictEqual(guarded.seen.length, 2, 'neither is retried');
  });

  it('sends the proxy authorization to the proxy and not to Target', async () => {
    const guarded = await proxy('auth');
    const profile = await client({ proxy: guarded.url, proxyAuthorization: PROXY_AUTH }).fetchProfile({
      thirdPartyId: 'crm-1',
    });
    assert.ok(profile);
    assert.deepStrictEqual(
      guarded.seen.map((r) => [r.method, r.headers['proxy-authorization']]),
      [['GET', PROXY_AUTH]],
    );
    assert.strictEqual(emulator.requests.length, 1, 'Target got the request through the proxy');
    // Credentials in the proxy URL work the same way and never appear in a message.
    const inUrl = guarded.url.replace('//', '//qa:proxy-pass@');
    await client({ proxy: inUrl }).fetchProfile({ thirdPartyId: 'crm-1' });
    assert.strictEqual(guarded.seen[1].headers['proxy-authorization'], PROXY_AUTH);
    assert.strictEqual(displayProxy(inUrl), guarded.url);
  });

  it('goes direct for hosts in noProxy (the editor http.noProxy), whatever the proxy', async () => {
    const dead = await deadProxyUrl();
    await client({ proxy: dead, noProxy: 'example.com,127.0.0.1' }).fetchProfile({ thirdPartyId: 'crm-1' });
    assert.strictEqual(emulator.requests.length, 1);
    const error = await rejection(
      client({ proxy: dead, noProxy: 'example.com' }).fetchProfile({ thirdPartyId: 'crm-1' }),
    );
    assert.match((error as Error).message, /^Could not connect to the proxy/);
  });
});
