import type { ActivitySeed } from './activities';

/**
 * What users of the emulator see: its options, the handle `startEmulator` gives back, and the shapes
 * of the profiles and requests it records. `server.ts` exports them all.
 */

export interface SeedProfile {
  clientCode: string;
  pcId?: string;
  thirdPartyId?: string;
  marketingCloudVisitorId?: string;
  /** Plain values, or the `{ value, modifiedAt }` form `exportProfiles()` gives back. */
  attributes?: Record<string, string | { value: string; modifiedAt?: string }>;
}

export interface ExportedProfile {
  clientCode: string;
  pcId: string;
  thirdPartyId?: string;
  marketingCloudVisitorId?: string;
  modifiedAt: string;
  attributes: Record<string, { value: string; modifiedAt: string }>;
}

export interface EmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, every Profile API route requires `Authorization: Bearer <token>`. */
  token?: string;
  /**
   * Answer to a missing or wrong token; Adobe does not say which
   * (docs/target-api.md#missing-or-wrong-token). Default 401.
   */
  authStatus?: 401 | 403;
  seed?: SeedProfile[];
  /** Activities for the Delivery API, per client code. Default: the samples of client `demo` (samples.ts). */
  activities?: ActivitySeed[];
  /** How long a batch stays `incomplete` before it is `complete`. Default 0. */
  statusDelayMs?: number;
  /** Bulk and status calls allowed per window and client code before 503. Default 50 per 60 s. */
  rateLimit?: number;
  rateWindowMs?: number;
  /** Batch limits, overridable so tests need not send 50 MB. Default 50,000,000 bytes and 500,000 rows. */
  maxBatchBytes?: number;
  maxBatchRows?: number;
  /**
   * Batch statuses kept per client code, and for how long (Adobe's legacy guide: the last 10, for 24 h;
   * docs/target-api.md#batch-status-retention).
   */
  batchRetention?: number;
  batchRetentionMs?: number;
  /** The Developer Console credential (OAuth server-to-server) IMS accepts, and the tenant it administers. */
  credentials?: EmulatorCredentials;
  /** How long an IMS access token works. Default 24 h, as Adobe's (docs/target-api.md#authentication). */
  imsTokenTtlMs?: number;
}

export interface EmulatorCredentials {
  clientId: string;
  clientSecret: string;
  tenant: string;
}

/** Which route a request matched; `unknown` when none did. */
export type RouteName =
  | 'update'
  | 'batchUpdate'
  | 'batchStatus'
  | 'fetch'
  | 'delivery'
  | 'imsToken'
  | 'adminToken'
  | 'adminSettings'
  | 'unknown';

/** One request the emulator saw (control routes excluded). */
export interface RequestRecord {
  method: string;
  /** Path and query as received. */
  url: string;
  route: RouteName;
  /** Body bytes received. */
  bytes: number;
  authorization?: string;
  /** Status answered; undefined when the connection was dropped. */
  status?: number;
}

export interface Emulator {
  /** e.g. `http://127.0.0.1:41234`, no trailing slash: use it as the client's base URL. */
  readonly url: string;
  readonly requests: RequestRecord[];
  close(): Promise<void>;
  seedProfile(profile: SeedProfile): void;
  /** Sets one client code's activities (replacing the ones it had). */
  setActivities(seed: ActivitySeed): void;
  /** Impressions counted by Delivery calls with `execute` (prefetch counts none). */
  impressions(): { clientCode: string; activityId: number; experienceId: number; count: number }[];
  exportProfiles(): ExportedProfile[];
  /** Fails the next `count` requests with `status` (and a `Retry-After` header when given). */
  failNext(count: number, status: number, retryAfter?: string): void;
  setDelay(ms: number): void;
  /** Drops the connection of the next `count` requests once part of the body has arrived (or been sent). */
  dropNext(count?: number): void;
  stickNextBatch(): void;
  /** Turns auth on with `token`, or off with undefined. */
  setAuth(token: string | undefined, status?: 401 | 403): void;
  setStatusDelay(ms: number): void;
  setRateLimit(limit: number, windowMs: number): void;
  /** Batch uploads received so far, dropped ones included. */
  uploads(): number;
  reset(): void;
  /**
   * Generates a new profile API token and requires it from now on, as the Admin API's token POST and
   * the UI's "Generate New Profile Authentication Token" do: calls with the old token fail
   * (docs/target-api.md#profile-api-token).
   * Turns auth on when it was off. Returns the new token.
   */
  rotateToken(): string;
  /** The Developer Console credential IMS accepts from now on; undefined accepts none. */
  setCredentials(credentials: EmulatorCredentials | undefined): void;
  /** Lifetime of IMS access tokens issued from now on. */
  setImsTokenTtl(ms: number): void;
  /** Ends every IMS access token issued so far, as if their time were up. */
  expireImsTokens(): void;
  /** The profile API token the Admin API hands out (and Target requires while auth is on). */
  currentToken(): string | undefined;
  /** Whether "Require Authentication" is on (the Admin API's enableProfileApiAuthentication). */
  authEnabled(): boolean;
}
