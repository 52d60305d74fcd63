import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ProfileLookup, TargetClient } from '../../../../src/core/target/client';
import { TargetError } from '../../../../src/core/target/errors';
import { HttpRequest, HttpResponse } from '../../../../src/core/target/http';
import { parseBatchStatus, parseSubmitAnswer, parseUpdateAnswer } from '../../../../src/core/target/xml';
import { repoRoot } from '../../../support/repoRoot';

interface FixtureResponse {
  status?: number | string;
  body: unknown;
}
interface Fixture {
  id: string;
  api: string;
  /** The address of the page the example was taken from. */
  source: string;
  request?: { url?: string; headers?: Record<string, string> };
  response?: FixtureResponse;
  sequence?: { response: FixtureResponse }[];
}

/** The Adobe examples the project keeps as its own fixtures, one file per API. */
const fixtureDir = path.join(repoRoot, 'test', 'fixtures', 'adobe');
const fixtureFiles = fs
  .readdirSync(fixtureDir)
  .filter((name) => name.endsWith('.json'))
  .sort();
const fixtures: (Fixture & { file: string })[] = fixtureFiles.flatMap((file) =>
  (JSON.parse(fs.readFileSync(path.join(fixtureDir, file), 'utf8')) as { examples: Fixture[] }).examples.map((f) => ({
    ...f,
    file,
  })),
);

const bodyText = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body));

function clientAnswering(response: FixtureResponse): TargetClient {
  const res: HttpResponse = { status: Number(response.status), headers: {}, body: bodyText(response.body) };
  return new TargetClient({ connection: { clientCode: 'acme', apiVersion: 'v1' }, transport: async () => res });
}

/** The request the client sends for `lookup`, on a connection to client code `acme`. */
async function fetchRequest(lookup: ProfileLookup, token?: string): Promise<HttpRequest> {
  let sent: HttpRequest | undefined;
  const client = new TargetClient({
    connection: { clientCode: 'acme', apiVersion: 'v1', ...(token ? { token } : {}) },
    transport: async (request) => {
      sent = request;
      return { status: 200, headers: {}, body: '{}' };
    },
  });
  await client.fetchProfile(lookup);
  return sent!;
}

/** A documented address with its placeholders filled in for client code `acme`. */
const documentedUrl = (f: Fixture, values: Record<string, string> = {}) =>
  Object.entries({ '<your-client-code>': 'acme', '<clientCode>': 'acme', ...values }).reduce(
    (url, [placeholder, value]) => url.split(placeholder).join(value),
    f.request!.url!,
  );

/**
 * What every fixture must read as. A fixture added without an entry here fails the test, and so does an
 * entry whose fixture is gone: every documented example stays exercised.
 */
