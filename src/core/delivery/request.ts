/**
 * What a personalization preview sends to Target's Delivery API (docs/target-api.md#delivery-api): the
 * checks made before anything is sent, the JSON body, and the Activity QA link read as `qaMode`.
 * Pure functions: no I/O, so the request can be tested and shown (e.g. as cURL) without sending it.
 */
import * as l10n from '@vscode/l10n';
import { TargetError } from '../target/errors';

/** Target's cap on mboxes per Delivery request (docs/target-api.md#delivery-api). */
export const MAX_MBOXES = 50;
/** The longest tntId and thirdPartyId the Delivery API takes. */
export const MAX_TNT_ID = 128;
export const MAX_THIRD_PARTY_ID = 256;

/** Who the preview is for: the profile API's pcId is Delivery's `tntId`; the ECID is `marketingCloudVisitorId`. */
export type PreviewVisitor = { pcId: string } | { thirdPartyId: string } | { marketingCloudVisitorId: string };

/** `qaMode` of the Delivery API, as an Activity QA link describes it. */
export interface QaMode {
  token: string;
  listedActivitiesOnly?: boolean;
  evaluateAsTrueAudienceIds?: number[];
  evaluateAsFalseAudienceIds?: number[];
  previewIndexes?: { activityIndex: number; experienceIndex: number }[];
}

export interface PreviewRequest {
  visitor: PreviewVisitor;
  /** mbox names; each becomes one entry with its own index (1, 2, ...). */
  mboxes: readonly string[];
  /** Decide with impressions counted instead of prefetching (nothing counted). */
  execute?: boolean;
  /** The page the visitor is on: `context.address.url`, and its host as `context.browser.host`. */
  pageUrl?: string;
  /** The at_property token of a Target Premium workspace. */
  propertyToken?: string;
  /** The mboxTrace authorization token (scope `debug_tools`): the answer then carries a trace. */
  traceToken?: string;
  qaMode?: QaMode;
  /** Echoed back by Target; a fresh UUID when not given. */
  requestId?: string;
}

/** The JSON body sent, as Target's OpenAPI describes it (only the parts a preview uses). */
export interface DeliveryBody {
  requestId: string;
  context: { channel: 'web'; address?: { url: string }; browser?: { host: string } };
  id: { tntId?: string; thirdPartyId?: string; marketingCloudVisitorId?: string };
  property?: { token: string };
  trace?: { authorizationToken: string };
  qaMode?: QaMode;
  prefetch?: { mboxes: { index: number; name: string }[] };
  execute?: { mboxes: { index: number; name: string }[] };
}

function usage(message: string): TargetError {
  return new TargetError('usage', message);
}

/** Throws a usage error unless the names are 1 to 50 non-blank mbox names. */
export function checkMboxes(mboxes: readonly string[]): void {
  if (mboxes.length === 0) throw usage(l10n.t('Name at least one mbox to preview.'));
  if (mboxes.length > MAX_MBOXES) {
    throw usage(
      l10n.t(
        'Target previews at most {0} mboxes per request; {1} were given.',
        String(MAX_MBOXES),
        String(mboxes.length),
      ),
    );
  }
  for (const [i, name] of mboxes.entries()) {
    if (name.trim() === '') throw usage(l10n.t('The name of mbox {0} is empty.', String(i + 1)));
  }
}

/** The body's `id`, checked: never empty, within Target's lengths. */
function visitorId(visitor: PreviewVisitor): DeliveryBody['id'] {
  const [key, value, max] =
    'pcId' in visitor
      ? (['tntId', visitor.pcId, MAX_TNT_ID] as const)
      : 'thirdPartyId' in visitor
        ? (['thirdPartyId', visitor.thirdPartyId, MAX_THIRD_PARTY_ID] as const)
        : (['marketingCloudVisitorId', visitor.marketingCloudVisitorId, MAX_THIRD_PARTY_ID] as const);
  if (value.trim() === '') throw usage(l10n.t('The {0} is empty.', key));
  if (value.length > max) {
    throw usage(l10n.t('The {0} is longer than the {1} characters Target accepts.', key, String(max)));
  }
  return { [key]: value };
}

/** `context`: the web channel, and the page's URL and host when one is given. */
function contextFor(pageUrl: string | undefined): DeliveryBody['context'] {
  if (pageUrl === undefined) return { channel: 'web' };
  let url: URL;
  try {
    url = new URL(pageUrl);
  } catch {
    throw usage(l10n.t("The page URL '{0}' is not a valid URL.", pageUrl));
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw usage(l10n.t("The page URL '{0}' must start with https:// or http://.", pageUrl));
  }
  return { channel: 'web', address: { url: url.href }, browser: { host: url.hostname } };
}

