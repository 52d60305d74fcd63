/**
 * Comparing what an update sent with what a fetched profile holds. Updates are processed
 * asynchronously (usually within minutes, up to 24 h per Adobe), so the editor polls with backoff
 * and calls this after every fetch.
 */
export type AttributeCheck =
  | { name: string; state: 'match'; expected: string }
  | { name: string; state: 'differs'; expected: string; actual: string }
  | { name: string; state: 'missing'; expected: string };

export interface VerifyReport {
  checks: AttributeCheck[];
  allMatch: boolean;
}

/** Reads `profileAttributes[name].value` of a fetched profile (docs/target-api.md#fetched-profile). */
function attributeValue(profile: Record<string, unknown>, name: string): string | undefined {
  const attributes = profile.profileAttributes;
  if (!attributes || typeof attributes !== 'object') return undefined;
  const entry = (attributes as Record<string, unknown>)[name];
  if (entry && typeof entry === 'object' && 'value' in entry) return String((entry as { value: unknown }).value);
  return undefined;
}

export function compareAttributes(
  sent: ReadonlyArray<readonly [string, string]>,
  profile: Record<string, unknown>,
): VerifyReport {
  // The last value sent for a name is the one Target keeps; empty values are ignored by Target.
  const expected = new Map<string, string>();
  for (const [name, value] of sent) if (value !== '') expected.set(name, value);
  const checks: AttributeCheck[] = [];
  for (const [name, value] of expected) {
    const actual = attributeValue(profile, name);
    if (actual === undefined) checks.push({ name, state: 'missing', expected: value });
    else if (actual === value) checks.push({ name, state: 'match', expected: value });
    else checks.push({ name, state: 'differs', expected: value, actual });
  }
  return { checks, allMatch: checks.every((c) => c.state === 'match') };
}

/** Waits between verification fetches: doubling from `minMs` up to `maxMs`. */
export function verifyDelays(minMs: number, maxMs: number, budgetMs: number): number[] {
  const delays: number[] = [];
  let total = 0;
  for (let d = Math.max(1, minMs); total + d <= budgetMs; d = Math.min(d * 2, maxMs)) {
    delays.push(d);
    total += d;
  }
  return delays;
}
