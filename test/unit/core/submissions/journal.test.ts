import * as assert from 'assert';
import {
  applyStatus,
  bulkVersionChoice,
  connectionNotes,
  isTracking,
  nextPollDelay,
  recoverAfterRestart,
  submissionState,
  type BatchSubmission,
  type UploadRecord,
} from '../../../../src/core/submissions/journal';

function submission(uploads: Partial<UploadRecord>[]): BatchSubmission {
  return {
    id: 's1',
    connectionId: 'c1',
    apiVersion: 'v2',
    sourceFile: '/tmp/x.batch',
    createdAt: 0,
    uploads: uploads.map((u, index) => ({ index, rows: 1, bytes: 10, state: 'pending', ...u })),
  };
}

describe('submission journal', () => {
  it('recovers an interrupted upload as maybe accepted and the ones after it as not sent', () => {
    const recovered = recoverAfterRestart(
      submission([
        { state: 'accepted', status: 'incomplete', batchStatus: 'u' },
        { state: 'uploading' },
        { state: 'pending' },
      ]),
    );
    assert.deepStrictEqual(
      recovered.uploads.map((u) => u.state),
      ['accepted', 'maybe-accepted', 'not-sent'],
    );
    assert.match(recovered.uploads[1].message!, /not sent again/);
  });

  it('leaves a settled submission untouched after a restart', () => {
    const settled = submission([{ state: 'accepted', status: 'complete' }]);
    assert.strictEqual(recoverAfterRestart(settled), settled);
  });

  it('tracks accepted uploads until complete, stuck or given up', () => {
    assert.ok(isTracking({ index: 0, rows: 1, bytes: 1, state: 'accepted', status: 'incomplete' }));
    assert.ok(!isTracking({ index: 0, rows: 1, bytes: 1, state: 'accepted', status: 'complete' }));
    assert.ok(!isTracking({ index: 0, rows: 1, bytes: 1, state: 'accepted', status: 'stuck' }));
    assert.ok(!isTracking({ index: 0, rows: 1, bytes: 1, state: 'accepted', status: 'incomplete', gaveUp: true }));
    assert.ok(!isTracking({ index: 0, rows: 1, bytes: 1, state: 'maybe-accepted' }));
  });

  it('summarises a submission by its worst upload', () => {
    assert.strictEqual(
      submissionState(
        submission([
          { state: 'accepted', status: 'complete' },
          { state: 'accepted', status: 'incomplete' },
        ]),
      ),
      'processing',
    );
    assert.strictEqual(
      submissionState(
        submission([
          { state: 'accepted', status: 'complete' },
          { state: 'accepted', status: 'stuck' },
        ]),
      ),
      'stuck',
    );
    assert.strictEqual(
      submissionState(submission([{ state: 'accepted', status: 'complete' }, { state: 'maybe-accepted' }])),
      'maybe-accepted',
    );
    assert.strictEqual(
      submissionState(
        submission([
          { state: 'accepted', status: 'complete' },
          { state: 'accepted', status: 'complete' },
        ]),
      ),
      'complete',
    );
    assert.strictEqual(submissionState(submission([{ state: 'not-sent' }])), 'not-sent');
    assert.strictEqual(submissionState(submission([{ state: 'failed' }, { state: 'not-sent' }])), 'failed');
    assert.strictEqual(submissionState(submission([{ state: 'uploading' }])), 'uploading');
  });

  it('applies a status answer and says when the state changed', () => {
    const upload: UploadRecord = { index: 0, rows: 2, bytes: 10, state: 'accepted', status: 'incomplete' };
    const same = applyStatus(upload, { batchId: 'b', status: 'incomplete', profiles: [] }, 5);
    assert.strictEqual(same.changed, false);
    assert.strictEqual(same.upload.lastPolledAt, 5);
    const done = applyStatus(
      upload,
      {
        batchId: 'b',
        status: 'complete',
        batchSize: 2,
        successfulUpdates: 1,
        failedUpdates: 1,
        profiles: [{ id: 'x', status: 'failed' }],
      },
      6,
    );
    assert.strictEqual(done.changed, true);
    assert.deepStrictEqual(done.upload.failedIds, ['x']);
    assert.strictEqual(done.upload.counters?.failedUpdates, 1);
    // The legacy per-profile answer has no status: the last known one stays.
    assert.strictEqual(applyStatus(upload, { batchId: 'b', status: '', profiles: [] }, 7).upload.status, 'incomplete');
  });

  it('backs off polls from min to max, longer after errors', () => {
    const u: UploadRecord = { index: 0, rows: 1, bytes: 1, state: 'accepted' };
    assert.deepStrictEqual(
      [0, 1, 2, 3, 10].map((n) => nextPollDelay(u, n, 1000, 5000)),
      [1000, 2000, 4000, 5000, 5000],
    );
    assert.strictEqual(nextPollDelay({ ...u, pollErrors: 2 }, 0, 1000, 30_000), 4000);
  });

  it('gives the connection-dependent notes TP040 and TP041', () => {
    assert.deepStrictEqual(
      connectionNotes('pcId', 'v2').map((n) => n.code),
      ['TP040'],
    );
    assert.deepStrictEqual(connectionNotes('thirdPartyId', 'v2'), []);
    assert.deepStrictEqual(
      connectionNotes('thirdPartyId', 'v1').map((n) => n.code),
      ['TP041'],
    );
  });

  it('asks the bulk API version only when the connection and the id column do not decide it', () => {
    assert.deepStrictEqual(bulkVersionChoice('v2', 'thirdPartyId'), { decided: 'v2' });
    assert.deepStrictEqual(bulkVersionChoice('v1', 'thirdPartyId'), { decided: 'v1' });
    assert.deepStrictEqual(bulkVersionChoice('v1', 'pcId'), { decided: 'v1' });
    assert.deepStrictEqual(bulkVersionChoice('v2', undefined), { decided: 'v2' });
    assert.deepStrictEqual(bulkVersionChoice('v2', 'pcId'), { ask: 'TP040', preferred: 'v2' });
  });
});
