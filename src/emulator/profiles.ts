import type { ExportedProfile, SeedProfile } from './types';

export interface Profile {
  pcId: string;
  thirdPartyId?: string;
  marketingCloudVisitorId?: string;
  modifiedAt: string;
  attributes: Map<string, { value: string; modifiedAt: string }>;
}

/** One client code's profiles, indexed by each kind of id a request can name. */
export interface Account {
  byPcId: Map<string, Profile>;
  byThirdPartyId: Map<string, Profile>;
  byEcid: Map<string, Profile>;
}

export type ProfileIds = { pcId?: string; thirdPartyId?: string; marketingCloudVisitorId?: string };

/** Target's timestamps carry milliseconds and an offset (docs/target-api.md#fetched-profile). */
export function timestamp(): string {
  return new Date().toISOString().replace('Z', '+00:00');
}

/** The profiles of every client code, in memory. */
export class ProfileStore {
  private readonly accounts = new Map<string, Account>();
  private pcCounter = 0;

  /** The client code's profiles; an unknown client code gets an empty account. */
  account(clientCode: string): Account {
    let found = this.accounts.get(clientCode);
    if (!found) {
      found = { byPcId: new Map(), byThirdPartyId: new Map(), byEcid: new Map() };
      this.accounts.set(clientCode, found);
    }
    return found;
  }

  /** A new profile with the given ids; without a pcId it gets one shaped like Target's. */
  create(clientCode: string, ids: ProfileIds): Profile {
    const acct = this.account(clientCode);
    const profile: Profile = { pcId: ids.pcId ?? this.newPcId(), modifiedAt: timestamp(), attributes: new Map() };
    if (ids.thirdPartyId !== undefined) profile.thirdPartyId = ids.thirdPartyId;
    if (ids.marketingCloudVisitorId !== undefined) profile.marketingCloudVisitorId = ids.marketingCloudVisitorId;
    acct.byPcId.set(profile.pcId, profile);
    if (profile.thirdPartyId !== undefined) acct.byThirdPartyId.set(profile.thirdPartyId, profile);
    if (profile.marketingCloudVisitorId !== undefined) acct.byEcid.set(profile.marketingCloudVisitorId, profile);
    return profile;
  }

  /** Sets the non-empty values: an empty value never clears an attribute (docs/target-api.md#empty-values). */
  applyAttributes(profile: Profile, attributes: [string, string][]): void {
    const now = timestamp();
    for (const [name, value] of attributes) {
      if (value === '' || name === '') continue;
      profile.attributes.set(name, { value, modifiedAt: now });
      profile.modifiedAt = now;
    }
  }

  /** Adds the profile, or adds its attributes to the one with the same pcId or thirdPartyId. */
  seed(seed: SeedProfile): void {
    const acct = this.account(seed.clientCode);
    const profile =
      (seed.pcId !== undefined && acct.byPcId.get(seed.pcId)) ||
      (seed.thirdPartyId !== undefined && acct.byThirdPartyId.get(seed.thirdPartyId)) ||
      this.create(seed.clientCode, seed);
    for (const [name, raw] of Object.entries(seed.attributes ?? {})) {
      const entry =
        typeof raw === 'string'
          ? { value: raw, modifiedAt: timestamp() }
          : { value: raw.value, modifiedAt: raw.modifiedAt ?? timestamp() };
      profile.attributes.set(name, entry);
    }
  }

  export(): ExportedProfile[] {
    const out: ExportedProfile[] = [];
    for (const [clientCode, acct] of this.accounts) {
      for (const p of acct.byPcId.values()) {
        out.push({
          clientCode,
          pcId: p.pcId,
          ...(p.thirdPartyId !== undefined ? { thirdPartyId: p.thirdPartyId } : {}),
          ...(p.marketingCloudVisitorId !== undefined ? { marketingCloudVisitorId: p.marketingCloudVisitorId } : {}),
          modifiedAt: p.modifiedAt,
          attributes: Object.fromEntries(p.attributes),
        });
      }
    }
    return out;
  }

  clear(): void {
    this.accounts.clear();
  }

  private newPcId(): string {
    return `${Date.now()}-${String(++this.pcCounter).padStart(6, '0')}.01_00`;
  }
}
