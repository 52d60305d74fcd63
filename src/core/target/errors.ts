import * as l10n from '@vscode/l10n';

/**
 * The ways a Target call can fail, in words a user acts on. The command line maps `kind` to its exit
 * codes and the editor to a notification; `message` is always safe to show (it never holds a token).
 */
export type TargetErrorKind =
  /** Bad input caught before anything was sent: client code, base URL, ids, names. */
  | 'usage'
  /** Target refused the token (HTTP 401/403). */
  | 'auth'
  /** The connection failed (refused, reset, DNS, proxy). */
  | 'network'
  /** No answer within the request's time limit. */
  | 'timeout'
  /** Target answered with an error status or a response we cannot read. */
  | 'server'
  /** Target's 50 calls per minute limit (503) or a 429, still refused after retries. */
  | 'rate-limited'
  /** The caller's AbortSignal fired. */
  | 'cancelled'
  /** The request exceeds Target's size limits (8 KB GET / 60 KB POST, 50 MB / 500,000 rows). */
  | 'too-large'
  /** Target read the request and said `<success>false</success>`. */
  | 'rejected';

export interface TargetErrorDetails {
  status?: number;
  /**
   * Only for batch uploads: true when the connection broke after (part of) the body was sent, so
   * Target may have accepted the batch. Such an upload is never resent automatically.
   */
  maybeAccepted?: boolean;
  /** The server's own message, when it gave one. */
  serverMessage?: string;
  /** What fixes it, when each face says that in its own words (see `fixHint`). */
  fix?: TargetErrorFix;
  cause?: unknown;
}

export class TargetError extends Error {
  readonly kind: TargetErrorKind;
  readonly status?: number;
  readonly maybeAccepted: boolean;
  readonly serverMessage?: string;
  readonly fix?: TargetErrorFix;

  constructor(kind: TargetErrorKind, message: string, details: TargetErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TargetError';
    this.kind = kind;
    this.status = details.status;
    this.maybeAccepted = details.maybeAccepted ?? false;
    this.serverMessage = details.serverMessage;
    this.fix = details.fix;
  }
}

/** A fix the message leaves to the face that shows it: the profile API token to set or replace. */
export type TargetErrorFix = 'profile-token';

/** Who shows an error: the editor names its commands, the command line its environment variables. */
export type ErrorAudience = 'editor' | 'cli';

/** How to fix `error`, in the words of `audience`; undefined when the message says it all. */
export function fixHint(error: TargetError, audience: ErrorAudience): string | undefined {
  if (error.fix !== 'profile-token') return undefined;
  return audience === 'cli'
    ? l10n.t('Check TARGET_PROFILE_TOKEN (or TARGET_CLIENT_ID, TARGET_CLIENT_SECRET and TARGET_TENANT).')
    : l10n.t('Set the connection\'s token with "Set Profile API Token…", or edit the connection.');
}

/** The message of a failed call with the fix as `audience` words it: the one text both faces show. */
export function describeTargetError(error: TargetError, audience: ErrorAudience): string {
  const hint = fixHint(error, audience);
  return hint ? `${error.message} ${hint}` : error.message;
}

export function isTargetError(value: unknown): value is TargetError {
  return value instanceof TargetError;
}

/**
 * Turns a non-2xx HTTP status into the error a user understands. `what` names the call as a noun
 * phrase in the display language ("the profile update"), see `callName` in client.ts.
 */
export function errorForStatus(status: number, what: string, serverMessage?: string): TargetError {
  const http = String(status);
  if (status === 401 || status === 403) {
    return new TargetError(
      'auth',
      l10n.t(
        'Target refused the profile API token for {0} (HTTP {1}); a regenerated token makes the old one fail.',
        what,
        http,
      ),
      { status, serverMessage, fix: 'profile-token' },
    );
  }
  if (status === 503 || status === 429) {
    return new TargetError(
      'rate-limited',
      l10n.t(
        'Target is limiting requests (HTTP {0}) for {1}; bulk and status calls are capped at 50 per minute. Try again in a minute.',
        http,
        what,
      ),
      { status, serverMessage },
    );
  }
  if (status === 413 || status === 414) {
    const message = serverMessage
      ? l10n.t('Target says {0} request is too large (HTTP {1}): {2}', what, http, serverMessage)
      : l10n.t('Target says {0} request is too large (HTTP {1})', what, http);
    return new TargetError('too-large', message, { status, serverMessage });
  }
  const message = serverMessage
    ? l10n.t('Target answered HTTP {0} for {1}: {2}', http, what, serverMessage)
    : l10n.t('Target answered HTTP {0} for {1}', http, what);
  return new TargetError('server', message, { status, serverMessage });
}
