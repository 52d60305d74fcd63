import * as l10n from '@vscode/l10n';
import { count } from '../displayLanguage';

/**
 * Turning what a user types or pastes into attribute pairs for a single profile update:
 * `name=value` one at a time, a pasted query string `a=1&b=2` (percent-encoded or not), or a JSON
 * object. Names keep their case (Target is case-sensitive); a typed `profile.` prefix is dropped
 * because the client adds it.
 */
export type AttributePairs = [name: string, value: string][];

export type ParsedAttributes = { ok: true; pairs: AttributePairs } | { ok: false; message: string };

export function parseAttributes(input: string): ParsedAttributes {
  const text = input.trim();
  if (text === '') return { ok: false, message: l10n.t('Type name=value, paste a=1&b=2, or a JSON object.') };
  if (text.startsWith('{')) return parseJson(text);
  // A single pair may hold '&' in its value only when it is the whole input and not a query string:
  // `a=1&b=2` is two pairs; to send a literal '&' use JSON or type pairs one by one.
  const pairs: AttributePairs = [];
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, message: l10n.t("'{0}' is not name=value.", part) };
    const name = stripProfilePrefix(decodeQueryPart(part.slice(0, eq)));
    const value = decodeQueryPart(part.slice(eq + 1));
    if (name === '') return { ok: false, message: l10n.t("'{0}' has an empty name.", part) };
    pairs.push([name, value]);
  }
  return pairs.length ? { ok: true, pairs } : { ok: false, message: l10n.t('No name=value pair found.') };
}

/**
 * What the update input box accepts: a JSON object, a pasted query string (`a=1&b=2`, when every
 * `&`-separated part is a pair), or else one `name=value` whose value may contain `&`.
 */
export function parseAttributeInput(input: string): ParsedAttributes {
  const text = input.trim();
  if (text.startsWith('{')) return parseJson(text);
  const parts = text.split('&').filter((p) => p !== '');
  if (parts.length > 1 && parts.every((p) => p.indexOf('=') > 0)) return parseAttributes(text);
  return parseSinglePair(input);
}

/** Parses one `name=value` typed in the input box; here `&` is part of the value, not a separator. */
function parseSinglePair(input: string): ParsedAttributes {
  const eq = input.indexOf('=');
  if (eq <= 0) return { ok: false, message: l10n.t('Type name=value.') };
  const name = stripProfilePrefix(input.slice(0, eq).trim());
  if (name === '') return { ok: false, message: l10n.t('The name is empty.') };
  return { ok: true, pairs: [[name, input.slice(eq + 1)]] };
}

function parseJson(text: string): ParsedAttributes {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: l10n.t('Not valid JSON: {0}', (e as Error).message) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, message: l10n.t('The JSON must be an object of name: value.') };
  }
  const pairs: AttributePairs = [];
  for (const [rawName, raw] of Object.entries(value)) {
    // Target stores strings; an empty value is ignored by Target, so null is dropped rather than sent.
    if (raw === null || raw === undefined) continue;
    if (typeof raw === 'object') {
      return { ok: false, message: l10n.t("'{0}' is not a string, number or boolean.", rawName) };
    }
    pairs.push([stripProfilePrefix(rawName), String(raw)]);
  }
  return pairs.length ? { ok: true, pairs } : { ok: false, message: l10n.t('The JSON object has no attributes.') };
}

/** Pasted query strings are usually already encoded; plain text passes through unchanged. */
function decodeQueryPart(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

function stripProfilePrefix(name: string): string {
  return name.startsWith('profile.') ? name.slice('profile.'.length) : name;
}

/** thirdPartyIds may not contain + or / (docs/target-api.md#identifiers), raw or percent-encoded. */
export function thirdPartyIdProblem(id: string): string | undefined {
  if (id.trim() === '') return l10n.t('The id is empty.');
  if (/[+/]|%2[bBfF]/.test(id)) return l10n.t('A thirdPartyId may not contain + or / (Target rejects them).');
  if (id.length > 256) return l10n.t('A thirdPartyId is at most 256 characters; this one has {0}.', count(id.length));
  return undefined;
}

export function pcIdProblem(id: string): string | undefined {
  if (id.trim() === '') return l10n.t('The id is empty.');
  if (id.length > 128) return l10n.t('A pcId is at most 128 characters; this one has {0}.', count(id.length));
  return undefined;
}