/**
 * The Delivery body for `request`. `tntId` is the one Target returned earlier for this visitor, sent
 * along so that the same visitor profile answers (docs/target-api.md#delivery-api). `profileParameters`
 * are never part of it: they would write to the live profile.
 */
export function buildDeliveryBody(request: PreviewRequest, requestId: string, tntId?: string): DeliveryBody {
  checkMboxes(request.mboxes);
  const id = visitorId(request.visitor);
  if (tntId !== undefined && id.tntId === undefined) id.tntId = tntId;
  const mboxes = request.mboxes.map((name, i) => ({ index: i + 1, name }));
  if (request.propertyToken !== undefined && request.propertyToken.trim() === '') {
    throw usage(l10n.t('The property token is empty.'));
  }
  if (request.traceToken !== undefined && request.traceToken.trim() === '') {
    throw usage(l10n.t('The trace token is empty.'));
  }
  if (request.qaMode !== undefined && request.qaMode.token.trim() === '') {
    throw usage(l10n.t('The Activity QA link has no at_preview_token.'));
  }
  return {
    requestId,
    context: contextFor(request.pageUrl),
    id,
    ...(request.propertyToken !== undefined ? { property: { token: request.propertyToken } } : {}),
    ...(request.traceToken !== undefined ? { trace: { authorizationToken: request.traceToken } } : {}),
    ...(request.qaMode !== undefined ? { qaMode: request.qaMode } : {}),
    ...(request.execute ? { execute: { mboxes } } : { prefetch: { mboxes } }),
  };
}

/** Audience ids of a QA link: numbers separated by `_` (at.js's format). */
function audienceIds(value: string | null, parameter: string): number[] | undefined {
  if (value === null || value === '') return undefined;
  return value.split('_').map((part) => {
    if (!/^\d+$/.test(part)) {
      throw usage(l10n.t("The Activity QA link's {0} holds '{1}', which is not an audience id.", parameter, part));
    }
    return Number(part);
  });
}

/**
 * Reads an Activity QA link (Target's Activity QA page, "Copy link") into `qaMode`, the way at.js maps it:
 * `at_preview_token` -> token, `at_preview_index=A_E[,A_E...]` -> previewIndexes,
 * `at_preview_listed_activities_only=true`, and the audience ids to evaluate as true or false.
 */
export function parseQaLink(link: string): QaMode {
  let url: URL;
  try {
    url = new URL(link.trim());
  } catch {
    throw usage(l10n.t("The Activity QA link '{0}' is not a valid URL.", link));
  }
  const params = url.searchParams;
  const token = params.get('at_preview_token');
  if (token === null || token.trim() === '') {
    throw usage(
      l10n.t(
        'The Activity QA link has no at_preview_token: copy the whole link from the activity\'s "Activity QA" page.',
      ),
    );
  }
  const qa: QaMode = { token };
  const index = params.get('at_preview_index');
  if (index !== null && index !== '') {
    qa.previewIndexes = index.split(',').map((pair) => {
      const match = /^(\d+)_(\d+)$/.exec(pair.trim());
      if (!match) {
        throw usage(
          l10n.t(
            "The Activity QA link's at_preview_index holds '{0}'; expected ACTIVITY_EXPERIENCE such as 1_2.",
            pair,
          ),
        );
      }
      return { activityIndex: Number(match[1]), experienceIndex: Number(match[2]) };
    });
  }
  const listed = params.get('at_preview_listed_activities_only');
  if (listed !== null) qa.listedActivitiesOnly = listed === 'true';
  const asTrue = audienceIds(
    params.get('at_preview_evaluate_as_true_audience_ids'),
    'at_preview_evaluate_as_true_audience_ids',
  );
  if (asTrue) qa.evaluateAsTrueAudienceIds = asTrue;
  const asFalse = audienceIds(
    params.get('at_preview_evaluate_as_false_audience_ids'),
    'at_preview_evaluate_as_false_audience_ids',
  );
  if (asFalse) qa.evaluateAsFalseAudienceIds = asFalse;
  return qa;
}

/** A named property (at_property token) of a connection. */
export interface NamedProperty {
  name: string;
  token: string;
}

/**
 * The property token to send: the one named `name` among the connection's properties, none when no name
 * is given. An unknown name is a usage error listing the known ones, so nothing is sent to the wrong
 * workspace.
 */
export function choosePropertyToken(properties: readonly NamedProperty[], name?: string): string | undefined {
  if (name === undefined) return undefined;
  const found = properties.find((p) => p.name === name);
  if (found) return found.token;
  const known = properties.map((p) => p.name).join(', ');
  throw usage(
    known
      ? l10n.t("No property is named '{0}'; this connection has: {1}.", name, known)
      : l10n.t("No property is named '{0}'; this connection has none.", name),
  );
}
