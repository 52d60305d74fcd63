/**
 * A local Adobe Target emulator for tests and demos: the Profile API routes of
 * shared/spec/target-profile-api.md (§13 "Emulator guidance") over plain Node http, with profiles in
 * memory and a control API for fault injection. Batch uploads are parsed as they stream in, so a
 * 50 MB upload does not sit in memory.
 *
 * Control API, as functions on `Emulator` and as HTTP routes (JSON bodies) for out-of-process tests:
 *   POST /__emulator/fail    {count, status, retryAfter?}   fail the next N requests with status S
 *   POST /__emulator/delay   {ms}                           delay every response by D ms
 *   POST /__emulator/drop    {count?}                       drop the connection mid-body, N times
 *   POST /__emulator/stuck   {}                             the next batch stays `stuck`
 *   POST /__emulator/auth    {token: string|null, status?}  require `Bearer token` (401, or 403)
 *   POST /__emulator/rotate  {}                             new token, the old one fails (E10); 201 {accessToken, ...}
 *   POST /__emulator/config  {statusDelayMs?, rateLimit?, rateWindowMs?}
 *   POST /__emulator/seed    SeedProfile | {profiles: SeedProfile[]}
 *   GET  /__emulator/profiles                               {profiles: ExportedProfile[]}
 *   GET  /__emulator/requests                               {requests: RequestRecord[]}
 *   POST /__emulator/reset                                  forget profiles, batches, faults, requests
 *   POST /__emulator/credentials {clientId, clientSecret, tenant} | {}   the Developer Console credential IMS accepts
 *   POST /__emulator/ims     {ttlMs?, expire?}              IMS token lifetime; `expire` ends every issued one now
 *
 * It also stands in for Adobe IMS and the Target Admin API (spec §6.2, E9–E11), so one base URL serves all three:
 *   POST /ims/token/v3                                      client_credentials grant for the configured credential
 *   GET|POST /{tenant}/target/authentication/token?authorizationScope=profile_api   current / rotated (201) token
 *   GET|PUT|PATCH /{tenant}/target/clients/settings         {enableProfileApiAuthentication}
 * Admin routes need `Authorization: Bearer <unexpired IMS token>` and `X-Api-Key: <client id>`.
 */
import { randomUUID } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as querystring from 'querystring';
import { MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS } from '../core/batch/limits';
import { escapeXmlText } from '../core/target/xml';

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
  /** Answer to a missing or wrong token; the docs do not say which (§6.3). Default 401. */
  authStatus?: 401 | 403;
  seed?: SeedProfile[];
  /** How long a batch stays `incomplete` before it is `complete`. Default 0. */
  statusDelayMs?: number;
  /** Bulk and status calls allowed per window and client code before 503. Default 50 per 60 s. */
  rateLimit?: number;
  rateWindowMs?: number;
  /** Batch limits, overridable so tests need not send 50 MB. Default 50,000,000 bytes and 500,000 rows. */
  maxBatchBytes?: number;
  maxBatchRows?: number;
  /** Batch statuses kept per client code, and for how long (legacy §4.5: the last 10, for 24 h). */
  batchRetention?: number;
  batchRetentionMs?: number;
  /** The Developer Console credential (OAuth server-to-server) IMS accepts, and the tenant it administers. */
  credentials?: EmulatorCredentials;
  /** How long an IMS access token works. Default 24 h, as Adobe's (§6.2). */
  imsTokenTtlMs?: number;
}

export interface EmulatorCredentials {
  clientId: string;
  clientSecret: string;
  tenant: string;
}

