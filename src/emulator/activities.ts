/**
 * The emulator's activity model, enough to answer Delivery API calls (docs/target-api.md#delivery-api) the
 * way a small Target account would: activities on mboxes, experiences chosen by audience rules on profile
 * attributes, offers with their names, response tokens, property tokens, QA mode, a trace, and
 * impressions counted on execute only. Activities of one client code are tried in their order; the first
 * one with an experience for the visitor serves the mbox (inferred: Target orders by priority).
 */

/** What decisions read of a visitor's profile (profiles.ts's Profile has it). */
export interface Profile {
  attributes: ReadonlyMap<string, { value: string }>;
}

/** One condition on a profile attribute: `equals`/`in` compare text, `gt`..`lte` compare numbers. */
export interface AudienceRule {
  attribute: string;
  operator: 'equals' | 'in' | 'exists' | 'gt' | 'gte' | 'lt' | 'lte';
  value?: string | number | (string | number)[];
}

/** Every rule must hold. */
export interface Audience {
  id: number;
  name: string;
  rules: AudienceRule[];
}

export interface Offer {
  id: number;
  name: string;
  type: 'html' | 'json' | 'redirect';
  /** HTML as text, JSON as an object, a redirect as its URL. */
  content: unknown;
}

export interface Experience {
  id: number;
  name: string;
  /** Who qualifies; no audience means everyone. */
  audience?: Audience;
  offer: Offer;
}

export interface Activity {
  id: number;
  name: string;
  /** Target's activity types: A/B, Experience Targeting, Automated Personalization, ... */
  type: 'ab' | 'xt' | 'ap' | 'at' | 'aa' | 'mvt';
  mboxes: string[];
  /** Tried in order: the first whose audience matches is served. */
  experiences: Experience[];
  /** Served only to requests with this property token (a Target Premium workspace). */
  propertyToken?: string;
  /** Inactive activities are served only in QA mode. */
  inactive?: boolean;
}

/** One client code's activities, as the control API and the seed file give them. */
export interface ActivitySeed {
  clientCode: string;
  activities: Activity[];
  /** Profile attributes returned as `profile.NAME` response tokens (Administration > Response Tokens). */
  profileTokens?: string[];
  /** The built-in response tokens switched on; default all of activity.*, experience.*, offer.*, option.*. */
  responseTokens?: string[];
}

export const BUILT_IN_TOKENS = [
  'activity.id',
  'activity.name',
  'experience.id',
  'experience.name',
  'offer.id',
  'offer.name',
  'option.id',
  'option.name',
];

/** The outcome of one rule, for the trace. */
export interface RuleTrace {
  attribute: string;
  operator: AudienceRule['operator'];
  value?: AudienceRule['value'];
  actual: string | null;
  matched: boolean;
}

export interface ActivityTrace {
  activityId: number;
  activityName: string;
  type: Activity['type'];
  /** Why the activity was not considered at all, if so. */
  skipped?: string;
  experiences: {
    experienceId: number;
    experienceName: string;
    audience: { id: number; name: string } | null;
    /** How the audience was decided: its rules, or a QA override. */
    decidedBy: 'rules' | 'everyone' | 'qa-preview-index' | 'qa-evaluate-as-true' | 'qa-evaluate-as-false';
    rules: RuleTrace[];
    matched: boolean;
  }[];
  chosenExperienceId: number | null;
}

/** The Delivery request's `qaMode`, as far as the emulator reads it. */
export interface QaModeInput {
  token: string;
  listedActivitiesOnly?: boolean;
  evaluateAsTrueAudienceIds?: number[];
  evaluateAsFalseAudienceIds?: number[];
  previewIndexes?: { activityIndex: number; experienceIndex: number }[];
}

export interface Decision {
  activity: Activity;
  experience: Experience;
}

function ruleHolds(rule: AudienceRule, actual: string | undefined): boolean {
  if (rule.operator === 'exists') return actual !== undefined && actual !== '';
  if (actual === undefined) return false;
  switch (rule.operator) {
    case 'equals':
      return actual === String(rule.value);
    case 'in':
      return (Array.isArray(rule.value) ? rule.value : [rule.value]).some((v) => String(v) === actual);
    default: {
      const a = Number(actual);
      const b = Number(rule.value);
      if (actual.trim() === '' || Number.isNaN(a) || Number.isNaN(b)) return false;
      if (rule.operator === 'gt') return a > b;
      if (rule.operator === 'gte') return a >= b;
      if (rule.operator === 'lt') return a < b;
      return a <= b;
    }
  }
}

/** Evaluates one rule against the profile (undefined profile: a visitor Target has never seen). */
export function evaluateRule(rule: AudienceRule, profile: Profile | undefined): RuleTrace {
  const actual = profile?.attributes.get(rule.attribute)?.value;
  return {
    attribute: rule.attribute,
    operator: rule.operator,
    ...(rule.value !== undefined ? { value: rule.value } : {}),
    actual: actual ?? null,
    matched: ruleHolds(rule, actual),
  };
}

