import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../../src/cli';
import { Emulator, startEmulator } from '../../../src/emulator/server';
import { recordingIO } from '../../support/cliIO';

/**
 * The profile API token (TARGET_PROFILE_TOKEN) must never be printed by the command line: not on
 * success, not on failure (wrong token, 5xx, network down, a server that echoes the request), not
 * in --json nor in human output, for every command. The emulator's request records show it never
 * travelled in a URL either.
 */
const TOKEN = 'cli-secret-9d4e7b1a-known-to-this-test';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-secrets-cli-'));

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

const batchFile = write('ok.batch', 'batch=thirdPartyId,tier\ncrm-1,silver\nnew-1,bronze\n');
const brokenFile = write('broken.batch', 'batch=mbox3rdPartyId,profile.tier\ncrm-1,a&b\n');
const scenarioFile = write(
  'secret.targetprofile.json',
  JSON.stringify({
    connection: 'Local emulator',
    steps: [
      { type: 'update', name: 'set', idType: 'thirdPartyId', id: 'crm-1', attributes: { tier: 'gold' } },
      { type: 'verify', name: 'check', idType: 'thirdPartyId', id: 'crm-1', expect: { tier: 'gold' }, within: 2 },
    ],
  }),
);

async function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

interface Run {
  args: string[];
  code: number;
  out: string;
  err: string;
}

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  // A terminal, so that progress lines (which name URLs and files) are printed and checked too.
  const io = recordingIO({ env, cwd: dir, stderrIsTTY: true, signal: AbortSignal.timeout(30_000) });
  const t0 = Date.now();
  const code = await main(args, io);
  if (process.env.TP_SECRETS_VERBOSE) {
    console.log(`${Date.now() - t0} ms exit ${code}: ${args.join(' ').slice(0, 100)}`);
  }
  return { args, code, out: io.out, err: io.err };
}

function assertNoToken(runs: Run[]): void {
  for (const r of runs) {
    const where = `${r.args.join(' ')} (exit ${r.code})`;
    assert.ok(!r.out.includes(TOKEN), `the token is on stdout of ${where}:\n${r.out}`);
    assert.ok(!r.err.includes(TOKEN), `the token is on stderr of ${where}:\n${r.err}`);
  }
}

/** Every command, in human and --json form; `statusUrl` is a status URL for `status`. */
function everyCommand(statusUrl: string): string[][] {
  const base = [
    ['validate', batchFile],
    ['validate', brokenFile],
    ['update', '--client', 'acme', '--third-party-id', 'crm-1', 'tier=gold', 'note=a&b'],
    ['update', '--client', 'acme', '--pc-id', 'pc-1', `big=${'x'.repeat(9000)}`],
    ['fetch', '--client', 'acme', '--third-party-id', 'crm-1'],
    ['fetch', '--client', 'acme', '--pc-id', 'nobody'],
    ['submit', batchFile, '--client', 'acme', '--api', 'v2'],
    ['submit', batchFile, '--client', 'acme', '--api', 'v1', '--wait'],
    ['submit', brokenFile, '--client', 'acme'],
    ['status', statusUrl],
    ['status', statusUrl, '--details'],
    ['scenario', scenarioFile, '--client', 'acme'],
  ];
  return base.flatMap((args) => [args, [...args, '--json']]);
}

