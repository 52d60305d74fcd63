import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../../src/cli';
import { sampleProfiles } from '../../../src/emulator/samples';
import { Emulator, startEmulator } from '../../../src/emulator/server';
import { recordingIO } from '../../support/cliIO';
import { repoRoot } from '../../support/repoRoot';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-scenario-'));
const root = repoRoot;

function write(name: string, content: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

describe('command line: scenario against the emulator', () => {
  let emulator: Emulator;

  beforeEach(async () => {
    emulator = await startEmulator({ seed: sampleProfiles });
  });
  afterEach(() => emulator.close());
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[], env: NodeJS.ProcessEnv = { TARGET_BASE_URL: emulator.url }) {
    const io = recordingIO({ env, cwd: dir });
    const code = await main(['scenario', ...args], io);
    return { code, out: io.out, err: io.err };
  }

  it('runs the sample scenario: PASS lines and exit 0', async () => {
    const r = await run([path.join(root, 'media', 'sample', 'loyalty.targetprofile.json'), '--client', 'demo']);
    assert.strictEqual(r.code, 0, r.out + r.err);
    assert.match(r.out, /^ {2}PASS {2}Make crm-1001 a gold member \(\d+\.\d s\)$/m);
    assert.match(r.out, /^ {2}PASS {2}crm-1001 is gold \(\d+\.\d s\)$/m);
    assert.match(r.out, /^ {2}PASS {2}crm-1001 sees the gold hero \(\d+\.\d s\)$/m);
    assert.match(r.out, /1 of 1 scenario\(s\) passed: 4 step\(s\) passed, 0 failed, 0 errored, 0 skipped\.\n$/);
    // The preview step prefetches: nothing is counted.
    assert.deepStrictEqual(emulator.impressions(), []);
    assert.strictEqual(
      emulator.exportProfiles().find((p) => p.thirdPartyId === 'crm-1001')!.attributes.loyaltyTier.value,
      'gold',
    );
  });

  it('a failing preview step prints what differs per mbox and exits 1; the property token is sent and never printed', async () => {
    const file = write('preview.targetprofile.json', {
      steps: [
        {
          type: 'preview',
          name: 'silver sees gold?',
          idType: 'thirdPartyId',
          id: 'crm-1001',
          expect: { 'home-hero': { experience: 'Gold members' }, offers: { nothingServed: true } },
          within: 0,
        },
        {
          type: 'preview',
          name: 'mobile banner',
          idType: 'thirdPartyId',
          id: 'crm-1001',
          expect: { 'app-banner': { offer: 'Get the app', contentContains: 'example.com/app' } },
          within: 0,
        },
      ],
    });
    const token = 'demo-mobile-property';
    const r = await run([file, '--client', 'demo'], { TARGET_BASE_URL: emulator.url, TARGET_PROPERTY_TOKEN: token });
    assert.strictEqual(r.code, 1, r.out + r.err);
    // Only what differs is listed: crm-1001 (34) is served nothing on `offers`, as expected.
    assert.match(
      r.out,
      /^ {2}FAIL {2}silver sees gold\? \(\d+\.\d s\)\n {8}home-hero experience: expected "Gold members", got "Everyone"\n {2}PASS/m,
    );
    // The property token unlocks the mobile workspace's activity.
    assert.match(r.out, /^ {2}PASS {2}mobile banner/m);
    assert.ok(!r.out.includes(token) && !r.err.includes(token));
  });

  it("a step's property needs TARGET_PROPERTY_TOKEN: without it (or with two names) exit 2 and nothing sent", async () => {
    const step = (property: string) => ({
      type: 'preview',
      idType: 'thirdPartyId',
      id: 'crm-1001',
      property,
      expect: { 'app-banner': { offer: 'Get the app' } },
      within: 0,
    });
    const file = write('property.targetprofile.json', {
      steps: [{ type: 'update', idType: 'thirdPartyId', id: 'crm-1001', attributes: { a: '1' } }, step('Mobile')],
    });
    const unset = await run([file, '--client', 'demo']);
    assert.strictEqual(unset.code, 2, unset.out + unset.err);
    assert.match(
      unset.err,
      /property\.targetprofile\.json step 2 previews with the property "Mobile": set TARGET_PROPERTY_TOKEN to its token/,
    );
    const two = write('two.targetprofile.json', { steps: [step('Mobile'), step('Tablet')] });
    const both = await run([two, '--client', 'demo'], {
      TARGET_BASE_URL: emulator.url,
      TARGET_PROPERTY_TOKEN: 'demo-mobile-property',
    });
    assert.strictEqual(both.code, 2, both.out + both.err);
    assert.match(both.err, /name 2 properties \("Mobile", "Tablet"\)/);
    assert.strictEqual(emulator.requests.length, 0, 'nothing was sent');

    // With the variable set, the step sends it and the mobile workspace's activity is served.
    const token = 'demo-mobile-property';
    const ok = await run([file, '--client', 'demo'], { TARGET_BASE_URL: emulator.url, TARGET_PROPERTY_TOKEN: token });
    assert.strictEqual(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /^ {2}PASS {2}preview thirdPartyId crm-1001/m);
    assert.ok(!ok.out.includes(token) && !ok.err.includes(token));
  });

  it('a failing verify prints what differs, exits 1, and --json has the documented shape', async () => {
    const file = write(
      'failing.targetprofile.jsonc',
      `{
        // crm-1002 is gold in the sample data, and has no city
        "connection": "ignored by the command line",
        "steps": [
          { "type": "verify", "name": "tier", "idType": "thirdPartyId", "id": "crm-1002", "expect": { "loyaltyTier": "platinum", "city": "Lima" }, "within": 0 },
          { "type": "wait", "seconds": 0, },
        ],
      }`,
    );
    const human = await run([file, '--client', 'demo']);
    assert.strictEqual(human.code, 1, human.err);
    assert.match(
      human.out,
      /^ {2}FAIL {2}tier \(\d+\.\d s\)\n {8}loyaltyTier: expected "platinum", got "gold"\n {8}city: expected "Lima", missing\n/m,
    );
    assert.match(human.out, /^ {2}PASS {2}wait 0 s/m);

    const json = await run([file, '--client', 'demo', '--json']);
    assert.strictEqual(json.code, 1);
    const doc = JSON.parse(json.out);
    assert.deepStrictEqual(Object.keys(doc), ['scenarios']);
    assert.strictEqual(doc.scenarios[0].path, file);
    assert.strictEqual(doc.scenarios[0].passed, false);
    const [verify, wait] = doc.scenarios[0].steps;
    assert.deepStrictEqual(Object.keys(verify), [
      'index',
      'type',
      'name',
      'status',
      'durationMs',
      'message',
      'attributes',
    ]);
    assert.deepStrictEqual(
      { ...verify, durationMs: 0 },
      {
        index: 0,
        type: 'verify',
        name: 'tier',
        status: 'failed',
        durationMs: 0,
        message: 'loyaltyTier: expected "platinum", got "gold"; city: expected "Lima", missing (after 0 s)',
        attributes: [
          { name: 'loyaltyTier', state: 'differs', expected: 'platinum', actual: 'gold' },
          { name: 'city', state: 'missing', expected: 'Lima', actual: null },
        ],
      },
    );
    assert.strictEqual(wait.status, 'passed');
  });

  it('an invalid scenario file is refused with file:line:column problems and nothing is sent (exit 1)', async () => {
    const good = write('good.targetprofile.json', { steps: [{ type: 'wait', seconds: 0 }] });
    const bad = write(
      'bad.targetprofile.json',
      '{\n  "steps": [\n    { "type": "verify", "idType": "email", "id": "x", "expect": {"a": "1"} }\n  ]\n}\n',
    );
    const r = await run([good, bad, '--client', 'demo', '--json']);
    assert.strictEqual(r.code, 1);
    assert.strictEqual(
      r.err.split('\n')[0],
      `${bad}:3:35: error steps[0].idType must be "pcId" or "thirdPartyId" or "marketingCloudVisitorId".`,
    );
    assert.deepStrictEqual(JSON.parse(r.out), { scenarios: [] });
    assert.strictEqual(emulator.requests.length, 0);
  });

  it('exits 2 on usage errors: no --client, a bad client code, no file, a missing file', async () => {
    const file = write('u.targetprofile.json', { steps: [{ type: 'wait', seconds: 0 }] });
    for (const args of [
      [file],
      [file, '--client', 'Demo!'],
      ['--client', 'demo'],
      ['nope.targetprofile.json', '--client', 'demo'],
      [file, '--client', 'demo', '--wait'],
    ]) {
      const r = await run(args);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.err}`);
    }
    assert.strictEqual(emulator.requests.length, 0);
  });

  it('an errored update skips the rest and a network failure exits 3', async function () {
    this.timeout(20_000);
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const file = write('net.targetprofile.json', {
      steps: [
        { type: 'update', idType: 'thirdPartyId', id: 'crm-1001', attributes: { loyaltyTier: 'gold' } },
        { type: 'verify', idType: 'thirdPartyId', id: 'crm-1001', expect: { loyaltyTier: 'gold' } },
      ],
    });
    const r = await run([file, '--client', 'demo', '--json'], { TARGET_BASE_URL: `http://127.0.0.1:${port}` });
    assert.strictEqual(r.code, 3, r.err);
    const steps = JSON.parse(r.out).scenarios[0].steps;
    assert.deepStrictEqual(
      steps.map((s: { status: string }) => s.status),
      ['errored', 'skipped'],
    );
  });

  it('submits a batch step relative to the scenario file and waits for it', async () => {
    write('tiers.batch', 'batch=thirdPartyId,loyaltyTier\ncrm-1002,bronze\n');
    const file = write('batch.targetprofile.json', {
      steps: [
        { type: 'batch', file: 'tiers.batch', apiVersion: 'v1' },
        { type: 'verify', idType: 'thirdPartyId', id: 'crm-1002', expect: { loyaltyTier: 'bronze' }, within: 5 },
      ],
    });
    const r = await run([file, '--client', 'demo']);
    assert.strictEqual(r.code, 0, r.out + r.err);
    assert.ok(emulator.requests.some((q) => q.route === 'batchUpdate' && !q.url.includes('/v2/')));
  });
});
