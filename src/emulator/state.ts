import { randomUUID } from 'crypto';
import { MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS } from '../core/batch/limits';
import { ActivityStore } from './activities';
import { ProfileStore } from './profiles';
import type { EmulatorCredentials, EmulatorOptions, RequestRecord } from './types';

/** One accepted batch upload, as its status route reports it. */
export interface Batch {
  id: string;
  clientCode: string;
  createdAt: number;
  rows: number;
  stuck: boolean;
  completesAt: number;
  successfulUpdates: number;
  profilesNotFound: number;
  failedUpdates: number;
  /** v2 only: ids of failed rows (Target lists only failures since May 2020). */
  failed: string[];
  v2: boolean;
}

/** The next requests to fail on purpose, and how. */
export interface InjectedFailure {
  count: number;
  status: number;
  retryAfter?: string;
}

/**
 * Everything one emulator holds: profiles, batches, the requests it saw, its auth and IMS settings, and
 * the faults the control API injects. The methods below are what the control API (in code and over
 * HTTP) changes; the routes read and update the fields directly.
 */
export class EmulatorState {
  readonly profiles = new ProfileStore();
  /** Activities per client code and the impressions counted on execute (routes/delivery.ts). */
  readonly activities = new ActivityStore();
  readonly batches = new Map<string, Batch>();
  /** Batch ids per client code, oldest first: only the last `batchRetention` are kept. */
  readonly batchOrder = new Map<string, string[]>();
  readonly requests: RequestRecord[] = [];
  /** When each recent bulk or status call came, per client code, for the rate limit. */
  readonly rateCalls = new Map<string, number[]>();
  batchCounter = 0;

  /** The current profile API token; it is required while `authOn`. */
  token: string | undefined;
  authOn: boolean;
  authStatus: 401 | 403;
  credentials: EmulatorCredentials | undefined;
  imsTokenTtlMs: number;
  /** Issued IMS access tokens and when each stops working. */
  readonly imsTokens = new Map<string, number>();

  statusDelayMs: number;
  rateLimit: number;
  rateWindowMs: number;
  readonly maxBatchBytes: number;
  readonly maxBatchRows: number;
  readonly batchRetention: number;
  readonly batchRetentionMs: number;

  failures: InjectedFailure = { count: 0, status: 503 };
  delayMs = 0;
  drops = 0;
  stuckNext = false;
  /** The server's URL, known once it listens; batch status URLs start with it. */
  baseUrl = '';

  constructor(options: EmulatorOptions) {
    this.token = options.token;
    this.authOn = options.token !== undefined;
    this.credentials = options.credentials;
    this.imsTokenTtlMs = options.imsTokenTtlMs ?? 24 * 60 * 60 * 1000;
    this.authStatus = options.authStatus ?? 401;
    this.statusDelayMs = options.statusDelayMs ?? 0;
    this.rateLimit = options.rateLimit ?? 50;
    this.rateWindowMs = options.rateWindowMs ?? 60_000;
    this.maxBatchBytes = options.maxBatchBytes ?? MAX_UPLOAD_BYTES;
    this.maxBatchRows = options.maxBatchRows ?? MAX_UPLOAD_ROWS;
    this.batchRetention = options.batchRetention ?? 10;
    this.batchRetentionMs = options.batchRetentionMs ?? 24 * 60 * 60 * 1000;
  }

  /** Sliding-window count of bulk and status calls per client code; true when over the limit. */
  overRateLimit(clientCode: string): boolean {
    const now = Date.now();
    const recent = (this.rateCalls.get(clientCode) ?? []).filter((t) => t > now - this.rateWindowMs);
    this.rateCalls.set(clientCode, recent);
    if (recent.length >= this.rateLimit) return true;
    recent.push(now);
    return false;
  }

  /** Whether a Profile API call with this Authorization header is let in. */
  authorizes(authorization: string | undefined): boolean {
    return !this.authOn || authorization === `Bearer ${this.token}`;
  }

  failNext(count: number, status: number, retryAfter?: string): void {
    this.failures = { count, status, ...(retryAfter !== undefined ? { retryAfter } : {}) };
  }

  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  dropNext(count = 1): void {
    this.drops = count;
  }

  stickNextBatch(): void {
    this.stuckNext = true;
  }

  setAuth(token: string | undefined, status: 401 | 403 = 401): void {
    this.token = token;
    this.authOn = token !== undefined;
    this.authStatus = status;
  }

  setStatusDelay(ms: number): void {
    this.statusDelayMs = ms;
  }

  setRateLimit(limit: number, windowMs: number): void {
    this.rateLimit = limit;
    this.rateWindowMs = windowMs;
    this.rateCalls.clear();
  }

  rotateToken(): string {
    const token = randomUUID();
    this.token = token;
    this.authOn = true;
    return token;
  }

  setCredentials(credentials: EmulatorCredentials | undefined): void {
    this.credentials = credentials;
  }

  setImsTokenTtl(ms: number): void {
    this.imsTokenTtlMs = ms;
  }

  expireImsTokens(): void {
    for (const key of this.imsTokens.keys()) this.imsTokens.set(key, 0);
  }

  /** Forgets profiles, activities, impressions, batches, requests and faults; auth, IMS and limits stay. */
  reset(): void {
    this.profiles.clear();
    this.activities.clear();
    this.batches.clear();
    this.batchOrder.clear();
    this.requests.length = 0;
    this.rateCalls.clear();
    this.failures = { count: 0, status: 503 };
    this.delayMs = 0;
    this.drops = 0;
    this.stuckNext = false;
  }
}
