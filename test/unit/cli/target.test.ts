import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../../src/cli';
import { Emulator, startEmulator } from '../../../src/emulator/server';
import { recordingIO, type RecordingIO } from '../../support/cliIO';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-cli-'));

function fakeIO(env: NodeJS.ProcessEnv, stderrIsTTY = false): RecordingIO {
  return recordingIO({ env, cwd: dir, stderrIsTTY });
}

describe('command line: update, fetch, submit, status against the emulator', () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    emulator = await startEmulator({
      seed: [{ clientCode: 'acme', pcId: 'pc-1', thirdPartyId: 'crm-1', attributes: { tier: 'gold' } }],
    });
    env = { TARGET_BASE_URL: emulator.url };
  });
  afterEach(() => emulator.close());
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[], environment = env, tty = false) {
    const io = fakeIO(environment, tty);
    const code = await main(args, io);
    return { code, out: io.out, err: io.err };
  }

  it('update --json prints {ok, method, status, message}', async () => {
    const r = await run(['update', '--client', 'acme', '--pc-id', 'pc-1', 'city=New York & Co', 'note=a=b', '--json']);
    assert.strictEqual(r.code, 0, r.err);
    assert.deepStrictEqual(JSON.parse(r.out), {
      ok: true,
      method: 'GET',
      status: 200,
      message: 'Request successfully submitted',
    });
    const attrs = emulator.exportProfiles()[0].attributes;
    assert.strictEqual(attrs.city.value, 'New York & Co');
    assert.strictEqual(attrs.note.value, 'a=b');
  });

  it('sends TARGET_PROFILE_TOKEN as a bearer header and never prints it', async () => {
    emulator.setAuth('tok-123');
    const denied = await run(['update', '--client', 'acme', '--pc-id', 'pc-1', 'a=1']);
    assert.strictEqual(denied.code, 3);
    assert.match(denied.err, /token/);
    const r = await run(['update', '--client', 'acme', '--pc-id', 'pc-1', 'a=1'], {
      ...env,
      TARGET_PROFILE_TOKEN: 'tok-123',
    });
    assert.strictEqual(r.code, 0, r.err);
    assert.ok(!r.out.includes('tok-123') && !r.err.includes('tok-123'));
  });

  it('exits 2 for a bad client code or bad flags before any request', async () => {
    for (const args of [
      ['update', '--client', 'ACME', '--pc-id', 'pc-1', 'a=1'],
      ['update', '--client', 'acme', 'a=1'],
      ['update', '--client', 'acme', '--pc-id', 'x', '--third-party-id', 'y', 'a=1'],
      ['fetch', '--client', 'ac-me', '--pc-id', 'pc-1'],
      ['submit', 'x.batch', '--client', 'bad code'],
      ['submit', 'x.batch', '--client', 'acme', '--api', 'v3'],
      ['status', 'not-a-url'],
    ]) {
      const r = await run(args);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.err}`);
    }
    assert.strictEqual(emulator.requests.length, 0);
    const remote = await run(['fetch', '--client', 'acme', '--pc-id', 'x', '--base-url', 'http://example.com']);
    assert.strictEqual(remote.code, 2);
    assert.match(remote.err, /https/);
  });

  it('exits 3 when Target cannot be reached', async function () {
    this.timeout(20_000);
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const r = await run(['fetch', '--client', 'acme', '--pc-id', 'x', '--json'], {
      TARGET_BASE_URL: `http://127.0.0.1:${port}`,
    });
    assert.strictEqual(r.code, 3);
    assert.strictEqual(JSON.parse(r.out).error.kind, 'network');
  });

  it('fetch --json prints the profile as returned; a missing profile exits 1 with the 404 body', async () => {
    const r = await run(['fetch', '--client', 'acme', '--third-party-id', 'crm-1', '--json']);
    assert.strictEqual(r.code, 0, r.err);
    const profile = JSON.parse(r.out);
    assert.strictEqual(profile.visitorId, 'crm-1');
    assert.strictEqual(profile.profileAttributes.tier.value, 'gold');
    const human = await run(['fetch', '--client', 'acme', '--pc-id', 'pc-1']);
    assert.match(human.out, /tier = gold/);
    const missing = await run(['fetch', '--client', 'acme', '--pc-id', 'nobody', '--json']);
    assert.strictEqual(missing.code, 1);
    assert.deepStrictEqual(JSON.parse(missing.out), {
      status: 404,
      message: 'No profile found for client acme with mboxPC=nobody',
    });
  });

  it('submit --wait --json uploads, polls to complete and prints the batches; status prints its shape', async () => {
    const file = path.join(dir, 'ok.batch');
    fs.writeFileSync(file, 'batch=thirdPartyId,tier\ncrm-1,silver\nnew-1,bronze\n');
    const r = await run(['submit', file, '--client', 'acme', '--api', 'v1', '--wait', '--json']);
    assert.strictEqual(r.code, 0, r.err);
    const { batches } = JSON.parse(r.out);
    assert.strictEqual(batches.length, 1);
    assert.deepStrictEqual(Object.keys(batches[0]), ['rows', 'bytes', 'batchStatus', 'status', 'details']);
    assert.strictEqual(batches[0].rows, 2);
    assert.strictEqual(batches[0].bytes, fs.statSync(file).size);
    assert.strictEqual(batches[0].status, 'complete');
    assert.strictEqual(batches[0].details.successfulUpdates, 1);
    assert.strictEqual(batches[0].details.profilesNotFound, 1);

    const status = await run(['status', batches[0].batchStatus, '--details', '--json']);
    assert.strictEqual(status.code, 0, status.err);
    const parsed = JSON.parse(status.out);
    assert.deepStrictEqual(Object.keys(parsed), [
      'batchId',
      'status',
      'batchSize',
      'consumedCount',
      'successfulUpdates',
      'profilesNotFound',
      'failedUpdates',
    ]);
    assert.strictEqual(parsed.status, 'complete');
    const plain = await run(['status', batches[0].batchStatus, '--json']);
    assert.deepStrictEqual(Object.keys(JSON.parse(plain.out)), ['batchId', 'status', 'batchSize']);
    const human = await run(['status', batches[0].batchStatus]);
    assert.match(human.out, /^acme-\d+-\d+: complete, 2 rows\n$/);
  });

  it('submit refuses a file with errors (exit 1, 1-based positions) and sends nothing', async () => {
    const file = path.join(dir, 'bad.batch');
    fs.writeFileSync(file, 'batch=pcId,a\n,x\n');
    const r = await run(['submit', file, '--client', 'acme', '--json']);
    assert.strictEqual(r.code, 1);
    assert.match(r.err, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:1: error TP\\d+ `, 'm'));
    assert.deepStrictEqual(JSON.parse(r.out).batches, []);
    assert.strictEqual(emulator.requests.length, 0);
  });

  it('submit reports success=false as exit 1, a stuck batch as exit 3, and progress only on a terminal', async () => {
    const file = path.join(dir, 'ok2.batch');
    fs.writeFileSync(file, 'batch=pcId,a\npc-1,x\n');
    emulator.stickNextBatch();
    const stuck = await run(['submit', file, '--client', 'acme', '--wait'], env, true);
    assert.strictEqual(stuck.code, 3);
    assert.match(stuck.out, /stuck/);
    assert.match(stuck.err, /\r/);
    const quiet = await run(['submit', file, '--client', 'acme']);
    assert.strictEqual(quiet.code, 0);
    assert.strictEqual(quiet.err, '');
    const limited = await startEmulator({ maxBatchRows: 0 });
    try {
      const refused = await run(['submit', file, '--client', 'acme', '--json'], { TARGET_BASE_URL: limited.url });
      assert.strictEqual(refused.code, 1);
      assert.strictEqual(JSON.parse(refused.out).error.kind, 'rejected');
    } finally {
      await limited.close();
    }
  });
});
