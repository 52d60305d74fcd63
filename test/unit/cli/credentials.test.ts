import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../../src/cli';
import { CliIO } from '../../../src/cli/io';
import { Emulator, startEmulator } from '../../../src/emulator/server';

/** The Developer Console credential the emulator's IMS accepts, and the tenant whose Admin API gives the token. */
const CREDENTIALS = {
  clientId: 'console-client-7f3a',
  clientSecret: 'p8e-SECRET-d41d8cd98f00b204',
  tenant: 'acmetenant',
};

describe('command line: Developer Console credentials from the environment', () => {
  let emulator: Emulator;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-cli-auth-'));
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    emulator = await startEmulator({
      credentials: CREDENTIALS,
      seed: [{ clientCode: 'acme', pcId: 'pc-1', thirdPartyId: 'crm-1', attributes: { tier: 'gold' } }],
    });
    emulator.rotateToken();
    env = {
      TARGET_BASE_URL: emulator.url,
      TARGET_IMS_URL: emulator.url,
      TARGET_ADMIN_URL: emulator.url,
      TARGET_CLIENT_ID: CREDENTIALS.clientId,
      TARGET_CLIENT_SECRET: CREDENTIALS.clientSecret,
      TARGET_TENANT: CREDENTIALS.tenant,
    };
  });
  afterEach(() => emulator.close());
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[], environment = env) {
    const io: CliIO & { out: string; err: string } = {
      out: '',
      err: '',
      env: environment,
      stdout: (t) => void (io.out += t),
      stderr: (t) => void (io.err += t),
      stderrIsTTY: false,
      cwd: dir,
      signal: new AbortController().signal,
    };
    const code = await main(args, io);
    const printed = io.out + io.err;
    for (const secret of [CREDENTIALS.clientSecret, emulator.currentToken()!]) {
      assert.ok(!printed.includes(secret), 'a secret was printed');
    }
    return { code, out: io.out, err: io.err };
  }

  it('update, fetch, submit --wait and status work with auth enforced and no TARGET_PROFILE_TOKEN', async () => {
    const update = await run(['update', '--client', 'acme', '--pc-id', 'pc-1', 'tier=platinum', '--json']);
    assert.strictEqual(update.code, 0, update.err);
    assert.strictEqual(JSON.parse(update.out).ok, true);
    const fetched = await run(['fetch', '--client', 'acme', '--third-party-id', 'crm-1', '--json']);
    assert.strictEqual(fetched.code, 0, fetched.err);
    assert.strictEqual(JSON.parse(fetched.out).profileAttributes.tier.value, 'platinum');
    const file = path.join(dir, 'ok.batch');
    fs.writeFileSync(file, 'batch=thirdPartyId,tier\ncrm-1,silver\n');
    const submit = await run(['submit', file, '--client', 'acme', '--wait', '--json']);
    assert.strictEqual(submit.code, 0, submit.err);
    const statusUrl = JSON.parse(submit.out).batches[0].batchStatus as string;
    const status = await run(['status', statusUrl, '--json']);
    assert.strictEqual(status.code, 0, status.err);
    assert.ok(
      emulator.requests
        .filter((r) => r.route !== 'imsToken' && r.route !== 'adminToken')
        .every((r) => r.status === 200),
    );
  });

  it('wrong secret: exit 3 and a message naming Adobe IMS; partial credentials: exit 2', async () => {
    const wrong = await run(['update', '--client', 'acme', '--pc-id', 'pc-1', 'a=1'], {
      ...env,
      TARGET_CLIENT_SECRET: 'not-the-secret',
    });
    assert.strictEqual(wrong.code, 3);
    assert.match(wrong.err, /Adobe IMS refused the client credentials \(invalid_client/);
    assert.ok(!wrong.err.includes('not-the-secret'));
    const partial = await run(['fetch', '--client', 'acme', '--pc-id', 'pc-1'], { ...env, TARGET_TENANT: '' });
    assert.strictEqual(partial.code, 2);
    assert.match(partial.err, /TARGET_TENANT is not set/);
    const before = emulator.requests.length;
    const insecure = await run(['fetch', '--client', 'acme', '--pc-id', 'pc-1'], {
      ...env,
      TARGET_IMS_URL: 'http://ims.example.com',
    });
    assert.strictEqual(insecure.code, 2);
    assert.strictEqual(emulator.requests.length, before, 'nothing is sent with an insecure IMS URL');
  });
});
