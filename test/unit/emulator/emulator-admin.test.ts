import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BatchUpload, TargetClient } from '../../../src/core/target/client';
import { TargetError } from '../../../src/core/target/errors';
import { RateLimiter } from '../../../src/core/target/limiter';
import { Emulator, EmulatorOptions, startEmulator } from '../../../src/emulator/server';
import { rejection } from '../../support/fakeClock';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-admin-'));
let fileCounter = 0;
function batchFile(content: string): string {
  const p = path.join(dir, `a${fileCounter++}.batch`);
  fs.writeFileSync(p, content);
  return p;
}

describe('emulator: batch status retention and token rotation', () => {
  let emulator: Emulator;
  const clients: TargetClient[] = [];

  async function start(options: EmulatorOptions = {}): Promise<void> {
    emulator = await startEmulator({ rateLimit: 1000, ...options });
  }
  function client(clientCode = 'acme', token?: string): TargetClient {
    const c = new TargetClient({
      connection: { clientCode, baseUrl: emulator.url, apiVersion: 'v2', ...(token ? { token } : {}) },
      proxy: {},
      limiter: new RateLimiter(1000),
      retry: { maxAttempts: 1 },
    });
    clients.push(c);
    return c;
  }
  async function submit(c: TargetClient): Promise<BatchUpload> {
    const [upload] = await c.submitBatch(batchFile('batch=thirdPartyId,a\ncrm-1,x\n'));
    return upload;
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await emulator.close();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps only the last 10 batch statuses per client; older ones answer 404 with success=false', async () => {
    await start();
    const uploads: BatchUpload[] = [];
    for (let i = 0; i < 12; i++) uploads.push(await submit(client()));
    const other = await submit(client('other'));
    for (const [i, upload] of uploads.entries()) {
      if (i < 2) {
        const error = await rejection(client().batchStatus(upload.batchStatus));
        assert.ok(error instanceof TargetError && error.kind === 'server' && error.status === 404, String(error));
        assert.match(
          error.message,
          /Unknown or expired batchId .*last 10 batch statuses per client for at most 24 hours/,
        );
      } else {
        assert.strictEqual((await client().batchStatus(upload.batchStatus)).status, 'complete');
      }
    }
    // Another client's batches are counted apart, and are not visible under this client's path.
    assert.strictEqual((await client('other').batchStatus(other.batchStatus)).status, 'complete');
    const crossed = other.batchStatus.replace('/m2/other/', '/m2/acme/');
    assert.strictEqual(((await rejection(client().batchStatus(crossed))) as TargetError).status, 404);
    const raw = await fetch(uploads[0].batchStatus);
    assert.strictEqual(raw.status, 404);
    assert.match(await raw.text(), /^<response><success>false<\/success><message>Unknown or expired batchId '[^']+'/);
  });

  it('forgets batch statuses after the retention time (24 h by default; shortened here)', async () => {
    await start({ batchRetentionMs: 150 });
    const upload = await submit(client());
    assert.strictEqual((await client().batchStatus(upload.batchStatus)).status, 'complete');
    await new Promise((r) => setTimeout(r, 250));
    const error = await rejection(client().batchStatus(upload.batchStatus));
    assert.ok(error instanceof TargetError && error.status === 404 && /expired/.test(error.message));
    const unknown = await rejection(
      client().batchStatus(`${emulator.url}/m2/acme/profile/batchStatus?batchId=acme-0-0`),
    );
    assert.ok(unknown instanceof TargetError && unknown.status === 404);
  });

  it('rotates the token: the new one works, the old one fails, as after the Admin API token POST', async () => {
    await start({ token: 'first-token' });
    assert.ok(!(await client('acme', 'first-token').fetchProfile({ pcId: 'p' })).found);
    const second = emulator.rotateToken();
    assert.notStrictEqual(second, 'first-token');
    assert.match(second, /^[0-9a-f-]{36}$/);
    const old = await rejection(client('acme', 'first-token').fetchProfile({ pcId: 'p' }));
    assert.ok(old instanceof TargetError && old.kind === 'auth' && old.status === 401);
    assert.ok(!(await client('acme', second).fetchProfile({ pcId: 'p' })).found);

    // Over HTTP, for out-of-process tests: 201 with the Admin API's AuthorizationToken shape.
    const res = await fetch(`${emulator.url}/__emulator/rotate`, { method: 'POST', body: '{}' });
    assert.strictEqual(res.status, 201);
    const body = (await res.json()) as { accessToken: string; tokenType: string; scope: string; expiresIn: number };
    assert.deepStrictEqual(Object.keys(body), ['accessToken', 'tokenType', 'scope', 'expiresIn']);
    assert.strictEqual(body.scope, 'profile_api');
    assert.notStrictEqual(body.accessToken, second);
    const stale = await rejection(client('acme', second).submitBatch(batchFile('batch=pcId,a\n1,x\n')));
    assert.ok(stale instanceof TargetError && stale.kind === 'auth');
    assert.ok(!(await client('acme', body.accessToken).fetchProfile({ pcId: 'p' })).found);
    assert.strictEqual((await fetch(`${emulator.url}/__emulator/rotate`)).status, 405);
  });

  it('turns auth on when rotating with auth off', async () => {
    await start();
    const token = emulator.rotateToken();
    const missing = await rejection(client().fetchProfile({ pcId: 'p' }));
    assert.ok(missing instanceof TargetError && missing.kind === 'auth');
    assert.ok(!(await client('acme', token).fetchProfile({ pcId: 'p' })).found);
  });
});
