import * as assert from 'assert';
import {
  MAX_MBOXES,
  buildDeliveryBody,
  checkMboxes,
  choosePropertyToken,
  parseQaLink,
} from '../../../../src/core/delivery/request';
import { TargetError } from '../../../../src/core/target/errors';

function usageError(pattern: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof TargetError && error.kind === 'usage' && pattern.test(error.message);
}

describe('delivery: the request body', () => {
  it('prefetches by default: web channel, the id, one {index, name} per mbox, nothing else', () => {
    const body = buildDeliveryBody({ visitor: { thirdPartyId: 'crm-1001' }, mboxes: ['home-hero', 'offers'] }, 'r-1');
    assert.deepStrictEqual(body, {
      requestId: 'r-1',
      context: { channel: 'web' },
      id: { thirdPartyId: 'crm-1001' },
      prefetch: {
        mboxes: [
          { index: 1, name: 'home-hero' },
          { index: 2, name: 'offers' },
        ],
      },
    });
  });

  it('executes only when asked, and then has no prefetch section', () => {
    const body = buildDeliveryBody({ visitor: { pcId: 'p1' }, mboxes: ['a'], execute: true }, 'r');
    assert.deepStrictEqual(body.execute, { mboxes: [{ index: 1, name: 'a' }] });
    assert.strictEqual(body.prefetch, undefined);
  });

  it('maps pcId to id.tntId and the ECID to id.marketingCloudVisitorId', () => {
    assert.deepStrictEqual(buildDeliveryBody({ visitor: { pcId: 'p.1_1' }, mboxes: ['a'] }, 'r').id, {
      tntId: 'p.1_1',
    });
    assert.deepStrictEqual(buildDeliveryBody({ visitor: { marketingCloudVisitorId: 'e1' }, mboxes: ['a'] }, 'r').id, {
      marketingCloudVisitorId: 'e1',
    });
  });

  it('adds the tntId Target returned to a thirdPartyId, never replaces a given pcId', () => {
    assert.deepStrictEqual(buildDeliveryBody({ visitor: { thirdPartyId: 't' }, mboxes: ['a'] }, 'r', 'tnt.1_1').id, {
      thirdPartyId: 't',
      tntId: 'tnt.1_1',
    });
    assert.deepStrictEqual(buildDeliveryBody({ visitor: { pcId: 'mine' }, mboxes: ['a'] }, 'r', 'other').id, {
      tntId: 'mine',
    });
  });

  it('sends the page URL and host, the property token, the trace token and qaMode; never profileParameters', () => {
    const body = buildDeliveryBody(
      {
        visitor: { thirdPartyId: 't' },
        mboxes: ['a'],
        pageUrl: 'https://shop.example.com/home?x=1',
        propertyToken: 'prop-token',
        traceToken: 'trace-token',
        qaMode: { token: 'qa', previewIndexes: [{ activityIndex: 1, experienceIndex: 2 }] },
      },
      'r',
    );
    assert.deepStrictEqual(body.context, {
      channel: 'web',
      address: { url: 'https://shop.example.com/home?x=1' },
      browser: { host: 'shop.example.com' },
    });
    assert.deepStrictEqual(body.property, { token: 'prop-token' });
    assert.deepStrictEqual(body.trace, { authorizationToken: 'trace-token' });
    assert.deepStrictEqual(body.qaMode, { token: 'qa', previewIndexes: [{ activityIndex: 1, experienceIndex: 2 }] });
    assert.ok(!JSON.stringify(body).includes('profileParameters'));
  });

  it('refuses bad input with a clear message: 51 mboxes, an empty name, an empty id, a bad page URL', () => {
    const many = Array.from({ length: MAX_MBOXES + 1 }, (_, i) => `m${i}`);
    assert.throws(() => checkMboxes(many), usageError(/at most 50 mboxes.*51/));
    assert.doesNotThrow(() => checkMboxes(many.slice(0, MAX_MBOXES)));
    assert.throws(() => checkMboxes([]), usageError(/at least one mbox/));
    assert.throws(() => checkMboxes(['a', ' ']), usageError(/mbox 2 is empty/));
    assert.throws(
      () => buildDeliveryBody({ visitor: { thirdPartyId: '' }, mboxes: ['a'] }, 'r'),
      usageError(/thirdPartyId is empty/),
    );
    assert.throws(
      () => buildDeliveryBody({ visitor: { pcId: 'x'.repeat(129) }, mboxes: ['a'] }, 'r'),
      usageError(/tntId is longer than the 128/),
    );
    assert.throws(
      () => buildDeliveryBody({ visitor: { pcId: 'p' }, mboxes: ['a'], pageUrl: 'ftp://x' }, 'r'),
      usageError(/must start with https/),
    );
  });
});

describe('delivery: Activity QA links', () => {
  it('reads token, indexes, listed-only and the audience overrides into qaMode', () => {
    const qa = parseQaLink(
      'https://shop.example.com/?at_preview_token=abc%2Bdef&at_preview_index=1_2,3_1&at_preview_listed_activities_only=true&at_preview_evaluate_as_true_audience_ids=11_12&at_preview_evaluate_as_false_audience_ids=13',
    );
    assert.deepStrictEqual(qa, {
      token: 'abc+def',
      previewIndexes: [
        { activityIndex: 1, experienceIndex: 2 },
        { activityIndex: 3, experienceIndex: 1 },
      ],
      listedActivitiesOnly: true,
      evaluateAsTrueAudienceIds: [11, 12],
      evaluateAsFalseAudienceIds: [13],
    });
  });

  it('a link with only a token gives only the token', () => {
    assert.deepStrictEqual(parseQaLink('https://x.example/?at_preview_token=t'), { token: 't' });
  });

  it('refuses a link without a token, a bad index, a bad audience id and text that is no URL', () => {
    assert.throws(() => parseQaLink('https://x.example/?at_preview_index=1_1'), usageError(/no at_preview_token/));
    assert.throws(() => parseQaLink('https://x.example/?at_preview_token='), usageError(/no at_preview_token/));
    assert.throws(
      () => parseQaLink('https://x.example/?at_preview_token=t&at_preview_index=1-1'),
      usageError(/at_preview_index holds '1-1'/),
    );
    assert.throws(
      () => parseQaLink('https://x.example/?at_preview_token=t&at_preview_evaluate_as_true_audience_ids=1_x'),
      usageError(/'x', which is not an audience id/),
    );
    assert.throws(() => parseQaLink('not a link'), usageError(/not a valid URL/));
  });
});

describe('delivery: choosing the property token', () => {
  const properties = [
    { name: 'Web', token: 'tok-web' },
    { name: 'Mobile', token: 'tok-mobile' },
  ];

  it('gives the named property, none without a name', () => {
    assert.strictEqual(choosePropertyToken(properties, 'Mobile'), 'tok-mobile');
    assert.strictEqual(choosePropertyToken(properties, undefined), undefined);
  });

  it('refuses an unknown name and lists the known ones', () => {
    assert.throws(() => choosePropertyToken(properties, 'Kiosk'), usageError(/'Kiosk'.*Web, Mobile/));
    assert.throws(() => choosePropertyToken([], 'Kiosk'), usageError(/has none/));
  });
});
