import * as assert from 'assert';
import { SAMPLE_CLIENT_CODE, sampleProfiles } from '../../../src/emulator/samples';
import type { ActivityTrace } from '../../../src/emulator/activities';
import { type ActivitySeed, Emulator, startEmulator } from '../../../src/emulator/server';

/** The parts of a Delivery answer these tests read. */
interface MboxAnswer {
  index: number;
  name: string;
  options?: { type: string; content: unknown; eventToken?: string; responseTokens: Record<string, unknown> }[];
  trace?: { profile: { attributes: Record<string, string> }; campaigns: ActivityTrace[] };
}
interface Answer {
  status?: number;
  message: string;
  id: { tntId: string };
  prefetch: { mboxes: MboxAnswer[] };
  execute: { mboxes: MboxAnswer[] };
}

describe('emulator: the Delivery API route', () => {
  let emulator: Emulator;
  beforeEach(async () => {
    // Auth on for the profile API: the Delivery API must still answer without a token.
    emulator = await startEmulator({ seed: sampleProfiles, token: 'profile-token' });
  });
  afterEach(() => emulator.close());

  async function deliver(body: unknown, query = `client=${SAMPLE_CLIENT_CODE}&sessionId=s-1`) {
    const res = await fetch(`${emulator.url}/rest/v1/delivery?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Answer };
  }

  const request = (extra: Record<string, unknown> = {}, mode: 'prefetch' | 'execute' = 'prefetch') => ({
    context: { channel: 'web' },
    id: { thirdPartyId: 'crm-1001' },
    [mode]: { mboxes: [{ index: 1, name: 'home-hero' }] },
    ...extra,
  });

  it('serves the sample story: crm-1001 gets "Everyone", then "Gold members" right after the profile update', async () => {
    const before = await deliver(request());
    assert.strictEqual(before.status, 200);
    const option = before.json.prefetch.mboxes[0].options![0];
    assert.strictEqual(option.type, 'html');
    assert.strictEqual(option.responseTokens['experience.name'], 'Everyone');
    assert.strictEqual(option.responseTokens['profile.loyaltyTier'], 'silver');
    assert.ok(option.eventToken, 'a prefetched option carries an eventToken');
    assert.strictEqual(before.json.id.tntId, sampleProfiles[0].pcId);
    const update = await fetch(
      `${emulator.url}/m2/${SAMPLE_CLIENT_CODE}/profile/update?mbox3rdPartyId=crm-1001&profile.loyaltyTier=gold`,
      { headers: { authorization: 'Bearer profile-token' } },
    );
    assert.strictEqual(update.status, 200);
    const after = await deliver(request());
    assert.strictEqual(after.json.prefetch.mboxes[0].options![0].responseTokens['experience.name'], 'Gold members');
    assert.match(String(after.json.prefetch.mboxes[0].options![0].content), /Gold member/);
  });

  it('counts impressions on execute only, visible through the control API', async () => {
    await deliver(request());
    await deliver(request());
    assert.deepStrictEqual(emulator.impressions(), []);
    const executed = await deliver(request({}, 'execute'));
    assert.strictEqual(executed.json.execute.mboxes[0].options![0].eventToken, undefined);
    const res = await fetch(`${emulator.url}/__emulator/impressions`);
    assert.deepStrictEqual(await res.json(), {
      impressions: [{ clientCode: SAMPLE_CLIENT_CODE, activityId: 12001, experienceId: 0, count: 1 }],
    });
  });

  it('an mbox nobody targets has no options; a property-token activity needs its token; an unknown token is 400', async () => {
    const none = await deliver(request({ prefetch: { mboxes: [{ index: 1, name: 'app-banner' }] } }));
    assert.deepStrictEqual(none.json.prefetch.mboxes, [{ index: 1, name: 'app-banner' }]);
    const withToken = await deliver(
      request({
        prefetch: { mboxes: [{ index: 1, name: 'app-banner' }] },
        property: { token: 'demo-mobile-property' },
      }),
    );
    assert.strictEqual(withToken.json.prefetch.mboxes[0].options![0].type, 'redirect');
    const wrong = await deliver(request({ property: { token: 'nope' } }));
    assert.deepStrictEqual(wrong, { status: 400, json: { status: 400, message: 'Invalid property token' } });
  });

  it('answers a trace only when a trace token is sent, listing the audience evaluation', async () => {
    const plain = await deliver(request());
    assert.strictEqual(plain.json.prefetch.mboxes[0].trace, undefined);
    const traced = await deliver(request({ trace: { authorizationToken: 'trace-token' } }));
    const trace = traced.json.prefetch.mboxes[0].trace!;
    assert.strictEqual(trace.profile.attributes.loyaltyTier, 'silver');
    const [hero] = trace.campaigns;
    assert.strictEqual(hero.activityName, 'Home hero by loyalty tier');
    assert.deepStrictEqual(hero.experiences[0].rules, [
      { attribute: 'loyaltyTier', operator: 'equals', value: 'gold', actual: 'silver', matched: false },
    ]);
    assert.strictEqual(hero.chosenExperienceId, 0);
  });

  it('QA mode: a preview index forces the gold experience for a silver visitor', async () => {
    const qa = await deliver(
      request({ qaMode: { token: 'qa-token', previewIndexes: [{ activityIndex: 1, experienceIndex: 1 }] } }),
    );
    assert.strictEqual(qa.json.prefetch.mboxes[0].options![0].responseTokens['experience.name'], 'Gold members');
    assert.strictEqual((await deliver(request({ qaMode: { token: '' } }))).status, 400);
  });

  it('activities for any client code through the control API, with profile tokens and switched-off names', async () => {
    const seed: ActivitySeed = {
      clientCode: 'acme',
      responseTokens: ['offer.name'],
      profileTokens: ['age'],
      activities: [
        {
          id: 1,
          name: 'Adults',
          type: 'ab',
          mboxes: ['m'],
          experiences: [
            {
              id: 0,
              name: 'A',
              audience: { id: 1, name: 'Adults', rules: [{ attribute: 'age', operator: 'gte', value: 18 }] },
              offer: { id: 9, name: 'Adult offer', type: 'json', content: { a: 1 } },
            },
          ],
        },
      ],
    };
    const set = await fetch(`${emulator.url}/__emulator/activities`, { method: 'POST', body: JSON.stringify(seed) });
    assert.strictEqual(set.status, 200);
    emulator.seedProfile({ clientCode: 'acme', pcId: 'pc-a', attributes: { age: '30' } });
    const res = await deliver(
      { context: { channel: 'web' }, id: { tntId: 'pc-a' }, execute: { mboxes: [{ index: 1, name: 'm' }] } },
      'client=acme&sessionId=s-2',
    );
    assert.deepStrictEqual(res.json.execute.mboxes[0].options, [
      { type: 'json', content: { a: 1 }, responseTokens: { 'offer.name': 'Adult offer', 'profile.age': '30' } },
    ]);
    const listed = (await (await fetch(`${emulator.url}/__emulator/activities`)).json()) as { activities: unknown[] };
    assert.strictEqual(listed.activities.length, 2);
  });

  it('refuses what Target refuses: no sessionId, no channel, more than 50 mboxes, an empty mbox name', async () => {
    const noSession = await deliver(request(), `client=${SAMPLE_CLIENT_CODE}`);
    assert.strictEqual(noSession.status, 400);
    assert.match(noSession.json.message, /sessionId/);
    assert.match((await deliver({ ...request(), context: {} })).json.message, /context.channel/);
    const many = Array.from({ length: 51 }, (_, i) => ({ index: i + 1, name: `m${i}` }));
    assert.match((await deliver(request({ prefetch: { mboxes: many } }))).json.message, /At most 50/);
    assert.match(
      (await deliver(request({ prefetch: { mboxes: [{ index: 1, name: '' }] } }))).json.message,
      /non-empty name/,
    );
  });
});
