import * as assert from 'assert';
import * as path from 'path';
import { runScenario, type ScenarioDeps, type ServedMbox, type StepEvent } from '../../../../src/core/scenarios/runner';
import { parseScenario, type Scenario } from '../../../../src/core/scenarios/scenario';
import { TargetError } from '../../../../src/core/target/errors';
import { cancelledError } from '../../../../src/core/target/limiter';

function scenario(steps: unknown[]): Scenario {
  const parsed = parseScenario(JSON.stringify({ steps }));
  assert.deepStrictEqual(parsed.problems, []);
  return parsed.scenario!;
}

/** A profile store standing in for Target; `lag` fetches see the old values before an update shows. */
class FakeTarget implements ScenarioDeps {
  readonly profiles = new Map<string, Record<string, string>>();
  readonly calls: string[] = [];
  readonly sleeps: number[] = [];
  clock = 0;
  lag = 0;
  private pending: { key: string; attributes: Record<string, string>; fetchesLeft: number }[] = [];
  failUpdate?: Error;
  refuseUpdate = false;
  batchStatus = 'complete';

  async updateProfile(idType: string, id: string, attributes: Record<string, string>) {
    this.calls.push(`update ${idType} ${id} ${JSON.stringify(attributes)}`);
    if (this.failUpdate) throw this.failUpdate;
    if (this.refuseUpdate) return { success: false, message: 'Invalid attribute' };
    this.pending.push({ key: `${idType}:${id}`, attributes, fetchesLeft: this.lag });
    return { success: true, message: 'Request successfully submitted' };
  }

  async fetchProfile(idType: string, id: string) {
    this.calls.push(`fetch ${idType} ${id}`);
    const key = `${idType}:${id}`;
    for (const p of this.pending.filter((q) => q.key === key)) {
      if (p.fetchesLeft-- <= 0) {
        this.profiles.set(key, { ...this.profiles.get(key), ...p.attributes });
        this.pending.splice(this.pending.indexOf(p), 1);
      }
    }
    const attributes = this.profiles.get(key);
    if (!attributes) return { found: false, message: `No profile found with ${idType}=${id}` };
    return {
      found: true,
      profile: { profileAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { value: v }])) },
    };
  }

  async submitBatch(file: string, apiVersion: 'v1' | 'v2' | undefined) {
    this.calls.push(`submit ${file} ${apiVersion ?? 'default'}`);
    return ['http://127.0.0.1/status/1'];
  }

  async waitForBatch(url: string) {
    this.calls.push(`wait ${url}`);
    return { status: this.batchStatus };
  }

  async sleep(ms: number, signal?: AbortSignal) {
    if (signal?.aborted) throw cancelledError();
    this.sleeps.push(ms);
    this.clock += ms;
  }

  now = () => this.clock;
}

