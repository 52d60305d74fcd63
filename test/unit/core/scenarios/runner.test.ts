import * as assert from 'assert';
import * as path from 'path';
import { runScenario, type ScenarioDeps, type StepEvent } from '../../../../src/core/scenarios/runner';
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
