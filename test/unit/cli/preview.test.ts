import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../../src/cli';
import { previewJson } from '../../../src/cli/preview';
import type { PreviewResult } from '../../../src/core/delivery/client';
import { SAMPLE_CLIENT_CODE, sampleProfiles } from '../../../src/emulator/samples';
import { Emulator, startEmulator } from '../../../src/emulator/server';
import { recordingIO } from '../../support/cliIO';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-preview-'));

describe('command line: preview against the emulator', () => {
  let emulator: Emulator;
  beforeEach(async () => {
    emulator = await startEmulator({ seed: sampleProfiles });
  });
  afterEach(() => emulator.close());
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
    const io = recordingIO({ env, cwd: dir });
    const code = await main(args, io);
    return { code, out: io.out, err: io.err };
  }

  const base = () => ['--client', SAMPLE_CLIENT_CODE, '--base-url', emulator.url];
  const deliveries = () => emulator.requests.filter((r) => r.route === 'delivery');

  it('tells the story: everyone for silver crm-1001, the gold experience after update loyaltyTier=gold', async () => {
    const preview = ['preview', ...base(), '--third-party-id', 'crm-1001', '--mbox', 'home-hero'];
    const before = await run(preview);
    assert.strictEqual(before.code, 0, before.err);
    assert.match(
      before.out,
      /^mbox home-hero: activity Home hero by loyalty tier, experience Everyone, offer Default hero\n {2}html:\n {4}<section class="hero">/,
    );
    assert.match(before.out, /Prefetched \(nothing counted\): tntId 1368007744041-575948\.01_00/);
    const update = await run(['update', ...base(), '--third-party-id', 'crm-1001', 'loyaltyTier=gold']);
    assert.strictEqual(update.code, 0, update.err);
    const after = await run(preview);
    assert.strictEqual(after.code, 0, after.err);
    assert.match(
      after.out,
      /^mbox home-hero: activity Home hero by loyalty tier, experience Gold members, offer Gold hero/,
    );
    assert.deepStrictEqual(emulator.impressions(), [], 'nothing is counted without --execute');
    assert.strictEqual(after.err, '');
  });

  it('--json prints exactly the documented shape', async () => {
    const r = await run([
      'preview',
      ...base(),
      '--third-party-id',
      'crm-1001',
      '--mbox',
      'home-hero',
      '--mbox',
      'nowhere',
      '--json',
    ]);
    assert.strictEqual(r.code, 0, r.err);
    const doc = JSON.parse(r.out);
    assert.deepStrictEqual(Object.keys(doc), ['edgeHost', 'id', 'requestId', 'mboxes']);
    assert.strictEqual(doc.edgeHost, new URL(emulator.url).host);
    assert.deepStrictEqual(doc.id, { tntId: '1368007744041-575948.01_00', thirdPartyId: 'crm-1001' });
    assert.match(doc.requestId, /^[0-9a-f-]{36}$/);
    assert.deepStrictEqual(Object.keys(doc.mboxes[0]), ['name', 'options', 'activity', 'experience', 'offer']);
    assert.deepStrictEqual(
      doc.mboxes.map(
        (m: { name: string; activity: string | null; experience: string | null; offer: string | null }) => [
          m.name,
          m.activity,
          m.experience,
          m.offer,
        ],
      ),
      [
        ['home-hero', 'Home hero by loyalty tier', 'Everyone', 'Default hero'],
        ['nowhere', null, null, null],
      ],
    );
    assert.deepStrictEqual(Object.keys(doc.mboxes[0].options[0]), ['type', 'content', 'responseTokens']);
    assert.deepStrictEqual(doc.mboxes[1].options, []);
  });

  it('an mbox that gets nothing exits 0 with "nothing qualifies" and the likely reasons', async () => {
    const r = await run([
      'preview',
      ...base(),
      '--pc-id',
      '111492025094307-353046',
      '--mbox',
      'home-hero',
      '--mbox',
      'app-banner',
    ]);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, /mbox app-banner: nothing qualifies\n {2}Likely reasons:\n {2}- /);
    assert.match(r.out, /up to 24 hours/);
    assert.match(r.out, /set TARGET_PROPERTY_TOKEN/);
  });

  it('--execute says on stderr that impressions are counted, and they are', async () => {
    const r = await run(['preview', ...base(), '--third-party-id', 'crm-1001', '--mbox', 'home-hero', '--execute']);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.err, /--execute counts an impression/);
    assert.match(r.out, /Executed \(impressions counted\)/);
    assert.deepStrictEqual(
      emulator.impressions().map((i) => [i.activityId, i.count]),
      [[12001, 1]],
    );
  });

  it('the property token comes from TARGET_PROPERTY_TOKEN or the variable --property-token-env names', async () => {
    const args = ['preview', ...base(), '--third-party-id', 'crm-1001', '--mbox', 'app-banner', '--json'];
    const viaDefault = await run(args, { TARGET_PROPERTY_TOKEN: 'demo-mobile-property' });
    assert.strictEqual(JSON.parse(viaDefault.out).mboxes[0].offer, 'Get the app');
    const viaNamed = await run([...args, '--property-token-env', 'MOBILE_TOKEN'], {
      MOBILE_TOKEN: 'demo-mobile-property',
      TARGET_PROPERTY_TOKEN: 'wrong',
    });
    assert.strictEqual(JSON.parse(viaNamed.out).mboxes[0].offer, 'Get the app');
    assert.ok(!viaNamed.out.includes('demo-mobile-property') && !viaNamed.err.includes('demo-mobile-property'));
  });

  it("Target's 400 exits 1 with its message; a server failure exits 3", async () => {
    const refused = await run(['preview', ...base(), '--pc-id', 'x', '--mbox', 'home-hero'], {
      TARGET_PROPERTY_TOKEN: 'not-a-property',
    });
    assert.strictEqual(refused.code, 1);
    assert.match(refused.err, /HTTP 400\): Invalid property token/);
    emulator.failNext(10, 500);
    const broken = await run(['preview', ...base(), '--pc-id', 'x', '--mbox', 'home-hero', '--json']);
    assert.strictEqual(broken.code, 3);
    assert.strictEqual(JSON.parse(broken.out).error.kind, 'server');
  });

  it('bad input exits 2 and sends nothing', async () => {
    const many = Array.from({ length: 51 }, (_, i) => ['--mbox', `m${i}`]).flat();
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['preview', '--client', 'Demo!', '--base-url', emulator.url, '--pc-id', 'p', '--mbox', 'a'], {}, /client code/],
      [['preview', ...base(), '--pc-id', 'p', ...many], {}, /at most 50 mboxes/],
      [['preview', ...base(), '--pc-id', 'p', '--mbox', ''], {}, /mbox 1 is empty/],
      [['preview', ...base(), '--pc-id', 'p'], {}, /--mbox/],
      [['preview', ...base(), '--mbox', 'a'], {}, /exactly one of/],
      [
        ['preview', ...base(), '--pc-id', 'p', '--mbox', 'a', '--qa-url', 'https://x.example/?at_preview_index=1_1'],
        {},
        /at_preview_token/,
      ],
      [
        ['preview', ...base(), '--pc-id', 'p', '--mbox', 'a', '--property-token-env', 'UNSET_VAR'],
        {},
        /UNSET_VAR, which is not set/,
      ],
      [['preview', ...base(), '--pc-id', 'p', '--mbox', 'a', '--trace'], {}, /TARGET_TRACE_TOKEN/],
      [['preview', ...base(), '--pc-id', 'p', '--mbox', 'a', '--url', 'nota url'], {}, /page URL/],
    ];
    for (const [args, env, pattern] of cases) {
      const r = await run(args, env);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, pattern);
    }
    assert.strictEqual(deliveries().length, 0);
  });

  it('sends no profile token, and --trace shows the trace without printing the trace token', async () => {
    const r = await run(['preview', ...base(), '--third-party-id', 'crm-1001', '--mbox', 'home-hero', '--trace'], {
      TARGET_PROFILE_TOKEN: 'profile-secret',
      TARGET_TRACE_TOKEN: 'trace-secret',
    });
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, /trace:\n/);
    assert.match(r.out, /"activityName": "Home hero by loyalty tier"/);
    assert.ok(!r.out.includes('trace-secret') && !r.err.includes('trace-secret'));
    assert.strictEqual(deliveries().length, 1);
    assert.strictEqual(deliveries()[0].authorization, undefined);
  });

  it('--trace without TARGET_TRACE_TOKEN fetches it with the Developer Console credentials (scope debug_tools)', async () => {
    const credentials = { clientId: 'console-client-1', clientSecret: 'console-secret-1', tenant: 'demotenant' };
    const withCredentials = await startEmulator({ seed: sampleProfiles, credentials });
    try {
      const env = {
        TARGET_CLIENT_ID: credentials.clientId,
        TARGET_CLIENT_SECRET: credentials.clientSecret,
        TARGET_TENANT: credentials.tenant,
        TARGET_IMS_URL: withCredentials.url,
        TARGET_ADMIN_URL: withCredentials.url,
      };
      const args = ['preview', '--client', SAMPLE_CLIENT_CODE, '--base-url', withCredentials.url];
      const r = await run([...args, '--third-party-id', 'crm-1001', '--mbox', 'home-hero', '--trace'], env);
      assert.strictEqual(r.code, 0, r.err);
      assert.match(r.out, /trace:\n/);
      const routes = withCredentials.requests.map((q) => q.route);
      assert.deepStrictEqual(routes, ['imsToken', 'adminToken', 'delivery']);
      assert.match(
        withCredentials.requests[1].url,
        /\/demotenant\/target\/authentication\/token\?authorizationScope=debug_tools$/,
      );
      assert.strictEqual(withCredentials.requests[2].authorization, undefined, 'the Delivery API gets no bearer');
      // Bad input is refused before any token is fetched; partial credentials are a usage error.
      const before = withCredentials.requests.length;
      const bad = await run([...args, '--third-party-id', 'crm-1001', '--mbox', ' ', '--trace'], env);
      assert.strictEqual(bad.code, 2, bad.err);
      const partial = await run([...args, '--pc-id', 'p', '--mbox', 'a', '--trace'], {
        TARGET_CLIENT_ID: credentials.clientId,
      });
      assert.strictEqual(partial.code, 2, partial.err);
      assert.match(partial.err, /TARGET_CLIENT_SECRET and TARGET_TENANT are not set/);
      assert.strictEqual(withCredentials.requests.length, before);
      // Wrong credentials: the Admin API's refusal, exit 3, nothing sent to the Delivery API.
      const wrong = await run([...args, '--pc-id', 'p', '--mbox', 'a', '--trace'], {
        ...env,
        TARGET_TENANT: 'othertenant',
      });
      assert.strictEqual(wrong.code, 3, wrong.err);
      assert.match(wrong.err, /Target Admin API refused the trace token request/);
      assert.ok(!wrong.err.includes(credentials.clientSecret));
      assert.strictEqual(withCredentials.requests.filter((q) => q.route === 'delivery').length, 1);
    } finally {
      await withCredentials.close();
    }
  });

  it('--qa-url previews the forced experience', async () => {
    const r = await run([
      'preview',
      ...base(),
      '--third-party-id',
      'crm-1001',
      '--mbox',
      'home-hero',
      '--qa-url',
      'https://shop.example.com/?at_preview_token=qa&at_preview_index=1_1',
      '--json',
    ]);
    assert.strictEqual(r.code, 0, r.err);
    assert.strictEqual(JSON.parse(r.out).mboxes[0].experience, 'Gold members');
  });
});

describe('command line: the preview JSON document', () => {
  it('keeps the contract fields and drops what the contract does not name', () => {
    const result: PreviewResult = {
      status: 200,
      requestId: 'r',
      edgeHost: 'mboxedge1.tt.omtrdc.net',
      id: { tntId: 't' },
      mode: 'prefetch',
      sessionId: 'secret-session',
      body: { requestId: 'r', context: { channel: 'web' }, id: {} },
      mboxes: [
        {
          index: 1,
          name: 'a',
          options: [{ type: 'html', content: 'x', responseTokens: { 'offer.name': 'O' } }],
          activity: null,
          experience: null,
          offer: 'O',
        },
      ],
    };
    assert.deepStrictEqual(previewJson(result), {
      edgeHost: 'mboxedge1.tt.omtrdc.net',
      id: { tntId: 't' },
      requestId: 'r',
      mboxes: [
        {
          name: 'a',
          options: [{ type: 'html', content: 'x', responseTokens: { 'offer.name': 'O' } }],
          activity: null,
          experience: null,
          offer: 'O',
        },
      ],
    });
  });
});
