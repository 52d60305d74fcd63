import * as l10n from '@vscode/l10n';
import { TargetError } from './errors';

/** One Target account as the user configured it. */
export interface ConnectionSettings {
  /** The Target client code (Administration → Implementation → Account Details): lower-case letters and digits. */
  clientCode: string;
  /** Replaces `https://CLIENT.tt.omtrdc.net`, e.g. an edge host or a local emulator. */
  baseUrl?: string;
  /** The profile API token, sent as `Authorization: Bearer ...` when present. */
  token?: string;
  /** Bulk API version: v1 only updates existing profiles, v2 also creates them. */
  apiVersion: 'v1' | 'v2';
}

const CLIENT_CODE = /^[a-z0-9]+$/;

/** Throws a usage error unless `code` is a Target client code; it ends up in host names and paths. */
export function checkClientCode(code: string): void {
  if (!CLIENT_CODE.test(code)) {
    throw new TargetError(
      'usage',
      l10n.t(
        "'{0}' is not a Target client code: use only lower-case letters and digits, as shown in Target under Administration → Implementation.",
        code,
      ),
    );
  }
}

/** True for 127.0.0.0/8, `localhost` and `[::1]`: the only hosts plain http is allowed to reach. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]' || host === '::1') return true;
  // The URL parser has already normalised forms like `127.1` to dotted quads.
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * True for Adobe Target's own hosts: `<clientcode>.tt.omtrdc.net` and the `mboxedgeNN.tt.omtrdc.net`
 * edges that batch status URLs name. `hostname` is as the URL parser gives it (lower case, punycode),
 * so look-alikes such as `tt.omtrdc.net.evil.com` or a Cyrillic `о` do not match.
 */
function isTargetHost(hostname: string): boolean {
  return /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.tt\.omtrdc\.net$/.test(hostname.toLowerCase());
}

/**
 * The URLs the checks below can name in a message. Callers pass one of these keys (English, so
 * logs and code read alike) and the message shows it in the display language; messages put it where
 * English says "the base URL", so every name is a URL ("la URL ..." in Spanish).
 */
const URL_NAMES = {
  'base URL': () => l10n.t('base URL'),
  'batch status URL': () => l10n.t('batch status URL'),
  'Adobe IMS URL': () => l10n.t('Adobe IMS URL'),
  'Target Admin API URL': () => l10n.t('Target Admin API URL'),
} as const;

export type UrlName = keyof typeof URL_NAMES;

/** The usage error for a URL with a query or a fragment, which neither base URLs nor API roots may have. */
export function queryOrFragmentError(what: UrlName): TargetError {
  return new TargetError(
    'usage',
    l10n.t('The {0} must not contain a query (?...) or a fragment (#...).', URL_NAMES[what]()),
  );
}

/**
 * Checks a URL we are about to send a token or profile data to: http(s) only, https unless the host is
 * loopback, and no `user:password@` part (which could disguise the real host). Plain `http://` to one of
 * Target's own hosts (`*.tt.omtrdc.net`, default port) is upgraded to `https://` in the URL returned.
 */
export function checkSafeUrl(raw: string, what: UrlName): URL {
  // The URL parser quietly rewrites some input: it drops tabs and newlines, maps full-width letters to
  // ASCII, reads `\` as `/` and punycodes look-alikes (a Cyrillic `а` in `аcme`). Refuse all of it, so the
  // host requested is exactly the host written.
  const odd = /[^\x21-\x7e]|\\/u.exec(raw);
  const name = URL_NAMES[what]();
  if (odd) {
    const code = odd[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new TargetError(
      'usage',
      /[\p{L}\p{N}\p{P}\p{S}]/u.test(odd[0])
        ? l10n.t(
            "The {0} must be plain ASCII without spaces or backslashes; it contains U+{1} ('{2}').",
            name,
            code,
            odd[0],
          )
        : l10n.t('The {0} must be plain ASCII without spaces or backslashes; it contains U+{1}.', name, code),
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetError('usage', l10n.t("The {0} '{1}' is not a valid URL.", name, raw));
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TargetError('usage', l10n.t('The {0} must use https:// (got {1}).', name, url.protocol));
  }
  if (url.username !== '' || url.password !== '') {
    throw new TargetError('usage', l10n.t("The {0} must not contain a user name or password ('...@host').", name));
  }
  if (url.protocol === 'http:' && isTargetHost(url.hostname) && url.port === '') {
    // Adobe's docs print `http://` bulk and batch-status URLs (`http://mboxedgeNN.tt.omtrdc.net/...`) and do
    // not say whether https works there too; we assume it does (docs/target-api.md#hosts-and-schemes). Target's
    // own hosts are therefore reached over https, so neither the token nor profile data travels in clear text.
    url.protocol = 'https:';
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new TargetError(
      'usage',
      l10n.t(
        'The {0} must use https:// (plain http:// is allowed only for 127.0.0.1, localhost and [::1]): {1}',
        name,
        url.origin,
      ),
    );
  }
  return url;
}

/** Validates the settings and returns the base URL every path is appended to. */
export function resolveBaseUrl(settings: ConnectionSettings): URL {
  checkClientCode(settings.clientCode);
  const url = checkSafeUrl(settings.baseUrl ?? `https://${settings.clientCode}.tt.omtrdc.net`, 'base URL');
  if (url.search !== '' || url.hash !== '') {
    throw queryOrFragmentError('base URL');
  }
  return url;
}

/** The base URL's path without a trailing slash (usually ''), for appending API paths. */
export function basePath(base: URL): string {
  return base.pathname.replace(/\/+$/, '');
}

/** Settings from command-line style inputs: the token only ever comes from TARGET_PROFILE_TOKEN. */
export function connectionFromEnvironment(input: {
  clientCode: string;
  baseUrl?: string;
  apiVersion?: 'v1' | 'v2';
  env: NodeJS.ProcessEnv;
}): ConnectionSettings {
  const token = input.env.TARGET_PROFILE_TOKEN;
  const baseUrl = input.baseUrl ?? input.env.TARGET_BASE_URL;
  const settings: ConnectionSettings = {
    clientCode: input.clientCode,
    apiVersion: input.apiVersion ?? 'v2',
    ...(baseUrl ? { baseUrl } : {}),
    ...(token ? { token } : {}),
  };
  resolveBaseUrl(settings);
  return settings;
}
