import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CredentialsError,
  ProfileTokenProvider,
  ProfileTokenProviderOptions,
  credentialsFromEnvironment,
} from '../../../../src/core/auth/tokenProvider';
import { TargetClient } from '../../../../src/core/target/client';
import { TargetError } from '../../../../src/core/target/errors';
import type { RequestLogEntry } from '../../../../src/core/target/http';
import { RateLimiter } from '../../../../src/core/target/limiter';
import { Emulator, startEmulator } from '../../../../src/emulator/server';

const CREDENTIALS = {
  clientId: 'console-client-7f3a',
  clientSecret: 'p8e-SECRET-d41d8cd98f00b204',
  tenant: 'acmetenant',
};

/** A clock the test moves by hand (only `now` matters to the provider). */
class ManualClock {
  time = 1_000_000;
  now(): number {
    return this.time;
  }
}

describe('Developer Console credentials: ProfileTokenProvider', () => {
  let emulator: Emulator;
  const log: RequestLogEntry[] = [];
  const owned: { close(): Promise<void> }[] = [];

  beforeEach(async () => {
    log.length = 0;
    emulator = await startEmulator({
      rateLimit: 1000,
      credentials: CREDENTIALS,
      seed: [{ clientCode: 'acme', thirdPartyId: 'crm-1', attributes: { tier: 'silver' } }],
    });
    emulator.setAuth('pasted-token-0001');
  });
  afterEach(async () => {
    await Promise.all(owned.splice(0).map((o) => o.close()));
    await emulator.close();
  });

  function provider(options: Partial<ProfileTokenProviderOptions> = {}): ProfileTokenProvider {
    const p = new ProfileTokenProvider({
      ...CREDENTIALS,
      imsUrl: emulator.url,
      adminUrl: emulator.url,
      retry: { maxAttempts: 1 },
      onRequest: (e) => log.push(e),
      ...options,
    });
    owned.push(p);
    return p;
  }
  function client(tokenProvider: ProfileTokenProvider): TargetClient {
    const c = new TargetClient({
      connection: { clientCode: 'acme', baseUrl: emulator.url, apiVersion: 'v2' },
      limiter: new RateLimiter(1000),
      retry: { maxAttempts: 1 },
      tokenProvider,
      onRequest: (e) => log.push(e),
    });
    owned.push(c);
    return c;
  }
  const count = (route: string) => emulator.requests.filter((r) => r.route === route).length;

  /** Neither the client secret nor any token the emulator issued appears in `text`. */
  function assertNoSecrets(text: string, extra: string[] = []): void {
    const imsTokens = emulator.requests
      .map((r) => /^Bearer (ims-.+)$/.exec(r.authorization ?? '')?.[1])
      .filter((t): t is string => !!t);
    const profileTokens = emulator.requests
      .map((r) => /^Bearer (?!ims-)(.+)$/.exec(r.authorization ?? '')?.[1])
      .filter((t): t is string => !!t);
    for (const secret of [
      CREDENTIALS.clientSecret,
      ...imsTokens,
      ...profileTokens,
      emulator.currentToken() ?? '',
      ...extra,
    ]) {
      if (secret.length >= 4) assert.ok(!text.includes(secret), `a secret (${secret.slice(0, 4)}...) leaked`);
    }
  }

  it('gets the profile API token through IMS and the Admin API, and caches both', async () => {
    const p = provider();
    const [a, b] = await Promise.all([p.token(), p.token()]);
    assert.strictEqual(a, emulator.currentToken());
    assert.strictEqual(b, a);
    assert.strictEqual(await p.token(), a);
    // Concurrent and later callers share one IMS and one Admin API request.
    assert.strictEqual(count('imsToken'), 1);
    assert.strictEqual(count('adminToken'), 1);
    const admin = emulator.requests.find((r) => r.route === 'adminToken')!;
    assert.match(admin.url, /^\/acmetenant\/target\/authentication\/token\?authorizationScope=profile_api$/);
    assert.match(admin.authorization!, /^Bearer ims-/);
  });

  it('gets the trace token with scope debug_tools, apart from the profile token, and caches it', async () => {
    const p = provider();
    const [a, b] = await Promise.all([p.traceToken(), p.traceToken()]);
    assert.strictEqual(b, a);
    assert.match(a, /^trace-/);
    assert.notStrictEqual(a, emulator.currentToken(), 'the profile API token is another one');
    assert.strictEqual(await p.traceToken(), a);
    assert.strictEqual(count('adminToken'), 1);
    const admin = emulator.requests.find((r) => r.route === 'adminToken')!;
    assert.match(admin.url, /^\/acmetenant\/target\/authentication\/token\?authorizationScope=debug_tools$/);
    // The profile token is fetched on its own, with the same IMS token.
    await p.token();
    assert.strictEqual(count('adminToken'), 2);
    assert.strictEqual(count('imsToken'), 1);
    assert.strictEqual(await p.traceToken(), a, 'asking for the profile token leaves the trace token cached');
    assert.ok(p.secrets.includes(a), 'the trace token is scrubbed from logs and errors');
    assertNoSecrets(JSON.stringify(log), [a]);
  });

  it('refreshes the trace token shortly before its 6 hours are up, and after invalidateTrace()', async () => {
    const clock = new ManualClock();
    const p = provider({ clock });
    const first = await p.traceToken();
    clock.time += 5 * 60 * 60 * 1000;
    assert.strictEqual(await p.traceToken(), first);
    assert.strictEqual(count('adminToken'), 1, 'still fresh after 5 of 6 hours');
    // A tenth of its life (36 minutes, capped at 5) before it expires, it is fetched again.
    clock.time += 56 * 60 * 1000;
    assert.strictEqual(await p.traceToken(), first, 'a GET gives the current token');
    assert.strictEqual(count('adminToken'), 2);
    p.invalidateTrace('some-older-token');
    await p.traceToken();
    assert.strictEqual(count('adminToken'), 2, 'invalidating another token keeps the cached one');
    p.invalidateTrace(first);
    await p.traceToken();
    assert.strictEqual(count('adminToken'), 3);
  });

  it('reports a refused trace token request as a credentials error naming it', async () => {
    const p = provider({ tenant: 'othertenant' });
    const error = await p.traceToken().then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CredentialsError);
    assert.strictEqual(error.step, 'admin');
    assert.strictEqual(error.kind, 'server');
    assert.match(error.message, /^The Target Admin API refused the trace token request \(HTTP 404: Tenant\.NotFound/);
  });

  it('sends the update with the fetched token: no token pasted, auth enforced', async () => {
    const c = client(provider());
    const result = await c.updateProfile({ id: { thirdPartyId: 'crm-1' }, attributes: { tier: 'gold' } });
    assert.ok(result.success);
    assert.strictEqual(emulator.exportProfiles()[0].attributes.tier.value, 'gold');
    assert.strictEqual(
      emulator.requests.filter((r) => r.route === 'update')[0].authorization,
      `Bearer ${emulator.currentToken()}`,
    );
  });

  it('refreshes both tokens once they are about to expire (injected clock)', async () => {
    const clock = new ManualClock();
    emulator.setImsTokenTtl(60 * 60 * 1000);
    const p = provider({ clock });
    await p.token();
    clock.time += 50 * 60 * 1000;
    await p.token();
    assert.strictEqual(count('imsToken'), 1, 'still fresh after 50 of 60 minutes');
    // The IMS token is renewed a little before its hour is up; the profile token (62 days) is kept.
    clock.time += 6 * 60 * 1000;
    const profileToken = await p.token();
    assert.strictEqual(count('imsToken'), 1, 'the IMS token is only asked for when the Admin API is called');
    clock.time += 62 * 24 * 60 * 60 * 1000;
    assert.strictEqual(await p.token(), profileToken);
    assert.strictEqual(count('imsToken'), 2);
    assert.strictEqual(count('adminToken'), 2);
  });

  it('gets a new IMS token when the Admin API refuses an expired one, and carries on', async () => {
    const p = provider();
    await p.token();
    emulator.expireImsTokens();
    p.invalidate();
    assert.strictEqual(await p.token(), emulator.currentToken());
    assert.deepStrictEqual(
      emulator.requests.map((r) => `${r.route} ${r.status}`),
      ['imsToken 200', 'adminToken 200', 'adminToken 401', 'imsToken 200', 'adminToken 200'],
    );
  });

  it('a 401 from a Profile API call (token rotated elsewhere) fetches the new token and retries that call once', async () => {
    const c = client(provider());
    await c.updateProfile({ id: { thirdPartyId: 'crm-1' }, attributes: { tier: 'gold' } });
    const old = emulator.currentToken();
    emulator.rotateToken();
    const result = await c.fetchProfile({ thirdPartyId: 'crm-1' });
    assert.ok(result.found);
    const fetches = emulator.requests.filter((r) => r.route === 'fetch');
    assert.deepStrictEqual(
      fetches.map((r) => [r.status, r.authorization]),
      [
        [401, `Bearer ${old}`],
        [200, `Bearer ${emulator.currentToken()}`],
      ],
    );
  });

  it('retries a batch upload refused with 403 exactly once, and it is accepted once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-auth-'));
    try {
      const file = path.join(dir, 'a.batch');
      fs.writeFileSync(file, 'batch=thirdPartyId,tier\ncrm-1,platinum\n');
      emulator.setAuth('pasted-token-0001', 403);
      const c = client(provider());
      await c.fetchProfile({ thirdPartyId: 'crm-1' });
      emulator.rotateToken();
      const uploads = await c.submitBatch(file);
      assert.strictEqual(uploads.length, 1);
      assert.deepStrictEqual(
        emulator.requests.filter((r) => r.route === 'batchUpdate').map((r) => r.status),
        [403, 200],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not loop: a token Target keeps refusing fails after one retry, naming the Admin API token', async () => {
    // A source whose tokens Target never takes (say, the tenant of another account).
    let invalidated = 0;
    const c = new TargetClient({
      connection: { clientCode: 'acme', baseUrl: emulator.url, apiVersion: 'v2' },
      retry: { maxAttempts: 1 },
      tokenProvider: { token: async () => `not-this-account-${invalidated}`, invalidate: () => void invalidated++ },
    });
    owned.push(c);
    const error = await c.updateProfile({ id: { thirdPartyId: 'crm-1' }, attributes: { a: '1' } }).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TargetError);
    assert.strictEqual(error.kind, 'auth');
    assert.match(error.message, /from the Target Admin API .*also after fetching it again/);
    assert.strictEqual(invalidated, 1);
    assert.deepStrictEqual(
      emulator.requests.filter((r) => r.route === 'update').map((r) => r.authorization),
      ['Bearer not-this-account-0', 'Bearer not-this-account-1'],
    );
  });

  it('rotate() gets a new token (201) with which calls work, and the old token stops working', async () => {
    const p = provider();
    const old = await p.token();
    const fresh = await p.rotate();
    assert.notStrictEqual(fresh, old);
    assert.strictEqual(await p.token(), fresh);
    assert.strictEqual(emulator.requests.find((r) => r.route === 'adminToken' && r.method === 'POST')?.status, 201);
    const withOld = new TargetClient({
      connection: { clientCode: 'acme', baseUrl: emulator.url, apiVersion: 'v2', token: old },
      retry: { maxAttempts: 1 },
    });
    owned.push(withOld);
    await assert.rejects(withOld.fetchProfile({ thirdPartyId: 'crm-1' }), (e: TargetError) => e.kind === 'auth');
    assert.ok((await client(p).fetchProfile({ thirdPartyId: 'crm-1' })).found);
  });

  it('reads "Require Authentication" from the Admin API settings', async () => {
    const p = provider();
    assert.strictEqual(await p.authenticationRequired(), true);
    emulator.setAuth(undefined);
    assert.strictEqual(await p.authenticationRequired(), false);
  });

  it('wrong credentials: the error names Adobe IMS and invalid_client, and never holds the secret', async () => {
    const p = provider({ clientSecret: 'wrong-secret-9c1b' });
    const error = await p.token().then(
      () => assert.fail('expected IMS to refuse'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CredentialsError);
    assert.strictEqual(error.step, 'ims');
    assert.strictEqual(error.kind, 'auth');
    assert.match(
      error.message,
      /^Adobe IMS refused the client credentials \(invalid_client: invalid client_secret parameter\)/,
    );
    assertNoSecrets(error.message + JSON.stringify(log), ['wrong-secret-9c1b']);
    assert.strictEqual(count('adminToken'), 0);
  });

  it('an Admin API refusal names the Admin API and the status', async () => {
    const p = provider({ tenant: 'othertenant' });
    await assert.rejects(p.token(), (e: CredentialsError) => {
      assert.strictEqual(e.step, 'admin');
      assert.match(
        e.message,
        /^The Target Admin API refused the profile API token request \(HTTP 404: Tenant\.NotFound/,
      );
      return true;
    });
    emulator.setCredentials({ ...CREDENTIALS, clientId: 'another-client' });
    await assert.rejects(provider({ clientId: 'console-client-7f3a' }).token(), /Adobe IMS refused/);
  });

  it('refuses plain http to a non-loopback IMS or Admin API, before sending', () => {
    assert.throws(() => provider({ imsUrl: 'http://ims.example.com' }), /https/);
    assert.throws(() => provider({ adminUrl: 'http://mc.example.com' }), /https/);
    assert.throws(() => provider({ tenant: 'a/b' }), /tenant/);
  });

  it('no secret or token reaches a request log entry or an error, across refreshes and failures', async () => {
    const p = provider();
    const c = client(p);
    await c.updateProfile({ id: { thirdPartyId: 'crm-1' }, attributes: { tier: 'gold' } });
    emulator.rotateToken();
    await c.fetchProfile({ thirdPartyId: 'crm-1' });
    await p.rotate();
    emulator.failNext(1, 500);
    const failure = await c.fetchProfile({ thirdPartyId: 'crm-1' }).catch((e: Error) => e);
    assert.ok(failure instanceof Error);
    assert.ok(
      log.some((e) => e.url.includes('/ims/token/v3')),
      'the IMS request was logged',
    );
    assert.ok(log.some((e) => e.headers.authorization === 'Bearer ***'));
    assertNoSecrets(JSON.stringify(log) + failure.message);
  });

  it('reads TARGET_CLIENT_ID, TARGET_CLIENT_SECRET, TARGET_TENANT and refuses partial or mixed settings', () => {
    assert.strictEqual(credentialsFromEnvironment({}), undefined);
    assert.deepStrictEqual(
      credentialsFromEnvironment({
        TARGET_CLIENT_ID: 'id',
        TARGET_CLIENT_SECRET: 's',
        TARGET_TENANT: 't',
        TARGET_SCOPES: 'a,b',
      }),
      {
        clientId: 'id',
        clientSecret: 's',
        tenant: 't',
        scopes: 'a,b',
      },
    );
    assert.throws(
      () => credentialsFromEnvironment({ TARGET_CLIENT_ID: 'id' }),
      /TARGET_CLIENT_SECRET and TARGET_TENANT are not set/,
    );
    assert.throws(
      () =>
        credentialsFromEnvironment({
          TARGET_CLIENT_ID: 'id',
          TARGET_CLIENT_SECRET: 's',
          TARGET_TENANT: 't',
          TARGET_PROFILE_TOKEN: 'x',
        }),
      /not both/,
    );
  });
});
