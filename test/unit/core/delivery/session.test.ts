import * as assert from 'assert';
import { SESSION_LIFETIME_MS, SessionStore } from '../../../../src/core/delivery/session';

describe('delivery: one session per (connection, visitor)', () => {
  let now: number;
  let store: SessionStore;
  beforeEach(() => {
    now = 1_000_000;
    let n = 0;
    store = new SessionStore({ now: () => now }, () => `s${++n}`);
  });

  it('reuses the session of the same visitor within 30 minutes', () => {
    const first = store.session('demo', { thirdPartyId: 'crm-1001' });
    now += SESSION_LIFETIME_MS - 1;
    assert.strictEqual(store.session('demo', { thirdPartyId: 'crm-1001' }).sessionId, first.sessionId);
    // Each use restarts the 30 minutes.
    now += SESSION_LIFETIME_MS - 1;
    assert.strictEqual(store.session('demo', { thirdPartyId: 'crm-1001' }).sessionId, first.sessionId);
  });

  it('never shares a session between visitors, id kinds or connections', () => {
    const ids = new Set([
      store.session('demo', { thirdPartyId: 'crm-1001' }).sessionId,
      store.session('demo', { thirdPartyId: 'crm-1002' }).sessionId,
      store.session('demo', { pcId: 'crm-1001' }).sessionId,
      store.session('demo', { marketingCloudVisitorId: 'crm-1001' }).sessionId,
      store.session('other', { thirdPartyId: 'crm-1001' }).sessionId,
    ]);
    assert.strictEqual(ids.size, 5);
  });

  it('starts a new session after 30 minutes without use, and forgets what Target returned', () => {
    const first = store.session('demo', { thirdPartyId: 'crm-1001' });
    store.remember('demo', { thirdPartyId: 'crm-1001' }, { tntId: 'tnt.1_1', edgeHost: 'mboxedge1.tt.omtrdc.net' });
    assert.deepStrictEqual(store.session('demo', { thirdPartyId: 'crm-1001' }), {
      sessionId: first.sessionId,
      tntId: 'tnt.1_1',
      edgeHost: 'mboxedge1.tt.omtrdc.net',
    });
    now += SESSION_LIFETIME_MS;
    const next = store.session('demo', { thirdPartyId: 'crm-1001' });
    assert.notStrictEqual(next.sessionId, first.sessionId);
    assert.deepStrictEqual(next, { sessionId: next.sessionId });
  });

  it('forget drops the visitor session only', () => {
    const a = store.session('demo', { thirdPartyId: 'a' });
    const b = store.session('demo', { thirdPartyId: 'b' });
    store.forget('demo', { thirdPartyId: 'a' });
    assert.notStrictEqual(store.session('demo', { thirdPartyId: 'a' }).sessionId, a.sessionId);
    assert.strictEqual(store.session('demo', { thirdPartyId: 'b' }).sessionId, b.sessionId);
  });
});