describe('scenarios: runner', () => {
  it('passes: update, wait, verify that matches after a few fetches', async () => {
    const target = new FakeTarget();
    target.lag = 2;
    const events: string[] = [];
    const result = await runScenario(
      scenario([
        { type: 'update', idType: 'thirdPartyId', id: 'crm-1', attributes: { tier: 'gold', age: 35 } },
        { type: 'wait', seconds: 2 },
        {
          type: 'verify',
          name: 'gold',
          idType: 'thirdPartyId',
          id: 'crm-1',
          expect: { tier: 'gold', age: '35' },
          within: 30,
        },
      ]),
      target,
      { pollMinMs: 1000, pollMaxMs: 4000, onStep: (e: StepEvent) => events.push(`${e.phase} ${e.step.index}`) },
    );
    assert.strictEqual(result.passed, true, JSON.stringify(result));
    assert.deepStrictEqual(
      result.steps.map((s) => [s.type, s.name, s.status]),
      [
        ['update', 'update thirdPartyId crm-1', 'passed'],
        ['wait', 'wait 2 s', 'passed'],
        ['verify', 'gold', 'passed'],
      ],
    );
    assert.deepStrictEqual(result.steps[2].attributes, [
      { name: 'tier', state: 'match', expected: 'gold' },
      { name: 'age', state: 'match', expected: '35' },
    ]);
    assert.deepStrictEqual(target.sleeps, [2000, 1000, 2000]);
    assert.strictEqual(result.steps[1].durationMs, 2000);
    assert.deepStrictEqual(events, ['started 0', 'finished 0', 'started 1', 'finished 1', 'started 2', 'finished 2']);
    assert.strictEqual(target.calls[0], 'update thirdPartyId crm-1 {"tier":"gold","age":"35"}');
  });

  it('fails a verify with a differing and a missing attribute after its time budget, and goes on', async () => {
    const target = new FakeTarget();
    target.profiles.set('pcId:p', { tier: 'silver' });
    const result = await runScenario(
      scenario([
        { type: 'verify', idType: 'pcId', id: 'p', expect: { tier: 'gold', city: 'Madrid' }, within: 10 },
        { type: 'verify', idType: 'pcId', id: 'p', expect: { tier: 'silver' }, within: 0 },
      ]),
      target,
      { pollMinMs: 1000, pollMaxMs: 4000 },
    );
    assert.strictEqual(result.passed, false);
    const failed = result.steps[0];
    assert.strictEqual(failed.status, 'failed');
    assert.deepStrictEqual(failed.attributes, [
      { name: 'tier', state: 'differs', expected: 'gold', actual: 'silver' },
      { name: 'city', state: 'missing', expected: 'Madrid' },
    ]);
    assert.strictEqual(
      failed.message,
      'tier: expected "gold", got "silver"; city: expected "Madrid", missing (after 10 s)',
    );
    // 1 + 2 + 4 = 7 s of pauses fit in 10 s; the next (4 s) would not.
    assert.deepStrictEqual(target.sleeps, [1000, 2000, 4000]);
    assert.strictEqual(target.calls.filter((c) => c === 'fetch pcId p').length, 5);
    assert.strictEqual(result.steps[1].status, 'passed', 'a failed verify does not stop later steps');
  });

  it('fails a verify whose profile does not exist', async () => {
    const target = new FakeTarget();
    const result = await runScenario(
      scenario([{ type: 'verify', idType: 'thirdPartyId', id: 'nobody', expect: { tier: 'gold' }, within: 0 }]),
      target,
    );
    assert.strictEqual(result.steps[0].status, 'failed');
    assert.match(result.steps[0].message, /Profile not found: No profile found with thirdPartyId=nobody/);
    assert.deepStrictEqual(result.steps[0].attributes, [{ name: 'tier', state: 'missing', expected: 'gold' }]);
  });

  it('an errored update skips the rest; an errored verify does not', async () => {
    const target = new FakeTarget();
    target.failUpdate = new TargetError('network', 'Could not connect to Target.');
    const result = await runScenario(
      scenario([
        { type: 'verify', idType: 'pcId', id: 'p', expect: { a: '1' }, within: 0 },
        { type: 'update', idType: 'pcId', id: 'p', attributes: { a: '1' } },
        { type: 'verify', idType: 'pcId', id: 'p', expect: { a: '1' } },
        { type: 'wait', seconds: 1 },
      ]),
      {
        ...target,
        updateProfile: target.updateProfile.bind(target),
        fetchProfile: async () => {
          throw new TargetError('timeout', 'Target did not answer in time.');
        },
        submitBatch: target.submitBatch.bind(target),
        waitForBatch: target.waitForBatch.bind(target),
        sleep: target.sleep.bind(target),
      },
    );
    assert.deepStrictEqual(
      result.steps.map((s) => [s.status, s.errorKind, s.message]),
      [
        ['errored', 'timeout', 'Target did not answer in time.'],
        ['errored', 'network', 'Could not connect to Target.'],
        ['skipped', undefined, 'Skipped: step 2 (update pcId p) errored.'],
        ['skipped', undefined, 'Skipped: step 2 (update pcId p) errored.'],
      ],
    );
    assert.strictEqual(result.passed, false);
  });

  it('success=false from Target errors the update as rejected', async () => {
    const target = new FakeTarget();
    target.refuseUpdate = true;
    const result = await runScenario(
      scenario([
        { type: 'update', idType: 'pcId', id: 'p', attributes: { a: '1' } },
        { type: 'wait', seconds: 1 },
      ]),
      target,
    );
    assert.deepStrictEqual(
      result.steps.map((s) => s.status),
      ['errored', 'skipped'],
    );
    assert.strictEqual(result.steps[0].errorKind, 'rejected');
    assert.match(result.steps[0].message, /refused the update: Invalid attribute/);
  });

  it('submits batch files relative to the scenario and waits for them; a stuck batch errors', async () => {
    const target = new FakeTarget();
    const steps = [
      { type: 'batch', file: 'data/a.batch', apiVersion: 'v1' },
      { type: 'batch', file: 'b.batch', wait: false },
    ];
    const ok = await runScenario(scenario(steps), target, { baseDir: '/qa' });
    assert.strictEqual(ok.passed, true);
    assert.deepStrictEqual(target.calls, [
      `submit ${path.resolve('/qa/data/a.batch')} v1`,
      'wait http://127.0.0.1/status/1',
      `submit ${path.resolve('/qa/b.batch')} default`,
    ]);
    target.batchStatus = 'stuck';
    const stuck = await runScenario(scenario(steps), target, { baseDir: '/qa' });
    assert.deepStrictEqual(
      stuck.steps.map((s) => s.status),
      ['errored', 'skipped'],
    );
    assert.match(stuck.steps[0].message, /did not complete: stuck/);
  });

  it('runs only the chosen steps, and "check once" fetches a single time', async () => {
    const target = new FakeTarget();
    target.profiles.set('pcId:p', { a: '0' });
    const result = await runScenario(
      scenario([
        { type: 'update', idType: 'pcId', id: 'p', attributes: { a: '1' } },
        { type: 'verify', idType: 'pcId', id: 'p', expect: { a: '1' }, within: 60 },
      ]),
      target,
      { only: [1], verifyWithinSeconds: 0 },
    );
    assert.deepStrictEqual(
      result.steps.map((s) => [s.index, s.status]),
      [[1, 'failed']],
    );
    assert.deepStrictEqual(target.calls, ['fetch pcId p']);
  });

  it('stops on cancellation: the running step errors as cancelled, the rest are skipped', async () => {
    const target = new FakeTarget();
    const controller = new AbortController();
    const deps: ScenarioDeps = {
      ...target,
      updateProfile: target.updateProfile.bind(target),
      fetchProfile: target.fetchProfile.bind(target),
      submitBatch: target.submitBatch.bind(target),
      waitForBatch: target.waitForBatch.bind(target),
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(cancelledError()), { once: true });
        }),
    };
    const running = runScenario(
      scenario([
        { type: 'wait', seconds: 3600 },
        { type: 'update', idType: 'pcId', id: 'p', attributes: { a: '1' } },
      ]),
      deps,
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 5);
    const result = await running;
    assert.strictEqual(result.cancelled, true);
    assert.deepStrictEqual(
      result.steps.map((s) => [s.status, s.message]),
      [
        ['errored', 'Cancelled.'],
        ['skipped', 'Skipped: the run was cancelled.'],
      ],
    );
    assert.deepStrictEqual(target.calls, [], 'nothing is sent after cancellation');
  });
});

