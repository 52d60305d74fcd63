import * as l10n from '@vscode/l10n';
import { checkCredentials } from './auth/tokenProvider';
import { parseAttributeInput, pcIdProblem, thirdPartyIdProblem, type AttributePairs } from './profiles/attributes';
import { buildProfileUpdateRequest, checkId } from './target/client';
import { checkClientCode, checkSafeUrl, type UrlName } from './target/connection';

/*
 * What the editor's palette flows check as the user types, built on the same checks the command line
 * applies before it sends anything: a value accepted here is never refused by them later.
 */

export type ProfileIdType = 'thirdPartyId' | 'pcId' | 'marketingCloudVisitorId';

/** Shown in the id prompts, so the user sees what such an id looks like. */
export const ID_EXAMPLES: Record<ProfileIdType, string> = {
  thirdPartyId: 'crm-1001',
  pcId: '1368007744041-575948.01_00',
  marketingCloudVisitorId: '08734723409438384729371946212239274281',
};

function problemOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

export function clientCodeProblem(value: string): string | undefined {
  return value.trim() === ''
    ? l10n.t('Enter the client code, e.g. acme.')
    : problemOf(() => checkClientCode(value.trim()));
}

export function connectionNameProblem(value: string): string | undefined {
  return value.trim() ? undefined : l10n.t('Give it a name.');
}

/** An empty base URL means Target's own host for the client code. */
export function baseUrlProblem(value: string): string | undefined {
  return value.trim() === '' ? undefined : problemOf(() => checkSafeUrl(value.trim(), 'base URL'));
}

/** An empty URL means Adobe's own service. */
export function serviceUrlProblem(value: string, what: UrlName): string | undefined {
  return value.trim() === '' ? undefined : problemOf(() => checkSafeUrl(value.trim(), what));
}

/** `keepsStored`: an empty answer keeps the token already stored (editing a connection). */
export function tokenProblem(value: string, keepsStored: boolean): string | undefined {
  if (value.trim() === '') {
    return keepsStored ? undefined : l10n.t('Paste the profile API token, or go back and choose "No credential".');
  }
  return /^[\x21-\x7e]+$/.test(value.trim())
    ? undefined
    : l10n.t('A profile API token has no spaces or non-ASCII characters.');
}

export function clientIdProblem(value: string): string | undefined {
  return /^[\x21-\x7e]+$/.test(value.trim()) ? undefined : l10n.t('Paste the client ID (no spaces).');
}

/** `keepsStored`: an empty answer keeps the secret already stored (editing a connection). */
export function clientSecretProblem(value: string, keepsStored: boolean): string | undefined {
  return keepsStored || value.trim() ? undefined : l10n.t('Paste the client secret.');
}

export function tenantProblem(value: string): string | undefined {
  return problemOf(() => checkCredentials({ clientId: 'x', scopes: [], tenant: value.trim() }));
}

/** A profile id as the command line checks it before sending, plus Target's length limits. */
export function profileIdProblem(idType: ProfileIdType, value: string): string | undefined {
  const lengthProblem =
    idType === 'thirdPartyId' ? thirdPartyIdProblem(value) : idType === 'pcId' ? pcIdProblem(value) : undefined;
  return lengthProblem ?? problemOf(() => checkId(value.trim(), idType));
}

export type AttributeCheck =
  { ok: true; pairs: AttributePairs; method: 'GET' | 'POST' } | { ok: false; message: string };

/**
 * One more `name=value` (or pasted pairs) for a single update, checked with the pairs given so far: the
 * encoded size decides GET (8 KB) or POST (60 KB), or refusal.
 */
export function checkAttributeInput(
  target: { base: URL; clientCode: string },
  id: { idType: 'thirdPartyId' | 'pcId'; id: string },
  given: AttributePairs,
  input: string,
): AttributeCheck {
  const parsed = parseAttributeInput(input);
  if (!parsed.ok) return parsed;
  try {
    const built = buildProfileUpdateRequest(target.base, target.clientCode, {
      id: id.idType === 'pcId' ? { pcId: id.id } : { thirdPartyId: id.id },
      attributes: [...given, ...parsed.pairs],
    });
    return { ok: true, pairs: parsed.pairs, method: built.method };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}
