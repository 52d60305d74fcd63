import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TargetClient } from '../../../../src/core/target/client';
import { RateLimiter } from '../../../../src/core/target/limiter';
import { Emulator, startEmulator } from '../../../../src/emulator/server';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-load-'));

describe('target client under load against the emulator', () => {
  let emulator: Emulator;
  let client: TargetClient;

  // The emulator's window is shortened from 50 per minute to 10 per 500 ms, and the client's limiter is
  // set to exactly the same. It holds because the client counts a bulk call from its end (the emulator
  // counts it on arrival, which is earlier), however long the busy event loop delays the arrival.
  const EMULATOR_LIMIT = 10;
  const EMULATOR_WINDOW_MS = 500;

  before(async () => {
    emulator = await startEmulator({ rateLimit: EMULATOR_LIMIT, rateWindowMs: EMULATOR_WINDOW_MS });
    client = new TargetClient({
      connection: { clientCode: 'acme', baseUrl: emulator.url, apiVersion: 'v2' },
      proxy: {},
      limiter: new RateLimiter(EMULATOR_LIMIT, EMULATOR_WINDOW_MS),
    });
  });
  after(async () => {
    await client.close();
    await emulator.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs 100 single updates and 20 batch submissions at once: none lost, and the bulk cap never hit', async () => {
    for (let i = 0; i < 100; i++) emulator.seedProfile({ clientCode: 'acme', pcId: `pc-${i}` });
    const files = Array.from({ length: 20 }, (_, b) => {
      const file = path.join(dir, `load-${b}.batch`);
      const rows = Array.from({ length: 50 }, (_, r) => `crm-${b}-${r},${b},${r}`);
      fs.writeFileSync(file, `batch=thirdPartyId,batch,row\n${rows.join('\n')}\n`);
      return file;
    });

    const started = Date.now();
    const [updates, uploads] = await Promise.all([
      Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          client.updateProfile({ id: { pcId: `pc-${i}` }, attributes: { n: String(i), note: `a&b=${i}` } }),
        ),
      ),
      Promise.all(files.map((file) => client.submitBatch(file))),
    ]);
    const elapsed = Date.now() - started;

    assert.ok(updates.every((u) => u.success));
    assert.strictEqual(uploads.flat().length, 20);
    const bulk = emulator.requests.filter((r) => r.route === 'batchUpdate' || r.route === 'batchStatus');
    assert.strictEqual(bulk.length, 20, 'no bulk call was retried');
    assert.deepStrictEqual(
      [...new Set(bulk.map((r) => r.status))],
      [200],
      'the emulator never answered 503: the client limiter held',
    );
    // 20 calls at 10 per window need at least one full window.
    assert.ok(elapsed >= EMULATOR_WINDOW_MS, `took ${elapsed} ms`);

    const profiles = emulator.exportProfiles();
    for (let i = 0; i < 100; i++) {
      const p = profiles.find((x) => x.pcId === `pc-${i}`)!;
      assert.strictEqual(p.attributes.n.value, String(i));
      assert.strictEqual(p.attributes.note.value, `a&b=${i}`);
    }
    const fromBatches = profiles.filter((p) => p.thirdPartyId?.startsWith('crm-'));
    assert.strictEqual(fromBatches.length, 20 * 50, 'every batch row created its profile (v2)');
    for (const p of fromBatches) {
      const [, b, r] = /^crm-(\d+)-(\d+)$/.exec(p.thirdPartyId!)!;
      assert.deepStrictEqual([p.attributes.batch.value, p.attributes.row.value], [b, r]);
    }
    assert.strictEqual(emulator.requests.filter((r) => r.route === 'update' && r.status === 200).length, 100);
  });
});