describe('secrets: the command line never prints TARGET_PROFILE_TOKEN', function () {
  this.timeout(120_000);
  let emulator: Emulator;

  beforeEach(async () => {
    emulator = await startEmulator({
      token: TOKEN,
      statusDelayMs: 300,
      seed: [{ clientCode: 'acme', pcId: 'pc-1', thirdPartyId: 'crm-1', attributes: { tier: 'silver' } }],
    });
  });
  afterEach(async () => {
    // The token was never in a URL the emulator received.
    assert.ok(
      emulator.requests.every((r) => !r.url.includes(TOKEN) && !decodeURIComponent(r.url).includes(TOKEN)),
      'the token was sent in a URL',
    );
    await emulator.close();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function statusUrl(): Promise<string> {
    const r = await run(['submit', batchFile, '--client', 'acme', '--json'], {
      TARGET_BASE_URL: emulator.url,
      TARGET_PROFILE_TOKEN: TOKEN,
    });
    assert.strictEqual(r.code, 0, r.out + r.err);
    return JSON.parse(r.out).batches[0].batchStatus as string;
  }

  it('with the right token: every command succeeds without printing it', async () => {
    const env = { TARGET_BASE_URL: emulator.url, TARGET_PROFILE_TOKEN: TOKEN };
    const url = await statusUrl();
    const runs: Run[] = [];
    for (const args of everyCommand(url)) runs.push(await run(args, env));
    assertNoToken(runs);
    // The happy paths really ran authenticated.
    const byArgs = (prefix: string) => runs.find((r) => r.args.join(' ').startsWith(prefix))!;
    assert.strictEqual(
      byArgs('update --client acme --third-party-id').code,
      0,
      byArgs('update --client acme --third-party-id').err,
    );
    assert.strictEqual(byArgs(`submit ${batchFile} --client acme --api v1 --wait`).code, 0);
    assert.strictEqual(byArgs(`status ${url}`).code, 0);
    assert.strictEqual(byArgs(`scenario ${scenarioFile}`).code, 0, byArgs(`scenario ${scenarioFile}`).out);
    assert.ok(emulator.requests.length > 10 && emulator.requests.every((r) => r.authorization === `Bearer ${TOKEN}`));
  });

  it('with a wrong token (401), the answer names the token problem but not the token', async () => {
    const url = await statusUrl();
    // The emulator now wants another token: ours is the "wrong" one, and must still not be printed.
    emulator.setAuth('some-other-token');
    const runs: Run[] = [];
    for (const args of everyCommand(url)) {
      runs.push(await run(args, { TARGET_BASE_URL: emulator.url, TARGET_PROFILE_TOKEN: TOKEN }));
    }
    assertNoToken(runs);
    const update = runs.find((r) => r.args[0] === 'update' && r.args.includes('--json'))!;
    assert.strictEqual(update.code, 3);
    assert.match(update.out + update.err, /token/i);
    assert.ok(emulator.requests.some((r) => r.status === 401));
  });

  it('on HTTP 500 from every call', async () => {
    const url = await statusUrl();
    const runs: Run[] = [];
    for (const args of everyCommand(url)) {
      emulator.failNext(50, 500);
      runs.push(await run(args, { TARGET_BASE_URL: emulator.url, TARGET_PROFILE_TOKEN: TOKEN }));
    }
    emulator.failNext(0, 500);
    assertNoToken(runs);
    assert.ok(runs.some((r) => r.code === 3 && /500/.test(r.out + r.err)));
  });

  it('when the network is down (connection refused)', async () => {
    const url = await statusUrl();
    const port = await freePort();
    const down = `http://127.0.0.1:${port}`;
    const deadStatus = url.replace(/^http:\/\/127\.0\.0\.1:\d+/, down);
    // All at once: each retries a refused connection with backoff, which takes seconds.
    const runs = await Promise.all(
      everyCommand(deadStatus).map((args) => run(args, { TARGET_BASE_URL: down, TARGET_PROFILE_TOKEN: TOKEN })),
    );
    assertNoToken(runs);
    assert.ok(
      runs.filter((r) => r.args[0] !== 'validate' && !r.args.includes(brokenFile)).every((r) => r.code !== 0),
      'nothing can succeed offline',
    );
  });

  it('when a hostile server echoes the request (headers included) in every answer', async () => {
    const echoes: string[] = [];
    const server = http.createServer((req, res) => {
      req.resume();
      const said = `${req.method} ${req.url} ${JSON.stringify(req.headers)}`;
      echoes.push(said);
      if (/\/rest\/v1\/profiles\//.test(req.url ?? '')) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-echo': String(req.headers.authorization) });
        res.end(JSON.stringify({ visitorId: 'crm-1', echoed: said, profileAttributes: { tier: { value: said } } }));
      } else {
        res.writeHead(req.url?.includes('batchStatus') ? 500 : 200, {
          'content-type': 'text/xml',
          'x-echo': String(req.headers.authorization),
        });
        res.end(`<response><success>false</success><message>${said.replace(/[<&>]/g, ' ')}</message></response>`);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      const runs: Run[] = [];
      for (const args of everyCommand(`${base}/m2/acme/v2/profile/batchStatus?batchId=1`)) {
        runs.push(await run(args, { TARGET_BASE_URL: base, TARGET_PROFILE_TOKEN: TOKEN }));
      }
      assert.ok(
        echoes.some((e) => e.includes(TOKEN)),
        'the server did receive the token, so it had something to echo',
      );
      assertNoToken(runs);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

/**
 * The trace token `preview --trace` fetches with Developer Console credentials (scope debug_tools) is a
 * secret too: a Delivery API that echoes the request body, in an answer or an error, must not print it.
 */
describe('secrets: preview --trace never prints the trace token fetched with credentials', () => {
  const TRACE = 'trace-secret-5be1c0de-known-to-this-test';
  const CLIENT_SECRET = 'console-secret-77aa19-known-to-this-test';

  it('in human and --json output, on success and on a 400 that echoes the body', async () => {
    const bodies: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const url = req.url ?? '';
        if (url.startsWith('/ims/token/v3')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ access_token: 'ims-access-0001', expires_in: 3600 }));
          return;
        }
        if (url.includes('/target/authentication/token?authorizationScope=debug_tools')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ accessToken: TRACE, tokenType: 'Bearer', expiresIn: 21600 }));
          return;
        }
        bodies.push(body);
        const request = JSON.parse(body) as { prefetch: { mboxes: { index: number; name: string }[] } };
        const mbox = request.prefetch.mboxes[0];
        res.writeHead(mbox.name === 'refused' ? 400 : 200, { 'content-type': 'application/json' });
        res.end(
          mbox.name === 'refused'
            ? JSON.stringify({ status: 400, message: `bad request: ${body}` })
            : JSON.stringify({
                requestId: 'r1',
                id: { tntId: 't1' },
                edgeHost: null,
                prefetch: {
                  mboxes: [
                    {
                      index: mbox.index,
                      name: mbox.name,
                      options: [
                        {
                          type: 'html',
                          content: body,
                          responseTokens: { 'activity.name': body, 'experience.name': 'E' },
                        },
                      ],
                      trace: { echoed: body },
                    },
                  ],
                },
              }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      const env = {
        TARGET_CLIENT_ID: 'console-client',
        TARGET_CLIENT_SECRET: CLIENT_SECRET,
        TARGET_TENANT: 'acmetenant',
        TARGET_IMS_URL: base,
        TARGET_ADMIN_URL: base,
      };
      const runs: Run[] = [];
      for (const mbox of ['home', 'refused']) {
        for (const json of [[], ['--json']]) {
          const args = ['preview', '--client', 'acme', '--base-url', base, '--pc-id', 'p', '--mbox', mbox, '--trace'];
          runs.push(await run([...args, ...json], env));
        }
      }
      assert.deepStrictEqual(
        runs.map((r) => r.code),
        [0, 0, 1, 1],
        runs.map((r) => r.err).join('\n'),
      );
      assert.strictEqual(bodies.length, 4);
      assert.ok(
        bodies.every((b) => b.includes(TRACE)),
        'the trace token was sent, so the server had it to echo',
      );
      for (const r of runs) {
        for (const secret of [TRACE, CLIENT_SECRET]) {
          assert.ok(!r.out.includes(secret) && !r.err.includes(secret), `a secret is printed by ${r.args.join(' ')}`);
        }
      }
      assert.match(runs[0].out, /\*\*\*/, 'the echoed token shows as ***');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