const expectations: Record<string, (f: Fixture) => Promise<void> | void> = {
  'single-update-pcid-doc': (f) =>
    assert.deepStrictEqual(parseUpdateAnswer(bodyText(f.response!.body)), {
      success: true,
      message: 'Request successfully submitted',
    }),
  'single-update-3rdparty-doc': (f) =>
    assert.deepStrictEqual(parseUpdateAnswer(bodyText(f.response!.body)), {
      success: true,
      message: 'Request successfully submitted',
    }),
  'segment-basic': async (f) => {
    const [lookup, update] = f.sequence!;
    assert.deepStrictEqual(await clientAnswering(lookup.response).fetchProfile({ thirdPartyId: '123-test' }), {
      found: true,
      status: 200,
      profile: {},
    });
    const result = await clientAnswering(update.response).updateProfile({
      id: { thirdPartyId: '123-test' },
      attributes: { city: 'New York City' },
    });
    assert.deepStrictEqual(result, { method: 'GET', status: 200, success: true, message: '' });
  },
  'segment-nested': (f) =>
    assert.deepStrictEqual(parseUpdateAnswer(bodyText(f.response!.body)), { success: true, message: '' }),
  // Request-only: the client sends the same header (the emulator checks it over HTTP in emulator.test.ts).
  'segment-bearer': async (f) => {
    const sent = await fetchRequest({ thirdPartyId: '123-test' }, 'test-token');
    assert.strictEqual(sent.headers.authorization, f.request!.headers!.authorization);
  },
  'segment-bad-client': async (f) => {
    const error = await clientAnswering(f.response!)
      .fetchProfile({ thirdPartyId: 'x' })
      .catch((e: unknown) => e);
    assert.ok(error instanceof TargetError && error.kind === 'server' && error.status === 400);
  },
  'fetch-thirdparty': async (f) => {
    assert.strictEqual((await fetchRequest({ thirdPartyId: 'a1-mbox3rdPartyId' })).url.href, documentedUrl(f));
    const result = await clientAnswering(f.response!).fetchProfile({ thirdPartyId: 'a1-mbox3rdPartyId' });
    assert.ok(result.found);
    assert.deepStrictEqual(result.profile, f.response!.body);
  },
  // Request-only: the client asks for the documented address.
  'fetch-tntid': async (f) =>
    assert.strictEqual((await fetchRequest({ pcId: '111492025094307-353046' })).url.href, documentedUrl(f)),
  'fetch-ecid': async (f) =>
    assert.strictEqual(
      (await fetchRequest({ marketingCloudVisitorId: '08814522547455374621379245398946052311' })).url.href,
      documentedUrl(f, { '<ECID>': '08814522547455374621379245398946052311' }),
    ),
  'fetch-404-thirdparty': async (f) =>
    assert.deepStrictEqual(await clientAnswering(f.response!).fetchProfile({ thirdPartyId: 'x' }), {
      found: false,
      status: 404,
      message: 'No profile found for client <client_code> with third party id=<third_party_id>',
    }),
  'fetch-404-pc': async (f) =>
    assert.deepStrictEqual(await clientAnswering(f.response!).fetchProfile({ pcId: 'x' }), {
      found: false,
      status: 404,
      message: 'No profile found for client <client_code> with mboxPC=<mbox_pc>',
    }),
  'fetch-legacy-shape': async (f) => {
    const result = await clientAnswering(f.response!).fetchProfile({ thirdPartyId: '55557896156' });
    assert.ok(result.found && result.profile.mboxPC === '1383918368404-663054.17_05');
  },
  'bulk-v2-submit': (f) =>
    assert.deepStrictEqual(parseSubmitAnswer(bodyText(f.response!.body)), {
      success: true,
      batchStatus: 'http://mboxedge45.tt.omtrdc.net/m2/demo/profile/batchStatus?batchId=demo-1701473848678-13029383',
      message: 'Batch submitted for processing',
    }),
  'bulk-v1-submit-legacy': (f) =>
    assert.deepStrictEqual(parseSubmitAnswer(bodyText(f.response!.body)), {
      success: true,
      batchStatus:
        'http://mboxedge19.tt.omtrdc.net/m2/fedex/profile/batchStatus?batchId=fedex-1470380971&mboxPC=0000000000000-000000.19_05',
      message: 'Batch submitted for processing',
    }),
  'bulk-v2-submit-legacy-slate': (f) =>
    assert.deepStrictEqual(parseSubmitAnswer(bodyText(f.response!.body)), {
      success: true,
      batchStatus: 'http://mboxedge19.tt.omtrdc.net/m2/demo/v2/profile/batchStatus?batchId=demo-1845664501&m2Node=00',
      message: 'Batch submitted for processing',
    }),
  'batch-status-default': (f) =>
    assert.deepStrictEqual(parseBatchStatus(bodyText(f.response!.body)), {
      batchId: 'demo4-1701473848678-13029383',
      status: 'complete',
      batchSize: 1,
      profiles: [],
    }),
  'batch-status-details': (f) =>
    assert.deepStrictEqual(parseBatchStatus(bodyText(f.response!.body)), {
      batchId: 'demo4-1701473848678-13029383',
      status: 'complete',
      batchSize: 1,
      consumedCount: 1,
      successfulUpdates: 1,
      profilesNotFound: 0,
      failedUpdates: 0,
      profiles: [],
    }),
  'batch-status-details-legacy': (f) =>
    assert.deepStrictEqual(parseBatchStatus(bodyText(f.response!.body)), {
      batchId: 'testclient -1470380971',
      status: 'complete',
      batchSize: 5,
      successfulUpdates: 2,
      profilesNotFound: 3,
      failedUpdates: 0,
      profiles: [],
    }),
  'batch-status-v2-per-profile-legacy': (f) => {
    const status = parseBatchStatus(bodyText(f.response!.body))!;
    assert.strictEqual(status.batchId, 'demo-1845664501');
    assert.strictEqual(status.status, '');
    assert.deepStrictEqual(
      status.profiles.map((p) => p.id),
      [
        '1436187396849-250353.03_03',
        '2403081156529-351655.03_03',
        '2403081156529-351656.03_03',
        '1436187396849-250351.01_00',
      ],
    );
    assert.ok(status.profiles.every((p) => p.status === 'success'));
  },
  'batch-status-failed-rows-2020': (f) =>
    assert.deepStrictEqual(parseBatchStatus(bodyText(f.response!.body)), {
      batchId: 'samplebatch-1585929692655-59449976',
      status: 'complete',
      batchSize: 164,
      profiles: [{ id: 'some profile id', status: 'failed' }],
    }),
  // Admin API token answers: not Profile API traffic, so the client has nothing to read in them.
  'profile-token-adobeio': (f) =>
    assert.strictEqual(typeof (f.response!.body as { accessToken: string }).accessToken, 'string'),
  'profile-token-legacy-tnt': (f) =>
    assert.strictEqual(typeof (f.response!.body as { access_token: string }).access_token, 'string'),
};

