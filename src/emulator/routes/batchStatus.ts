import type * as http from 'http';
import { escapeXmlText } from '../../core/target/xml';
import { xmlResponse } from '../http';
import type { Batch, EmulatorState } from '../state';

/**
 * A batch's status, `GET /m2/{client}/profile/batchStatus?batchId={id}[&showDetails=true]`: `incomplete`
 * until the status delay has passed, then `complete` (or `stuck` for ever when the control API said so).
 * The counts and failed rows show only once complete.
 */
export function handleBatchStatus(state: EmulatorState, res: http.ServerResponse, url: URL, clientCode: string): void {
  const batchId = url.searchParams.get('batchId') ?? '';
  const batch = findBatch(state, batchId);
  if (!batch || batch.clientCode !== clientCode) {
    // Adobe does not document the answer for an unknown or expired batchId; we assume 404 with
    // the failure shape of the other XML endpoints (`success` false and a `message`).
    return xmlResponse(
      res,
      404,
      `<response><success>false</success><message>${escapeXmlText(
        `Unknown or expired batchId '${batchId}': Target keeps the last ${state.batchRetention} batch statuses per client for at most ${Math.round(state.batchRetentionMs / 3_600_000)} hours`,
      )}</message></response>`,
    );
  }
  const status = batch.stuck ? 'stuck' : Date.now() >= batch.completesAt ? 'complete' : 'incomplete';
  const done = status === 'complete';
  const profiles = done
    ? batch.failed
        .map(
          (id) =>
            `    <profile>\n        <id>${escapeXmlText(id)}</id>\n        <status>failed</status>\n    </profile>\n`,
        )
        .join('')
    : '';
  if (url.searchParams.get('showDetails') !== 'true') {
    const head = `<batchId>${batch.id}</batchId><status>${status}</status><batchSize>${batch.rows}</batchSize>`;
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
    `<response>\n    <batchId>${batch.id}</batchId>\n    <status>${status}</status>\n    <batchSize>${batch.rows}</batchSize>\n` +
      `    <consumedCount>${count(batch.rows)}</consumedCount>\n    <successfulUpdates>${count(batch.successfulUpdates)}</successfulUpdates>\n` +
      `    <profilesNotFound>${count(batch.profilesNotFound)}</profilesNotFound>\n    <failedUpdates>${count(batch.failedUpdates)}</failedUpdates>\n` +
      `${profiles}</response>`,
  );
}

/** The batch, unless it is unknown or older than the retention time (then it is forgotten now). */
function findBatch(state: EmulatorState, batchId: string): Batch | undefined {
  const batch = state.batches.get(batchId);
  if (batch && Date.now() - batch.createdAt > state.batchRetentionMs) {
    state.batches.delete(batch.id);
    return undefined;
  }
  return batch;
}
