import type * as http from 'http';
import { jsonResponse } from '../http';
import type { EmulatorState } from '../state';

/**
 * Which id the fetch path names: `/rest/v1/profiles/{pcId}`, `.../thirdPartyId/{id}` or
 * `.../marketingCloudVisitorId/{id}`.
 */
export type FetchIdKind = 'pcId' | 'thirdPartyId' | 'ecid';

/**
 * The profile fetch, `GET /rest/v1/profiles/[{kind}/]{id}?client={client}` (any method is taken): the
 * profile as JSON, or 404 when no profile has the id.
 */
export function handleProfileFetch(
  state: EmulatorState,
  res: http.ServerResponse,
  url: URL,
  kind: FetchIdKind,
  rawId: string,
): void {
  const clientCode = url.searchParams.get('client');
  if (!clientCode) return jsonResponse(res, 400, { status: 400, message: 'The client parameter is required' });
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    return jsonResponse(res, 400, { status: 400, message: 'Malformed id' });
  }
  const acct = state.profiles.account(clientCode);
  const profile = (kind === 'pcId' ? acct.byPcId : kind === 'thirdPartyId' ? acct.byThirdPartyId : acct.byEcid).get(id);
  if (!profile) {
    const how =
      kind === 'pcId'
        ? `mboxPC=${id}`
        : kind === 'thirdPartyId'
          ? `third party id=${id}`
          : `marketingCloudVisitorId=${id}`;
    return jsonResponse(res, 404, { status: 404, message: `No profile found for client ${clientCode} with ${how}` });
  }
  jsonResponse(res, 200, {
    client: clientCode,
    visitorId: id,
    modifiedAt: profile.modifiedAt,
    profileAttributes: Object.fromEntries(profile.attributes),
  });
}