/** One request the emulator saw (control routes excluded). */
export interface RequestRecord {
  method: string;
  /** Path and query as received. */
  url: string;
  route: 'update' | 'batchUpdate' | 'batchStatus' | 'fetch' | 'imsToken' | 'adminToken' | 'adminSettings' | 'unknown';
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
   * Generates a new profile API token and requires it from now on, as the Admin API's token POST (E10)
   * and the UI's "Generate New Profile Authentication Token" do: calls with the old token fail (§6.1).
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

interface Profile {
  pcId: string;
  thirdPartyId?: string;
  marketingCloudVisitorId?: string;
  modifiedAt: string;
  attributes: Map<string, { value: string; modifiedAt: string }>;
}

interface Account {
  byPcId: Map<string, Profile>;
  byThirdPartyId: Map<string, Profile>;
  byEcid: Map<string, Profile>;
}

interface Batch {
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

/** Target's timestamps carry milliseconds and an offset (§5.2). */
function timestamp(): string {
  return new Date().toISOString().replace('Z', '+00:00');
}

/** Form decoding of one field: `+` is a space, `%XX` a byte; malformed escapes are kept as written. */
export function formDecode(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  return querystring.unescape(raw.replace(/\+/g, ' '));
}

function xmlResponse(res: http.ServerResponse, status: number, body: string): void {
  // [INF] §14.2: the content type is undocumented; XML is what the bodies are.
  res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
  res.end(body);
}

function jsonResponse(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
  res.end(JSON.stringify(body));
}

function readBody(req: http.IncomingMessage, limit: number): Promise<{ text: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), bytes }));
    req.on('error', reject);
  });
}

/**
 * Reads a bulk upload as it streams in: the form field `batch` (a raw body starting with `batch=` is the
 * same thing), rows split on LF (CRLF tolerated), fields split on `,` and then form-decoded, so `%2C`
 * stays inside a value. A raw `&` ends the field, as form decoding would.
 */
class BatchReader {
  header: string[] | undefined;
  rows = 0;
  bytes = 0;
  sawBatchField = false;
  private line: Buffer[] = [];
  private lineBytes = 0;
  /** 'name': reading a form field name; 'batch': inside the batch field; 'skip': another field's value. */
  private state: 'name' | 'batch' | 'skip' = 'name';
  private name = '';