/**
 * Decides what `mbox` serves: the first eligible activity on it whose experience qualifies. QA preview
 * indexes (1-based: the activity's position in the client's list, the experience's in the activity) force
 * an experience; `listedActivitiesOnly` leaves out activities the indexes do not name.
 */
export function decide(
  seed: ActivitySeed | undefined,
  mbox: string,
  profile: Profile | undefined,
  options: { propertyToken?: string; qaMode?: QaModeInput },
): { decision?: Decision; trace: ActivityTrace[] } {
  const trace: ActivityTrace[] = [];
  let decision: Decision | undefined;
  const qa = options.qaMode;
  for (const [i, activity] of (seed?.activities ?? []).entries()) {
    if (!activity.mboxes.includes(mbox)) continue;
    const entry: ActivityTrace = {
      activityId: activity.id,
      activityName: activity.name,
      type: activity.type,
      experiences: [],
      chosenExperienceId: null,
    };
    trace.push(entry);
    const forced = qa?.previewIndexes?.find((p) => p.activityIndex === i + 1);
    if (decision) {
      entry.skipped = 'an earlier activity already serves this mbox';
      continue;
    }
    if (activity.propertyToken !== undefined && activity.propertyToken !== options.propertyToken) {
      entry.skipped = 'the request does not carry the property token of this activity';
      continue;
    }
    if (qa?.listedActivitiesOnly && !forced) {
      entry.skipped = 'QA mode lists other activities only';
      continue;
    }
    if (activity.inactive && !qa) {
      entry.skipped = 'the activity is inactive (served in QA mode only)';
      continue;
    }
    for (const [j, experience] of activity.experiences.entries()) {
      const audience = experience.audience;
      let decidedBy: ActivityTrace['experiences'][number]['decidedBy'];
      let rules: RuleTrace[] = [];
      let matched: boolean;
      if (forced) {
        decidedBy = 'qa-preview-index';
        matched = forced.experienceIndex === j + 1;
      } else if (audience && qa?.evaluateAsTrueAudienceIds?.includes(audience.id)) {
        decidedBy = 'qa-evaluate-as-true';
        matched = true;
      } else if (audience && qa?.evaluateAsFalseAudienceIds?.includes(audience.id)) {
        decidedBy = 'qa-evaluate-as-false';
        matched = false;
      } else if (!audience) {
        decidedBy = 'everyone';
        matched = true;
      } else {
        decidedBy = 'rules';
        rules = audience.rules.map((rule) => evaluateRule(rule, profile));
        matched = rules.every((r) => r.matched);
      }
      entry.experiences.push({
        experienceId: experience.id,
        experienceName: experience.name,
        audience: audience ? { id: audience.id, name: audience.name } : null,
        decidedBy,
        rules,
        matched,
      });
      if (matched) {
        entry.chosenExperienceId = experience.id;
        decision = { activity, experience };
        break;
      }
    }
  }
  return { ...(decision ? { decision } : {}), trace };
}

/** The option's response tokens: the switched-on built-ins and the enabled profile attributes. */
export function responseTokens(
  seed: ActivitySeed,
  decision: Decision,
  profile: Profile | undefined,
): Record<string, string | number> {
  const { activity, experience } = decision;
  const all: Record<string, string | number> = {
    'activity.id': activity.id,
    'activity.name': activity.name,
    'experience.id': experience.id,
    'experience.name': experience.name,
    'offer.id': experience.offer.id,
    'offer.name': experience.offer.name,
    'option.id': experience.offer.id,
    'option.name': experience.offer.name,
  };
  const enabled = new Set(seed.responseTokens ?? BUILT_IN_TOKENS);
  const tokens: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(all)) if (enabled.has(key)) tokens[key] = value;
  for (const name of seed.profileTokens ?? []) {
    const value = profile?.attributes.get(name)?.value;
    if (value !== undefined) tokens[`profile.${name}`] = value;
  }
  return tokens;
}

/** Property tokens this client's activities know: any other one is refused as invalid. */
export function knownPropertyTokens(seed: ActivitySeed | undefined): Set<string> {
  return new Set((seed?.activities ?? []).flatMap((a) => (a.propertyToken ? [a.propertyToken] : [])));
}

/** Impressions counted on execute, per client code, activity and experience. */
export class ActivityStore {
  private readonly seeds = new Map<string, ActivitySeed>();
  private readonly counts = new Map<string, number>();

  set(seed: ActivitySeed): void {
    this.seeds.set(seed.clientCode, seed);
  }

  get(clientCode: string): ActivitySeed | undefined {
    return this.seeds.get(clientCode);
  }

  all(): ActivitySeed[] {
    return [...this.seeds.values()];
  }

  countImpression(clientCode: string, decision: Decision): void {
    const key = JSON.stringify([clientCode, decision.activity.id, decision.experience.id]);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  impressions(): { clientCode: string; activityId: number; experienceId: number; count: number }[] {
    return [...this.counts].map(([key, count]) => {
      const [clientCode, activityId, experienceId] = JSON.parse(key) as [string, number, number];
      return { clientCode, activityId, experienceId, count };
    });
  }

  clearImpressions(): void {
    this.counts.clear();
  }

  clear(): void {
    this.seeds.clear();
    this.counts.clear();
  }
}
