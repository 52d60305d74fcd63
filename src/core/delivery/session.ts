import { randomUUID } from 'crypto';
import type { PreviewVisitor } from './request';

/**
 * Target routes Delivery calls to the edge that holds the visitor's profile by sessionId, and a session
 * lives 30 minutes there; one sessionId shared by two visitors makes their profiles "inconsistent and
 * unpredictable" (docs/target-api.md#delivery-api). So: one sessionId per (connection, visitor), reused
 * while it was used in the last 30 minutes (inferred: Target's session timer restarts with each call),
 * never handed to another visitor. The tntId and edgeHost Target returned ride along with it.
 */
export const SESSION_LIFETIME_MS = 30 * 60_000;

export interface PreviewSession {
  sessionId: string;
  /** The `id.tntId` Target returned for this visitor, sent in follow-up calls. */
  tntId?: string;
  /** The `edgeHost` that served the last call. */
  edgeHost?: string;
}

interface Entry extends PreviewSession {
  lastUsed: number;
}

/** A key that no two different visitors share: the id's kind is part of it. */
export function visitorKey(visitor: PreviewVisitor): string {
  if ('pcId' in visitor) return `tntId:${visitor.pcId}`;
  if ('thirdPartyId' in visitor) return `thirdPartyId:${visitor.thirdPartyId}`;
  return `marketingCloudVisitorId:${visitor.marketingCloudVisitorId}`;
}

export class SessionStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: { now(): number } = { now: () => Date.now() },
    private readonly newId: () => string = randomUUID,
  ) {}

  private key(connection: string, visitor: PreviewVisitor): string {
    return JSON.stringify([connection, visitorKey(visitor)]);
  }

  /** The visitor's session on `connection` (a connection id or client code), new when none is alive. */
  session(connection: string, visitor: PreviewVisitor): PreviewSession {
    const now = this.clock.now();
    this.forgetExpired(now);
    const key = this.key(connection, visitor);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { sessionId: this.newId(), lastUsed: now };
      this.entries.set(key, entry);
    }
    entry.lastUsed = now;
    const { sessionId, tntId, edgeHost } = entry;
    return { sessionId, ...(tntId !== undefined ? { tntId } : {}), ...(edgeHost !== undefined ? { edgeHost } : {}) };
  }

  /** Keeps what Target returned for the visitor's live session. */
  remember(connection: string, visitor: PreviewVisitor, returned: { tntId?: string; edgeHost?: string }): void {
    const entry = this.entries.get(this.key(connection, visitor));
    if (!entry) return;
    if (returned.tntId) entry.tntId = returned.tntId;
    if (returned.edgeHost) entry.edgeHost = returned.edgeHost;
  }

  /** Forgets the visitor's session, e.g. when the user wants a fresh one. */
  forget(connection: string, visitor: PreviewVisitor): void {
    this.entries.delete(this.key(connection, visitor));
  }

  private forgetExpired(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now - entry.lastUsed >= SESSION_LIFETIME_MS) this.entries.delete(key);
    }
  }
}
