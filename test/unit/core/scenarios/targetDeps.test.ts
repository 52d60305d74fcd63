import * as assert from 'assert';
import { DeliveryClient } from '../../../../src/core/delivery/client';
import { runScenario } from '../../../../src/core/scenarios/runner';
import { parseScenario, type Scenario } from '../../../../src/core/scenarios/scenario';
import { targetScenarioDeps } from '../../../../src/core/scenarios/targetDeps';
import { TargetError } from '../../../../src/core/target/errors';
import { SAMPLE_CLIENT_CODE, sampleProfiles } from '../../../../src/emulator/samples';
import { startEmulator, type Emulator } from '../../../../src/emulator/server';

/** The sample `app-banner` activity is served only with the mobile workspace's property token. */
const MOBILE_TOKEN = 'demo-mobile-property';

function scenario(steps: unknown[]): Scenario {
  const parsed = parseScenario(JSON.stringify({ steps }));
  assert.deepStrictEqual(parsed.problems, []);
  return parsed.scenario!;
}

const banner = (extra: Record<string, unknown>) => ({
  type: 'preview',
  idType: 'thirdPartyId',
  id: 'crm-1001',
  within: 0,
  ...extra,
});

describe('scenarios: preview steps against the emulator, with named property tokens', () => {
  let emulator: Emulator;
  let delivery: DeliveryClient;

  beforeEach(async () => {
    emulator = await startEmulator({ seed: sampleProfiles });
    delivery = new DeliveryClient({
      connection: { clientCode: SAMPLE_CLIENT_CODE, apiVersion: 'v2', baseUrl: emulator.url },
      retry: { maxAttempts: 1 },
    });
  });
  afterEach(async () => {
    await delivery.close();
    await emulator.close();
  });

  /** The deps of a run whose property tokens are `stored` (by name), recording what was asked. */
  function deps(stored: Record<string, string>, asked: (string | undefined)[]) {
    return targetScenarioDeps(() => Promise.reject(new Error('no profile API call is expected')), {
      delivery: async () => delivery,
      propertyToken: (name) => {
        asked.push(name);
        if (name === undefined) return undefined;
        if (stored[name] === undefined) throw new TargetError('usage', `No property token named "${name}".`);
        return stored[name];
      },
    });
  }

  it("sends the token of the step's property, and none for a step without one", async () => {
    const asked: (string | undefined)[] = [];
    const result = await runScenario(
      scenario([
        banner({ name: 'without', expect: { 'app-banner': { nothingServed: true } } }),
        banner({ name: 'with', property: 'Mobile', expect: { 'app-banner': { offer: 'Get the app' } } }),
      ]),
      deps({ Mobile: MOBILE_TOKEN }, asked),
    );
    assert.deepStrictEqual(
      result.steps.map((s) => [s.name, s.status, s.message]),
      [
        ['without', 'passed', '1 mbox(es) as expected.'],
        ['with', 'passed', '1 mbox(es) as expected.'],
      ],
    );
    assert.deepStrictEqual(asked, [undefined, 'Mobile']);
    assert.strictEqual(emulator.requests.filter((r) => r.route === 'delivery').length, 2);
  });

  it('a property with no stored token errors the step with its message and sends nothing; the run goes on', async () => {
    const asked: (string | undefined)[] = [];
    const result = await runScenario(
      scenario([
        banner({ name: 'unknown', property: 'Tablet', expect: { 'app-banner': { offer: 'Get the app' } } }),
        { type: 'wait', seconds: 0 },
      ]),
      deps({ Mobile: MOBILE_TOKEN }, asked),
    );
    assert.deepStrictEqual(
      result.steps.map((s) => [s.status, s.errorKind, s.message]),
      [
        ['errored', 'usage', 'No property token named "Tablet".'],
        ['passed', undefined, 'Waited 0 s.'],
      ],
    );
    assert.deepStrictEqual(asked, ['Tablet']);
    assert.deepStrictEqual(
      emulator.requests.filter((r) => r.route === 'delivery'),
      [],
      'no Delivery request went out',
    );
  });
});
