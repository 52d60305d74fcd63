import * as assert from 'assert';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import { Dispatcher } from 'undici';
import { TargetClient } from '../../../../src/core/target/client';
import { TargetError } from '../../../../src/core/target/errors';
import {
  DispatcherFactory,
  UndiciTransport,
  dispatcherOptions,
  undiciDispatchers,
} from '../../../../src/core/target/http';
import { RateLimiter } from '../../../../src/core/target/limiter';
import { rejection } from '../../../support/fakeClock';

// A self-signed certificate for 127.0.0.1 (P-256, valid until 2126), made for this test only.
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgysVpjkTwKAZmSnI/
r8sGxcsAEBt2N4aTLM/yGBpNYYyhRANCAAS++pc/sMHC9AA0mB2ZFXMppqukMmb1
UPLVQL4eCb/W4hbG7mu8HkMZUt3kBwktyXUAKsoX4MYBupkI0JTsTA8s
-----END PRIVATE KEY-----
`;
const CERT = `-----BEGIN CERTIFICATE-----
MIIBjzCCATagAwIBAgIUG7E5yynBQY6vKSk4bjUfHP2mmnowCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyODEyMjYzMFoYDzIxMjYxMTA0
MTIyNjMwWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAS++pc/sMHC9AA0mB2ZFXMppqukMmb1UPLVQL4eCb/W4hbG7mu8HkMZ
Ut3kBwktyXUAKsoX4MYBupkI0JTsTA8so2QwYjAdBgNVHQ4EFgQUNx4lYh/Ae2I8
K3vLcGGQSPiMaZAwHwYDVR0jBBgwFoAUNx4lYh/Ae2I8K3vLcGGQSPiMaZAwDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0cAMEQC
IAW3P1lntZ4N1/HBd6+2A+8HIIyjWauQKyWntBMci2B+AiAWwc5NaINbQnDR7fBZ
CwoFlfqZVSub/h1zmL5lVFK6RA==
-----END CERTIFICATE-----
`;

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

function close(server: http.Server | https.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('target client: TLS verification (http.proxyStrictSSL)', () => {
  it('verifies certificates by default and passes strictSSL: false to every dispatcher undici builds', () => {
    const strict = dispatcherOptions({});
    assert.deepStrictEqual(strict.agent, { connect: { rejectUnauthorized: true } });
    assert.deepStrictEqual(strict.proxyAgent('http://p:1'), {
      uri: 'http://p:1',
      proxyTunnel: false,
      requestTls: { rejectUnauthorized: true },
      proxyTls: { rejectUnauthorized: true },
    });
    const lax = dispatcherOptions({ strictSSL: false });
    assert.deepStrictEqual(lax.agent, { connect: { rejectUnauthorized: false } });
    assert.deepStrictEqual(lax.proxyAgent('https://p:1'), {
      uri: 'https://p:1',
      proxyTunnel: false,
      requestTls: { rejectUnauthorized: false },
      proxyTls: { rejectUnauthorized: false },
    });
    assert.deepStrictEqual(dispatcherOptions({ strictSSL: true }).agent, strict.agent);
  });

  it('reaches the dispatcher construction: one direct agent, one agent per proxy', async () => {
    const built: { kind: string; options: unknown }[] = [];
    const factory: DispatcherFactory = {
      agent: (options) => (built.push({ kind: 'agent', options }), undiciDispatchers.agent(options)),
      proxyAgent: (options) => (built.push({ kind: 'proxy', options }), undiciDispatchers.proxyAgent(options)),
    };
    const transport = new UndiciTransport(
      { strictSSL: false, env: { https_proxy: 'http://127.0.0.1:9' }, noProxy: 'localhost' },
      factory,
    );
    const a: Dispatcher = transport.dispatcherFor(new URL('https://localhost:1/x'));
    assert.strictEqual(transport.dispatcherFor(new URL('https://localhost:2/y')), a, 'the direct agent is reused');
    transport.dispatcherFor(new URL('https://acme.tt.omtrdc.net/x'));
    transport.dispatcherFor(new URL('https://other.tt.omtrdc.net/x'));
    assert.deepStrictEqual(built, [
      { kind: 'agent', options: { connect: { rejectUnauthorized: false } } },
      {
        kind: 'proxy',
        options: {
          uri: 'http://127.0.0.1:9',
          proxyTunnel: false,
          requestTls: { rejectUnauthorized: false },
          proxyTls: { rejectUnauthorized: false },
        },
      },
    ]);
    await transport.close();
  });

  describe('against a self-signed https server on loopback', () => {
    let server: https.Server;
    let base: string;
    let proxy: http.Server;
    let proxyUrl: string;
    const tunnels: string[] = [];
    const clients: TargetClient[] = [];

    before(async () => {
      server = https.createServer({ key: KEY, cert: CERT }, (req, res) => {
        req.resume();
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 404, message: 'No profile found for client acme with mboxPC=p' }));
      });
      base = `https://127.0.0.1:${await listen(server)}`;
      // A CONNECT proxy, as corporate proxies tunnel https.
      proxy = http.createServer((_req, res) => res.writeHead(405).end());
      proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
        tunnels.push(req.url ?? '');
        const [host, port] = (req.url ?? '').split(':');
        const upstream = net.connect(Number(port), host, () => {
          socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          upstream.write(head);
          upstream.pipe(socket);
          socket.pipe(upstream);
        });
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
      });
      proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
    });
    after(async () => {
      await close(server);
      await close(proxy);
    });

    function client(proxySettings: ConstructorParameters<typeof UndiciTransport>[0]): TargetClient {
      const c = new TargetClient({
        connection: { clientCode: 'acme', baseUrl: base, apiVersion: 'v1' },
        proxy: proxySettings,
        limiter: new RateLimiter(),
        retry: { maxAttempts: 1 },
      });
      clients.push(c);
      return c;
    }

    it('refuses the self-signed certificate by default, directly and through a proxy', async () => {
      for (const settings of [{}, { strictSSL: true }, { proxy: proxyUrl }]) {
        const error = await rejection(client(settings).fetchProfile({ pcId: 'p' }));
        assert.ok(error instanceof TargetError && error.kind === 'network', String(error));
        assert.match((error as Error).message, /SELF_SIGNED|certificate/i);
      }
    });

    it('accepts it with strictSSL: false, directly and through the proxy tunnel', async () => {
      const notFound = { found: false, status: 404, message: 'No profile found for client acme with mboxPC=p' };
      tunnels.length = 0;
      assert.deepStrictEqual(await client({ strictSSL: false }).fetchProfile({ pcId: 'p' }), notFound);
      assert.deepStrictEqual(await client({ strictSSL: false, proxy: proxyUrl }).fetchProfile({ pcId: 'p' }), notFound);
      assert.deepStrictEqual(tunnels, [new URL(base).host]);
    });
  });
});