  /** `row` is the raw line: fields are split and decoded by the handler, only as far as it needs. */
  constructor(private readonly onRow: (row: string) => void) {}

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.state === 'name') {
        const byte = chunk[pos++];
        if (byte === 0x3d /* = */) {
          this.state = formDecode(this.name) === 'batch' && !this.sawBatchField ? 'batch' : 'skip';
          this.sawBatchField ||= this.state === 'batch';
          this.name = '';
        } else if (byte === 0x26 /* & */) this.name = '';
        else if (this.name.length < 64) this.name += String.fromCharCode(byte);
        continue;
      }
      const amp = chunk.indexOf(0x26, pos);
      const stop = amp === -1 ? chunk.length : amp;
      if (this.state === 'skip') {
        if (amp !== -1) this.state = 'name';
        pos = stop + 1;
        continue;
      }
      let start = pos;
      const first = chunk.indexOf(0x0a, start);
      if (first !== -1 && first < stop) {
        this.push(chunk.subarray(start, first));
        this.endLine();
        // Lines end at LF, so the rest up to the last LF decodes as one string: far cheaper than per line.
        const last = chunk.lastIndexOf(0x0a, stop - 1);
        if (last > first) for (const line of chunk.toString('utf8', first + 1, last).split('\n')) this.endLine(line);
        start = last + 1;
      }
      if (start < stop) this.push(chunk.subarray(start, stop));
      if (amp !== -1) {
        this.endLine();
        this.state = 'skip';
      }
      pos = stop + (amp !== -1 ? 1 : 0);
    }
  }

  end(): void {
    if (this.state === 'batch') this.endLine();
  }

  private push(part: Buffer): void {
    // A line longer than 1 MiB is not a row Target would take; keep memory bounded and mark it.
    if (this.lineBytes < 1024 * 1024) this.line.push(Buffer.from(part));
    this.lineBytes += part.length;
  }

  private endLine(whole?: string): void {
    let text = whole ?? Buffer.concat(this.line).toString('utf8');
    this.line = [];
    this.lineBytes = 0;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text === '') return;
    if (!this.header) {
      this.header = text.split(',').map(formDecode);
      return;
    }
    this.rows++;
    this.onRow(text);
  }
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const accounts = new Map<string, Account>();
  const batches = new Map<string, Batch>();
  const requests: RequestRecord[] = [];
  const rateCalls = new Map<string, number[]>();
  let batchCounter = 0;
  let pcCounter = 0;
  /** The current profile API token; it is required while `authOn`. */
  let token = options.token;
  let authOn = options.token !== undefined;
  let credentials = options.credentials;
  let imsTokenTtlMs = options.imsTokenTtlMs ?? 24 * 60 * 60 * 1000;
  /** Issued IMS access tokens and when each stops working. */
  const imsTokens = new Map<string, number>();
  let authStatus = options.authStatus ?? 401;
  let statusDelayMs = options.statusDelayMs ?? 0;
  let rateLimit = options.rateLimit ?? 50;
  let rateWindowMs = options.rateWindowMs ?? 60_000;
  const maxBatchBytes = options.maxBatchBytes ?? MAX_UPLOAD_BYTES;
  const maxBatchRows = options.maxBatchRows ?? MAX_UPLOAD_ROWS;
  const batchRetention = options.batchRetention ?? 10;
  const batchRetentionMs = options.batchRetentionMs ?? 24 * 60 * 60 * 1000;
  /** Batch ids per client code, oldest first: only the last `batchRetention` are kept. */
  const batchOrder = new Map<string, string[]>();
  let failures: { count: number; status: number; retryAfter?: string } = { count: 0, status: 503 };
  let delayMs = 0;
  let drops = 0;
  let stuckNext = false;
  let baseUrl = '';

  const account = (clientCode: string): Account => {
    let found = accounts.get(clientCode);
    if (!found) {
      found = { byPcId: new Map(), byThirdPartyId: new Map(), byEcid: new Map() };
      accounts.set(clientCode, found);
    }
    return found;
  };

  const newPcId = () => `${Date.now()}-${String(++pcCounter).padStart(6, '0')}.01_00`;

  const createProfile = (
    clientCode: string,
    ids: { pcId?: string; thirdPartyId?: string; marketingCloudVisitorId?: string },
  ): Profile => {
    const acct = account(clientCode);
    const profile: Profile = { pcId: ids.pcId ?? newPcId(), modifiedAt: timestamp(), attributes: new Map() };
    if (ids.thirdPartyId !== undefined) profile.thirdPartyId = ids.thirdPartyId;
    if (ids.marketingCloudVisitorId !== undefined) profile.marketingCloudVisitorId = ids.marketingCloudVisitorId;
    acct.byPcId.set(profile.pcId, profile);
    if (profile.thirdPartyId !== undefined) acct.byThirdPartyId.set(profile.thirdPartyId, profile);
    if (profile.marketingCloudVisitorId !== undefined) acct.byEcid.set(profile.marketingCloudVisitorId, profile);
    return profile;
  };

  /** Sets the non-empty values: an empty value never clears an attribute (§4.4). */
  const applyAttributes = (profile: Profile, attributes: [string, string][]) => {
    const now = timestamp();
    for (const [name, value] of attributes) {
      if (value === '' || name === '') continue;
      profile.attributes.set(name, { value, modifiedAt: now });
      profile.modifiedAt = now;
    }
  };

  const seedProfile = (seed: SeedProfile) => {
    const acct = account(seed.clientCode);
    const profile =
      (seed.pcId !== undefined && acct.byPcId.get(seed.pcId)) ||
      (seed.thirdPartyId !== undefined && acct.byThirdPartyId.get(seed.thirdPartyId)) ||
      createProfile(seed.clientCode, seed);
    for (const [name, raw] of Object.entries(seed.attributes ?? {})) {
      const entry =
        typeof raw === 'string'
          ? { value: raw, modifiedAt: timestamp() }
          : { value: raw.value, modifiedAt: raw.modifiedAt ?? timestamp() };
      profile.attributes.set(name, entry);
    }
  };

  const exportProfiles = (): ExportedProfile[] => {
    const out: ExportedProfile[] = [];
    for (const [clientCode, acct] of accounts) {
      for (const p of acct.byPcId.values()) {
        out.push({
          clientCode,
          pcId: p.pcId,
          ...(p.thirdPartyId !== undefined ? { thirdPartyId: p.thirdPartyId } : {}),
          ...(p.marketingCloudVisitorId !== undefined ? { marketingCloudVisitorId: p.marketingCloudVisitorId } : {}),
          modifiedAt: p.modifiedAt,
          attributes: Object.fromEntries(p.attributes),
        });
      }
    }
    return out;
  };

  /** Sliding-window count of bulk and status calls per client code; true when over the limit. */
  const overRateLimit = (clientCode: string): boolean => {
    const now = Date.now();
    const recent = (rateCalls.get(clientCode) ?? []).filter((t) => t > now - rateWindowMs);
    rateCalls.set(clientCode, recent);
    if (recent.length >= rateLimit) return true;
    recent.push(now);
    return false;
  };

  /**
   * The path's client code. Adobe's single-update docs write the literal `/m2/client/` (§2); then the
   * code comes from a `<code>.tt.omtrdc.net` or `<code>.localhost` Host header when there is one.
   */
  const clientCodeOf = (pathCode: string, req: http.IncomingMessage): string => {
    if (pathCode !== 'client') return pathCode;
    const host = /^([a-z0-9]+)\.(?:tt\.omtrdc\.net|localhost)(?::\d+)?$/.exec(req.headers.host ?? '');
    return host ? host[1] : pathCode;
  };

  const handleUpdate = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    clientCode: string,
    record: RequestRecord,
  ) => {
    const params = new URLSearchParams(url.search);
    if (req.method === 'GET' && (req.url ?? '').length > 8 * 1024) {
      return xmlResponse(
        res,
        414,
        '<response><success>false</success><message>Request-URI Too Long: GET is limited to 8 KB</message></response>',
      );
    }
    if (req.method === 'POST') {
      const body = await readBody(req, 60 * 1024);
      record.bytes = body.bytes;
      if (body.bytes > 60 * 1024) {
        return xmlResponse(
          res,
          413,
          '<response><success>false</success><message>Payload Too Large: POST is limited to 60 KB</message></response>',
        );
      }
      for (const [k, v] of new URLSearchParams(body.text)) params.append(k, v);
    }
    const acct = account(clientCode);
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
      applyAttributes(profile, attributes);
    }
    xmlResponse(
      res,
      200,
      '<response>\n    <success>true</success>\n    <pcId></pcId>\n    <message>Request successfully submitted</message>\n</response>',
    );
  };

  const handleBatchUpdate = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    clientCode: string,
    v2: boolean,
    record: RequestRecord,
  ) => {
    const acct = account(clientCode);
    const stuck = stuckNext;
    stuckNext = false;
    const staged: { key: 'pcId' | 'thirdPartyId'; id: string; attributes: [string, string][] }[] = [];
    const failed: string[] = [];
    let profilesNotFound = 0;
    const reader = new BatchReader((row) => {
      const header = reader.header!;
      const key = header[0] as 'pcId' | 'thirdPartyId';
      if (key !== 'pcId' && key !== 'thirdPartyId') return;
      const comma = row.indexOf(',');
      const id = formDecode(comma === -1 ? row : row.slice(0, comma));
      const exists = key === 'pcId' ? acct.byPcId.has(id) : acct.byThirdPartyId.has(id);
      // v1 never creates profiles; rows for unknown ids are only counted, which keeps memory flat and the parse cheap.
      if (!v2 && !exists && id !== '') {
        profilesNotFound++;
        return;
      }
      const fields = row.split(',');
      if (id === '' || fields.length > header.length || (key === 'thirdPartyId' && /[+/]/.test(id))) {
        failed.push(id);
        return;
      }
      const attributes: [string, string][] = [];
      for (let i = 1; i < fields.length; i++) if (fields[i] !== '') attributes.push([header[i], formDecode(fields[i])]);
      staged.push({ key, id, attributes });
    });
    await new Promise<void>((resolve, reject) => {
      req.on('data', (chunk: Buffer) => reader.write(chunk));
      req.on('end', () => resolve());
      req.on('error', reject);
    });
    reader.end();
    record.bytes = reader.bytes;
    const refuse = (message: string) =>
      xmlResponse(
        res,
        200,
        `<response>\n    <success>false</success>\n    <batchStatus></batchStatus>\n    <message>${escapeXmlText(message)}</message>\n</response>`,
      );
    if (!reader.sawBatchField || !reader.header) {
      return refuse('Batch is empty: the body must start with batch= and a header row');
    }
    if (reader.header[0] !== 'pcId' && reader.header[0] !== 'thirdPartyId') {
      return refuse(`Invalid batch header: the first column must be pcId or thirdPartyId, not '${reader.header[0]}'`);
    }
    if (reader.bytes >= maxBatchBytes) {
      return refuse(`Batch file is too large: ${reader.bytes} bytes; it must be smaller than 50 MB`);
    }
    if (reader.rows > maxBatchRows) {
      return refuse(`Batch has too many rows: ${reader.rows}; at most 500000 rows are allowed per upload`);
    }
    const batch: Batch = {
      id: `${clientCode}-${Date.now()}-${++batchCounter}`,
      clientCode,
      createdAt: Date.now(),
      rows: reader.rows,
      stuck,
      completesAt: Date.now() + statusDelayMs,
      successfulUpdates: 0,
      profilesNotFound,
      failedUpdates: failed.length,
      failed: v2 ? failed : [],
      v2,
    };
    if (!stuck) {
      for (const row of staged) {
        const index = row.key === 'pcId' ? acct.byPcId : acct.byThirdPartyId;
        let profile = index.get(row.id);
        if (!profile && !v2) {
          batch.profilesNotFound++;
          continue;
        }
        profile ??= createProfile(clientCode, { [row.key]: row.id });
        applyAttributes(profile, row.attributes);
        batch.successfulUpdates++;
      }
    }
    batches.set(batch.id, batch);
    const order = batchOrder.get(clientCode) ?? [];
    order.push(batch.id);
    // Legacy §4.5: Target keeps only the last 10 batch statuses per client.
    for (const old of order.splice(0, Math.max(0, order.length - batchRetention))) batches.delete(old);
    batchOrder.set(clientCode, order);
    const statusUrl = `${baseUrl}/m2/${clientCode}/profile/batchStatus?batchId=${batch.id}`;
    xmlResponse(
      res,
      200,
      `<response>\n    <success>true</success>\n    <batchStatus>${escapeXmlText(statusUrl)}</batchStatus>\n    <message>Batch submitted for processing</message>\n</response>`,
    );
  };

  const handleBatchStatus = (res: http.ServerResponse, url: URL, clientCode: string) => {
    const batchId = url.searchParams.get('batchId') ?? '';
    let batch = batches.get(batchId);
    if (batch && Date.now() - batch.createdAt > batchRetentionMs) {
      batches.delete(batch.id);
      batch = undefined;
    }
    if (!batch || batch.clientCode !== clientCode) {
      // [INF] §4.7/§14.1: the answer for an unknown or expired batchId is undocumented; we answer 404 with
      // the failure shape of the other XML endpoints (`success` false and a `message`).
      return xmlResponse(
        res,
        404,
        `<response><success>false</success><message>${escapeXmlText(
          `Unknown or expired batchId '${batchId}': Target keeps the last ${batchRetention} batch statuses per client for at most ${Math.round(batchRetentionMs / 3_600_000)} hours`,
        )}</message></response>`,
      );
    }
    const state = batch.stuck ? 'stuck' : Date.now() >= batch.completesAt ? 'complete' : 'incomplete';
    const done = state === 'complete';
    const profiles = done
      ? batch.failed
          .map(
            (id) =>
              `    <profile>\n        <id>${escapeXmlText(id)}</id>\n        <status>failed</status>\n    </profile>\n`,
          )
          .join('')
      : '';
    if (url.searchParams.get('showDetails') !== 'true') {
      const head = `<batchId>${batch.id}</batchId><status>${state}</status><batchSize>${batch.rows}</batchSize>`;
      return xmlResponse(
        res,
        200,
        profiles ? `<response>${head}\n${profiles}</response>` : `<response>${head}</response>`,
      );
    }
    const count = (n: number) => (done ? n : 0);
    xmlResponse(
      res,
      200,
      `<response>\n    <batchId>${batch.id}</batchId>\n    <status>${state}</status>\n    <batchSize>${batch.rows}</batchSize>\n` +
        `    <consumedCount>${count(batch.rows)}</consumedCount>\n    <successfulUpdates>${count(batch.successfulUpdates)}</successfulUpdates>\n` +
        `    <profilesNotFound>${count(batch.profilesNotFound)}</profilesNotFound>\n    <failedUpdates>${count(batch.failedUpdates)}</failedUpdates>\n` +
        `${profiles}</response>`,
    );
  };

  const handleFetch = (res: http.ServerResponse, url: URL, kind: 'pcId' | 'thirdPartyId' | 'ecid', rawId: string) => {
    const clientCode = url.searchParams.get('client');
    if (!clientCode) return jsonResponse(res, 400, { status: 400, message: 'The client parameter is required' });
    let id: string;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      return jsonResponse(res, 400, { status: 400, message: 'Malformed id' });
    }
    const acct = account(clientCode);
    const profile = (kind === 'pcId' ? acct.byPcId : kind === 'thirdPartyId' ? acct.byThirdPartyId : acct.byEcid).get(
      id,
    );
    if (!profile) {
      const how =
        kind === 'pcId'
          ? `mboxPC=${id}`
          : kind === 'thirdPartyId'
            ? `third party id=${id}`
            : `marketingCloudVisitorId=${id}`;
      return jsonResponse(res, 404, { status: 404, message: `No profile found for client ${clientCode} with ${how}` });
    }
    jsonResponse(res, 200, {
      client: clientCode,
      visitorId: id,
      modifiedAt: profile.modifiedAt,
      profileAttributes: Object.fromEntries(profile.attributes),
    });
  };

  /** Adobe IMS's client_credentials grant (`POST /ims/token/v3`, form body), for the one configured credential. */
  const handleImsToken = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method !== 'POST') {
      req.resume();
      return jsonResponse(res, 405, { error: 'invalid_request', error_description: 'use POST' });
    }
    const form = new URLSearchParams((await readBody(req, 64 * 1024)).text);
    if (form.get('grant_type') !== 'client_credentials') {
      return jsonResponse(res, 400, {
        error: 'unsupported_grant_type',
        error_description: 'only client_credentials is supported here',
      });
    }
    if (!credentials || form.get('client_id') !== credentials.clientId) {
      return jsonResponse(res, 401, { error: 'invalid_client', error_description: 'invalid client_id parameter' });
    }
    if (form.get('client_secret') !== credentials.clientSecret) {
      return jsonResponse(res, 401, { error: 'invalid_client', error_description: 'invalid client_secret parameter' });
    }
    if (!form.get('scope')) {
      return jsonResponse(res, 400, { error: 'invalid_scope', error_description: 'scope is required' });
    }
    const accessToken = `ims-${randomUUID()}`;
    imsTokens.set(accessToken, Date.now() + imsTokenTtlMs);
    jsonResponse(res, 200, {
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: Math.max(1, Math.floor(imsTokenTtlMs / 1000)),
    });
  };

  /** The Admin API's ErrorResponse (§6.2). */
  const adminError = (res: http.ServerResponse, status: number, errorCode: string, message: string) =>
    jsonResponse(res, status, {
      httpStatus: status,
      requestId: randomUUID(),
      requestTime: new Date().toISOString(),
      errors: [{ errorCode, message }],
    });

  const adminJson = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/vnd.adobe.target.v1+json' });
    res.end(JSON.stringify(body));
  };

  /** E9/E10 (profile API token) and E11 (settings): an unexpired IMS bearer, the client id as X-Api-Key, the tenant. */
  const handleAdmin = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    name: 'adminToken' | 'adminSettings',
    tenant: string,
  ) => {
    const text = req.method === 'GET' ? '' : (await readBody(req, 64 * 1024)).text;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expires = bearer === undefined ? undefined : imsTokens.get(bearer);
    if (expires === undefined || Date.now() >= expires) {
      return adminError(
        res,
        401,
        'Unauthorized',
        bearer === undefined ? 'Missing bearer token' : 'Oauth token is not valid',
      );
    }
    if (!credentials || req.headers['x-api-key'] !== credentials.clientId) {
      return adminError(res, 403, 'Forbidden', 'Api Key is invalid');
    }
    // [INF] the answer for another tenant is undocumented; Adobe I/O gateways answer 404 for unknown paths.
    if (tenant !== credentials.tenant) return adminError(res, 404, 'Tenant.NotFound', `Unknown tenant '${tenant}'`);
    if (name === 'adminSettings') {
      if (req.method === 'PUT' || req.method === 'PATCH') {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text || '{}') as Record<string, unknown>;
        } catch {
          return adminError(res, 400, 'Invalid.Request', 'The body must be JSON');
        }
        if (typeof body.enableProfileApiAuthentication === 'boolean') {
          authOn = body.enableProfileApiAuthentication;
          if (authOn && token === undefined) token = randomUUID();
        }
      } else if (req.method !== 'GET') return adminError(res, 405, 'Method.NotAllowed', 'Use GET, PUT or PATCH');
      return adminJson(res, 200, { enableProfileApiAuthentication: authOn });
    }
    const scope = url.searchParams.get('authorizationScope');
    if (scope !== 'profile_api' && scope !== 'debug_tools') {
      return adminError(res, 400, 'Invalid.Parameter', 'authorizationScope must be profile_api or debug_tools');
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      return adminError(res, 405, 'Method.NotAllowed', 'Use GET or POST');
    }
    // Unlike the control route's rotateToken(), a POST here leaves "Require Authentication" as it is, as Target's does.
    if (req.method === 'POST' || token === undefined) token = randomUUID();
    // [INF] the lifetime matches the UI's ~62 days, in seconds.
    adminJson(res, req.method === 'POST' ? 201 : 200, {
      accessToken: token,
      tokenType: 'Bearer',
      scope,
      expiresIn: 62 * 24 * 60 * 60,
    });
  };

  const handleControl = async (req: http.IncomingMessage, res: http.ServerResponse, action: string) => {
    const text = req.method === 'POST' ? (await readBody(req, 16 * 1024 * 1024)).text : '';
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      return jsonResponse(res, 400, { error: 'the body must be JSON' });
    }
    const num = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback);
    switch (action) {
      case 'fail':
        emulator.failNext(
          num(body.count, 1),
          num(body.status, 503),
          typeof body.retryAfter === 'string' ? body.retryAfter : undefined,
        );
        break;
      case 'delay':
        emulator.setDelay(num(body.ms, 0));
        break;
      case 'drop':
        emulator.dropNext(num(body.count, 1));
        break;
      case 'stuck':
        emulator.stickNextBatch();
        break;
      case 'auth':
        emulator.setAuth(typeof body.token === 'string' ? body.token : undefined, body.status === 403 ? 403 : 401);
        break;
      case 'rotate': {
        if (req.method !== 'POST') return jsonResponse(res, 405, { error: 'use POST' });
        // The Admin API's AuthorizationToken shape (§6.2); [INF] the lifetime matches the UI's ~62 days, in seconds.
        const accessToken = emulator.rotateToken();
        return jsonResponse(res, 201, {
          accessToken,
          tokenType: 'Bearer',
          scope: 'profile_api',
          expiresIn: 62 * 24 * 60 * 60,
        });
      }
      case 'config':
        if (typeof body.statusDelayMs === 'number') emulator.setStatusDelay(body.statusDelayMs);
        emulator.setRateLimit(num(body.rateLimit, rateLimit), num(body.rateWindowMs, rateWindowMs));
        break;
      case 'seed':
        for (const p of Array.isArray(body.profiles)
          ? (body.profiles as SeedProfile[])
          : [body as unknown as SeedProfile]) {
          seedProfile(p);
        }
        break;
      case 'profiles':
        return jsonResponse(res, 200, { profiles: exportProfiles() });
      case 'requests':
        return jsonResponse(res, 200, { requests });
      case 'reset':
        emulator.reset();
        break;
      case 'credentials':
        emulator.setCredentials(
          typeof body.clientId === 'string' && typeof body.clientSecret === 'string' && typeof body.tenant === 'string'
            ? { clientId: body.clientId, clientSecret: body.clientSecret, tenant: body.tenant }
            : undefined,
        );
        break;
      case 'ims':
        if (typeof body.ttlMs === 'number') emulator.setImsTokenTtl(body.ttlMs);
        if (body.expire === true) emulator.expireImsTokens();
        break;
      default:
        return jsonResponse(res, 404, { error: `unknown control route ${action}` });
    }
    jsonResponse(res, 200, { ok: true });
  };

  /** Drops the connection: after some of the body has arrived, or after part of the answer was sent. */
  const drop = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody) {
      req.once('data', () => req.socket.destroy());
      return;
    }
    res.writeHead(200, { 'content-type': 'text/xml', 'content-length': '1000' });
    res.write('<response><success>', () => req.socket.destroy());
  };

  const route = (pathname: string): { name: RequestRecord['route']; match: RegExpExecArray | null } => {
    const tests: [RequestRecord['route'], RegExp][] = [
      ['update', /^\/m2\/([^/]+)\/profile\/update$/],
      ['batchUpdate', /^\/m2\/([^/]+)\/(v2\/)?profile\/batchUpdate$/],
      ['batchStatus', /^\/m2\/([^/]+)\/(v2\/)?profile\/batchStatus$/],
      ['fetch', /^\/rest\/v1\/profiles\/(?:(thirdPartyId|marketingCloudVisitorId)\/)?([^/]+)$/],
      ['imsToken', /^\/ims\/token\/v3$/],
      ['adminToken', /^\/([^/]+)\/target\/authentication\/token$/],
      ['adminSettings', /^\/([^/]+)\/target\/clients\/settings$/],
    ];
    for (const [name, re] of tests) {
      const match = re.exec(pathname);
      if (match) return { name, match };
    }
    return { name: 'unknown', match: null };
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    if (url.pathname.startsWith('/__emulator/')) {
      return handleControl(req, res, url.pathname.slice('/__emulator/'.length));
    }
    const { name, match } = route(url.pathname);
    const record: RequestRecord = {
      method: req.method ?? '',
      url: req.url ?? '',
      route: name,
      bytes: 0,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    };
    requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    if (drops > 0) {
      drops--;
      return drop(req, res);
    }
    if (failures.count > 0) {
      failures.count--;
      req.resume();
      res.writeHead(failures.status, {
        'content-type': 'text/plain',
        ...(failures.retryAfter ? { 'retry-after': failures.retryAfter } : {}),
      });
      return res.end(`Injected failure: HTTP ${failures.status}`);
    }
    if (name === 'imsToken') return handleImsToken(req, res);
    if (name === 'adminToken' || name === 'adminSettings') {
      return handleAdmin(req, res, url, name, decodeURIComponent(match![1]));
    }
    if (!match || (name !== 'fetch' && !['GET', 'POST'].includes(req.method ?? ''))) {
      req.resume();
      return jsonResponse(res, 404, { status: 404, message: `No route for ${req.method} ${url.pathname}` });
    }
    if (authOn && req.headers.authorization !== `Bearer ${token}`) {
      req.resume();
      res.writeHead(authStatus, { 'content-type': 'text/plain' });
      return res.end(authStatus === 401 ? 'Unauthorized' : 'Forbidden');
    }
    if (name === 'fetch') {
      return handleFetch(res, url, match[1] === 'thirdPartyId' ? 'thirdPartyId' : match[1] ? 'ecid' : 'pcId', match[2]);
    }
    const clientCode = clientCodeOf(decodeURIComponent(match[1]), req);
    if ((name === 'batchUpdate' || name === 'batchStatus') && overRateLimit(clientCode)) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain' });
      return res.end('Service Unavailable: more than the allowed calls per minute');
    }
    if (name === 'update') return handleUpdate(req, res, url, clientCode, record);
    if (name === 'batchUpdate') {
      if (req.method !== 'POST') {
        return xmlResponse(res, 405, '<response><success>false</success><message>Use POST</message></response>');
      }
      return handleBatchUpdate(req, res, clientCode, match[2] !== undefined, record);
    }
    return handleBatchStatus(res, url, clientCode);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) jsonResponse(res, 500, { status: 500, message: String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;
  for (const seed of options.seed ?? []) seedProfile(seed);

  const emulator: Emulator = {
    url: baseUrl,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    seedProfile,
    exportProfiles,
    failNext: (count, status, retryAfter) => {
      failures = { count, status, ...(retryAfter !== undefined ? { retryAfter } : {}) };
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    dropNext: (count = 1) => {
      drops = count;
    },
    stickNextBatch: () => {
      stuckNext = true;
    },
    setAuth: (newToken, status = 401) => {
      token = newToken;
      authOn = newToken !== undefined;
      authStatus = status;
    },
    setStatusDelay: (ms) => {
      statusDelayMs = ms;
    },
    setRateLimit: (limit, windowMs) => {
      rateLimit = limit;
      rateWindowMs = windowMs;
      rateCalls.clear();
    },
    uploads: () => requests.filter((r) => r.route === 'batchUpdate').length,
    rotateToken: () => {
      token = randomUUID();
      authOn = true;
      return token;
    },
    setCredentials: (c) => {
      credentials = c;
    },
    setImsTokenTtl: (ms) => {
      imsTokenTtlMs = ms;
    },
    expireImsTokens: () => {
      for (const key of imsTokens.keys()) imsTokens.set(key, 0);
    },
    currentToken: () => token,
    authEnabled: () => authOn,
    reset: () => {
      accounts.clear();
      batches.clear();
      batchOrder.clear();
      requests.length = 0;
      rateCalls.clear();
      failures = { count: 0, status: 503 };
      delayMs = 0;
      drops = 0;
      stuckNext = false;
    },
  };
  return emulator;
}