describe('target client: every Adobe example in test/fixtures/adobe', () => {
  it('finds the fixture files, each example with a unique id and the https address of its source', () => {
    assert.ok(fixtureFiles.length > 0, `no fixtures in ${fixtureDir}`);
    const ids = fixtures.map((f) => f.id);
    assert.deepStrictEqual(
      ids.filter((id, i) => ids.indexOf(id) !== i),
      [],
      'duplicate fixture ids',
    );
    for (const f of fixtures) assert.match(f.source, /^https:\/\/\S+$/, `${f.file}: ${f.id} has no source address`);
  });

  it('has a fixture for every expectation', () => {
    const ids = new Set(fixtures.map((f) => f.id));
    assert.deepStrictEqual(
      Object.keys(expectations).filter((id) => !ids.has(id)),
      [],
    );
  });

  for (const fixture of fixtures) {
    it(`reads ${fixture.id} (${fixture.file})`, async () => {
      const expect = expectations[fixture.id];
      assert.ok(expect, `no expectation for fixture ${fixture.id}`);
      await expect(fixture);
    });
  }
});

describe('target client: lenient XML', () => {
  it('accepts &amp; and a raw & alike, and the tag-stripped forms', () => {
    const escaped =
      '<response><success>true</success><batchStatus>https://e/s?batchId=a&amp;m2Node=00</batchStatus><message>ok</message></response>';
    assert.strictEqual(parseSubmitAnswer(escaped)!.batchStatus, 'https://e/s?batchId=a&m2Node=00');
    assert.deepStrictEqual(
      parseSubmitAnswer(
        'true http://mboxedge19.tt.omtrdc.net/m2/demo/v2/profile/batchStatus?batchId=demo-1845664501&m2Node=00 Batch submitted for processing',
      ),
      {
        success: true,
        batchStatus: 'http://mboxedge19.tt.omtrdc.net/m2/demo/v2/profile/batchStatus?batchId=demo-1845664501&m2Node=00',
        message: 'Batch submitted for processing',
      },
    );
    assert.deepStrictEqual(
      parseSubmitAnswer('<response><success>false</success><batchStatus/><message>Batch is empty</message></response>'),
      {
        success: false,
        batchStatus: '',
        message: 'Batch is empty',
      },
    );
    assert.deepStrictEqual(parseUpdateAnswer('falseSomething went wrong'), {
      success: false,
      message: 'Something went wrong',
    });
    assert.strictEqual(parseUpdateAnswer('<html>oops</html>'), undefined);
    assert.strictEqual(parseBatchStatus('not xml'), undefined);
    assert.strictEqual(
      parseBatchStatus('<response><status>stuck</status><batchId>b</batchId></response>')!.status,
      'stuck',
    );
  });
});
