import * as assert from 'assert';
import { type ActivitySeed, type AudienceRule, decide, evaluateRule } from '../../../src/emulator/activities';

function profile(attributes: Record<string, string>) {
  return { attributes: new Map(Object.entries(attributes).map(([k, v]) => [k, { value: v }])) };
}

describe('emulator: audience rules', () => {
  const cases: [AudienceRule, Record<string, string>, boolean][] = [
    [{ attribute: 'tier', operator: 'equals', value: 'gold' }, { tier: 'gold' }, true],
    [{ attribute: 'tier', operator: 'equals', value: 'gold' }, { tier: 'Gold' }, false],
    [{ attribute: 'tier', operator: 'equals', value: 'gold' }, {}, false],
    [{ attribute: 'tier', operator: 'in', value: ['gold', 'platinum'] }, { tier: 'platinum' }, true],
    [{ attribute: 'tier', operator: 'in', value: ['gold', 'platinum'] }, { tier: 'silver' }, false],
    [{ attribute: 'tier', operator: 'exists' }, { tier: 'x' }, true],
    [{ attribute: 'tier', operator: 'exists' }, { other: 'x' }, false],
    [{ attribute: 'age', operator: 'gt', value: 40 }, { age: '41' }, true],
    [{ attribute: 'age', operator: 'gt', value: 40 }, { age: '40' }, false],
    [{ attribute: 'age', operator: 'gte', value: 40 }, { age: '40' }, true],
    [{ attribute: 'age', operator: 'lt', value: 40 }, { age: '9' }, true],
    [{ attribute: 'age', operator: 'lte', value: 40 }, { age: '40.5' }, false],
    [{ attribute: 'age', operator: 'gte', value: 40 }, { age: 'forty' }, false],
    [{ attribute: 'age', operator: 'lt', value: 40 }, { age: '' }, false],
  ];
  for (const [rule, attributes, expected] of cases) {
    it(`${rule.attribute} ${rule.operator} ${JSON.stringify(rule.value ?? '')} on ${JSON.stringify(attributes)} is ${expected}`, () => {
      const trace = evaluateRule(rule, profile(attributes));
      assert.strictEqual(trace.matched, expected);
      assert.strictEqual(trace.actual, attributes[rule.attribute] ?? null);
    });
  }

  it('an unknown visitor matches no rule but exists-less "everyone" experiences', () => {
    assert.strictEqual(evaluateRule({ attribute: 'tier', operator: 'exists' }, undefined).matched, false);
  });
});

describe('emulator: deciding an mbox', () => {
  const seed: ActivitySeed = {
    clientCode: 'acme',
    activities: [
      {
        id: 1,
        name: 'Gated',
        type: 'xt',
        mboxes: ['m'],
        propertyToken: 'p-1',
        experiences: [{ id: 0, name: 'Gated all', offer: { id: 10, name: 'G', type: 'html', content: 'g' } }],
      },
      {
        id: 2,
        name: 'Tiers',
        type: 'xt',
        mboxes: ['m'],
        experiences: [
          {
            id: 1,
            name: 'Gold',
            audience: { id: 55, name: 'Gold', rules: [{ attribute: 'tier', operator: 'equals', value: 'gold' }] },
            offer: { id: 11, name: 'Gold offer', type: 'html', content: 'gold' },
          },
          { id: 2, name: 'Everyone', offer: { id: 12, name: 'Default', type: 'html', content: 'default' } },
        ],
      },
      {
        id: 3,
        name: 'Draft',
        type: 'ab',
        mboxes: ['m'],
        inactive: true,
        experiences: [{ id: 0, name: 'Draft A', offer: { id: 13, name: 'D', type: 'json', content: {} } }],
      },
    ],
  };

  it('the first activity with a qualifying experience serves; a property token gates its activity', () => {
    assert.strictEqual(decide(seed, 'm', profile({ tier: 'gold' }), {}).decision?.experience.name, 'Gold');
    assert.strictEqual(decide(seed, 'm', profile({ tier: 'silver' }), {}).decision?.experience.name, 'Everyone');
    assert.strictEqual(decide(seed, 'm', profile({}), { propertyToken: 'p-1' }).decision?.activity.name, 'Gated');
    assert.strictEqual(decide(seed, 'other', profile({}), {}).decision, undefined);
  });

  it('QA preview indexes force an experience; listed-only leaves the others out; QA serves inactive ones', () => {
    const forced = decide(seed, 'm', profile({ tier: 'silver' }), {
      qaMode: { token: 't', previewIndexes: [{ activityIndex: 2, experienceIndex: 1 }] },
    });
    assert.strictEqual(forced.decision?.experience.name, 'Gold');
    const draft = decide(seed, 'm', profile({}), {
      qaMode: { token: 't', listedActivitiesOnly: true, previewIndexes: [{ activityIndex: 3, experienceIndex: 1 }] },
    });
    assert.strictEqual(draft.decision?.activity.name, 'Draft');
    assert.match(draft.trace.find((t) => t.activityId === 2)!.skipped!, /QA mode lists other activities/);
  });

  it('QA audience overrides decide an audience as true or false', () => {
    const asTrue = decide(seed, 'm', profile({ tier: 'silver' }), {
      qaMode: { token: 't', evaluateAsTrueAudienceIds: [55] },
    });
    assert.strictEqual(asTrue.decision?.experience.name, 'Gold');
    const asFalse = decide(seed, 'm', profile({ tier: 'gold' }), {
      qaMode: { token: 't', evaluateAsFalseAudienceIds: [55] },
    });
    assert.strictEqual(asFalse.decision?.experience.name, 'Everyone');
  });

  it('the trace lists every activity on the mbox with its audience evaluation', () => {
    const { trace } = decide(seed, 'm', profile({ tier: 'silver' }), {});
    assert.deepStrictEqual(
      trace.map((t) => [t.activityName, t.skipped ?? null, t.chosenExperienceId]),
      [
        ['Gated', 'the request does not carry the property token of this activity', null],
        ['Tiers', null, 2],
        ['Draft', 'an earlier activity already serves this mbox', null],
      ],
    );
    const gold = trace[1].experiences[0];
    assert.deepStrictEqual(gold.rules, [
      { attribute: 'tier', operator: 'equals', value: 'gold', actual: 'silver', matched: false },
    ]);
    assert.strictEqual(gold.matched, false);
    assert.strictEqual(trace[1].experiences[1].decidedBy, 'everyone');
  });
});
