import type * as http from 'http';
import { readBody, xmlResponse } from '../http';
import type { EmulatorState } from '../state';
import type { RequestRecord } from '../types';

const GET_LIMIT = 8 * 1024;
const POST_LIMIT = 60 * 1024;

/**
 * The single profile update, `GET|POST /m2/{client}/profile/update`: `mboxPC` or `mbox3rdPartyId` names
 * the visitor, each `profile.<name>` parameter (query, or form body for a POST) sets an attribute.
 */
export async function handleProfileUpdate(
  state: EmulatorState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  clientCode: string,
  record: RequestRecord,
): Promise<void> {
  const params = new URLSearchParams(url.search);
  if (req.method === 'GET' && (req.url ?? '').length > GET_LIMIT) {
    return xmlResponse(
      res,
      414,
      '<response><success>false</success><message>Request-URI Too Long: GET is limited to 8 KB</message></response>',
    );
  }
  if (req.method === 'POST') {
    const body = await readBody(req, POST_LIMIT);
    record.bytes = body.bytes;
    if (body.bytes > POST_LIMIT) {
      return xmlResponse(
        res,
        413,
        '<response><success>false</success><message>Payload Too Large: POST is limited to 60 KB</message></response>',
      );
    }
    for (const [k, v] of new URLSearchParams(body.text)) params.append(k, v);
  }
  const acct = state.profiles.account(clientCode);
  const pcId = params.get('mboxPC');
  const thirdPartyId = params.get('mbox3rdPartyId');
  if (!pcId && !thirdPartyId) {
    return xmlResponse(
      res,
      400,
      '<response><success>false</success><pcId></pcId><message>mboxPC or mbox3rdPartyId is required</message></response>',
    );
  }
  // Update-only: an unknown visitor is not created, and the answer is the same (processing is async).
  const profile = pcId ? acct.byPcId.get(pcId) : acct.byThirdPartyId.get(thirdPartyId!);
  if (profile) {
    const attributes: [string, string][] = [];
    for (const [k, v] of params) if (k.startsWith('profile.')) attributes.push([k.slice('profile.'.length), v]);
    state.profiles.applyAttributes(profile, attributes);
  }
  xmlResponse(
    res,
    200,
    '<response>\n    <success>true</success>\n    <pcId></pcId>\n    <message>Request successfully submitted</message>\n</response>',
  );
}