/** FakeTarget with a Delivery API: `home-hero` serves "Gold members" to gold profiles, "Everyone" otherwise. */
class FakeDelivery extends FakeTarget {
  readonly previews: string[] = [];

  async preview(request: {
    idType: string;
    id: string;
    mboxes: string[];
    url?: string;
    property?: string;
  }): Promise<ServedMbox[]> {
    this.previews.push(
      `${request.idType} ${request.id} ${request.mboxes.join(',')}${request.url ? ` ${request.url}` : ''}${request.property !== undefined ? ` property=${request.property}` : ''}`,
    );
    const fetched = await this.fetchProfile(request.idType, request.id);
    const attributes = (fetched.profile?.profileAttributes ?? {}) as Record<string, { value: string }>;
    const gold = attributes.tier?.value === 'gold';
    return request.mboxes.map((name) =>
      name === 'home-hero'
        ? {
            name,
            served: true,
            activity: 'Home hero',
            experience: gold ? 'Gold members' : 'Everyone',
            offer: gold ? 'Gold hero' : 'Default hero',
            contents: [gold ? '<h1>Welcome back, Gold member</h1>' : '<h1>Welcome</h1>'],
          }
        : { name, served: false, activity: null, experience: null, offer: null, contents: [] },
    );
  }
}

