import type { ActivitySeed, Audience } from './activities';
import type { SeedProfile } from './types';

/**
 * The sample profiles of the local emulator used by "Try with the local emulator" and `npm start`:
 * enough to try an update, a look-up, a verification and a v1 batch without an Adobe account.
 */
export const SAMPLE_CLIENT_CODE = 'demo';

export const sampleProfiles: SeedProfile[] = [
  {
    clientCode: SAMPLE_CLIENT_CODE,
    thirdPartyId: 'crm-1001',
    pcId: '1368007744041-575948.01_00',
    attributes: { loyaltyTier: 'silver', age: '34', city: 'Madrid' },
  },
  {
    clientCode: SAMPLE_CLIENT_CODE,
    thirdPartyId: 'crm-1002',
    pcId: '1436187396849-250353.03_03',
    attributes: { loyaltyTier: 'gold', age: '41' },
  },
  { clientCode: SAMPLE_CLIENT_CODE, pcId: '111492025094307-353046', attributes: { lastPurchase: '2026-11-27' } },
];

/**
 * The sample activities of client `demo`: a story a new user sees in a minute. `crm-1001` is silver and
 * gets the "Everyone" experience on `home-hero`; after an update to `loyaltyTier=gold` the same preview
 * shows "Gold members". `offers` has a JSON offer for visitors aged 40 and over; `app-banner` is served
 * only with the property token of the mobile workspace.
 */
const goldMembers: Audience = {
  id: 7001,
  name: 'Gold members',
  rules: [{ attribute: 'loyaltyTier', operator: 'equals', value: 'gold' }],
};

export const sampleActivities: ActivitySeed[] = [
  {
    clientCode: SAMPLE_CLIENT_CODE,
    profileTokens: ['loyaltyTier'],
    activities: [
      {
        id: 12001,
        name: 'Home hero by loyalty tier',
        type: 'xt',
        mboxes: ['home-hero'],
        experiences: [
          {
            id: 1,
            name: 'Gold members',
            audience: goldMembers,
            offer: {
              id: 52001,
              name: 'Gold hero',
              type: 'html',
              content:
                '<section class="hero gold"><h1>Welcome back, Gold member</h1><p>Free express shipping on every order.</p></section>',
            },
          },
          {
            id: 0,
            name: 'Everyone',
            offer: {
              id: 52000,
              name: 'Default hero',
              type: 'html',
              content: '<section class="hero"><h1>Welcome</h1><p>Join our loyalty program.</p></section>',
            },
          },
        ],
      },
      {
        id: 12002,
        name: 'Offers for 40 and over',
        type: 'ab',
        mboxes: ['offers'],
        experiences: [
          {
            id: 0,
            name: 'Experience A',
            audience: { id: 7002, name: 'Aged 40 and over', rules: [{ attribute: 'age', operator: 'gte', value: 40 }] },
            offer: { id: 52010, name: 'Senior offers', type: 'json', content: { discount: 15, banner: 'senior' } },
          },
        ],
      },
      {
        id: 12003,
        name: 'App banner (mobile workspace)',
        type: 'xt',
        mboxes: ['app-banner'],
        propertyToken: 'demo-mobile-property',
        experiences: [
          {
            id: 0,
            name: 'Everyone',
            offer: { id: 52020, name: 'Get the app', type: 'redirect', content: 'https://example.com/app' },
          },
        ],
      },
    ],
  },
];
