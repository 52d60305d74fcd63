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