describe('scenarios: runner, preview steps', () => {
  it('waits `within` until every mbox is as expected: update -> preview passes once the update shows', async () => {
    const target = new FakeDelivery();
    target.lag = 2;
    const result = await runScenario(
      scenario([
        { type: 'update', idType: 'thirdPartyId', id: 'crm-1', attributes: { tier: 'gold' } },
        {
          type: 'preview',
          idType: 'thirdPartyId',
          id: 'crm-1',
          url: 'https://shop.example.com/',
          expect: {
            'home-hero': {
              activity: 'Home hero',
              experience: 'Gold members',
              offer: 'Gold hero',
              contentContains: 'Gold member',
            },
            offers: { nothingServed: true },
          },
          within: 30,
        },
      ]),
      target,
      { pollMinMs: 1000, pollMaxMs: 4000 },
    );
    assert.strictEqual(result.passed, true, JSON.stringify(result.steps));
    const step = result.steps[1];
    assert.strictEqual(step.message, '2 mbox(es) as expected after 3 previews.');
    assert.deepStrictEqual(
      target.previews,
      Array(3).fill('thirdPartyId crm-1 home-hero,offers https://shop.example.com/'),
    );
    assert.deepStrictEqual(target.sleeps, [1000, 2000]);
    assert.deepStrictEqual(
      step.attributes.map((a) => `${a.name}: ${a.state}`),
      [
        'home-hero activity: match',
        'home-hero experience: match',
        'home-hero offer: match',
        'home-hero content contains: match',
        'offers: match',
      ],
    );
  });

  it('fails with what differs per mbox after its time budget, and the run goes on', async () => {
    const target = new FakeDelivery();
    target.profiles.set('thirdPartyId:crm-1', { tier: 'silver' });
    const result = await runScenario(
      scenario([
        {
          type: 'preview',
          idType: 'thirdPartyId',
          id: 'crm-1',
          expect: {
            'home-hero': { experience: 'Gold members', contentContains: 'Gold' },
            offers: { experience: 'Senior' },
            banner: { nothingServed: true },
          },
          within: 3,
        },
        { type: 'wait', seconds: 0 },
      ]),
      target,
      { pollMinMs: 1000, pollMaxMs: 1000 },
    );
    assert.strictEqual(result.passed, false);
    const [step, wait] = result.steps;
    assert.strictEqual(step.status, 'failed');
    assert.strictEqual(wait.status, 'passed');
    assert.deepStrictEqual(step.attributes, [
      { name: 'home-hero experience', state: 'differs', expected: 'Gold members', actual: 'Everyone' },
      { name: 'home-hero content contains', state: 'differs', expected: 'Gold', actual: '<h1>Welcome</h1>' },
      { name: 'offers experience', state: 'differs', expected: 'Senior', actual: '(nothing served)' },
      { name: 'banner', state: 'match', expected: '(nothing served)' },
    ]);
    assert.strictEqual(
      step.message,
      'home-hero experience: expected "Gold members", got "Everyone"; home-hero content contains: expected "Gold", got "<h1>Welcome</h1>"; offers experience: expected "Senior", got "(nothing served)" (after 3 s)',
    );
    assert.strictEqual(target.previews.length, 4, 'previewed at 0, 1, 2 and 3 s');
  });

  it('nothing served: fails when something is, naming what', async () => {
    const target = new FakeDelivery();
    const result = await runScenario(
      scenario([
        { type: 'preview', idType: 'pcId', id: 'p', expect: { 'home-hero': { nothingServed: true } }, within: 0 },
      ]),
      target,
    );
    assert.deepStrictEqual(result.steps[0].attributes, [
      {
        name: 'home-hero',
        state: 'differs',
        expected: '(nothing served)',
        actual: 'activity "Home hero", experience "Everyone"',
      },
    ]);
    assert.strictEqual(target.previews.length, 1, 'within 0 previews once');
  });

  it('errors, without stopping the run, when there is no Delivery API client or the call fails', async () => {
    const steps = scenario([
      { type: 'preview', idType: 'pcId', id: 'p', expect: { m: { experience: 'E' } }, within: 0 },
      { type: 'wait', seconds: 0 },
    ]);
    const without = await runScenario(steps, new FakeTarget());
    assert.deepStrictEqual(
      without.steps.map((s) => [s.status, s.errorKind]),
      [
        ['errored', 'usage'],
        ['passed', undefined],
      ],
    );
    const failing = new FakeDelivery();
    failing.preview = async () => {
      throw new TargetError('network', 'connection refused');
    };
    const result = await runScenario(steps, failing);
    assert.deepStrictEqual(
      result.steps.map((s) => [s.status, s.errorKind, s.message]),
      [
        ['errored', 'network', 'connection refused'],
        ['passed', undefined, 'Waited 0 s.'],
      ],
    );
  });
});

describe('scenarios: runner, preview steps with a property', () => {
  it("hands each preview the step's property name, and none to a step without one", async () => {
    const target = new FakeDelivery();
    const result = await runScenario(
      scenario([
        { type: 'preview', idType: 'pcId', id: 'p', expect: { 'app-banner': { nothingServed: true } }, within: 0 },
        {
          type: 'preview',
          idType: 'pcId',
          id: 'p',
          expect: { 'app-banner': { nothingServed: true } },
          within: 0,
          property: 'Mobile',
        },
      ]),
      target,
    );
    assert.strictEqual(result.passed, true, JSON.stringify(result.steps));
    assert.deepStrictEqual(target.previews, ['pcId p app-banner', 'pcId p app-banner property=Mobile']);
  });
});

describe('scenarios: runner, preview steps checked once', () => {
  it('verifyWithinSeconds 0 previews a single time', async () => {
    const target = new FakeDelivery();
    const result = await runScenario(
      scenario([
        { type: 'preview', idType: 'pcId', id: 'p', expect: { 'home-hero': { experience: 'Gold' } }, within: 30 },
      ]),
      target,
      { verifyWithinSeconds: 0 },
    );
    assert.strictEqual(result.steps[0].status, 'failed');
    assert.match(result.steps[0].message, /\(after 0 s\)$/);
    assert.strictEqual(target.previews.length, 1);
  });
});
