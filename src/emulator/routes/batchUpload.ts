import type * as http from 'http';
import { escapeXmlText } from '../../core/target/xml';
import { BatchReader, formDecode } from '../batchReader';
import { xmlResponse } from '../http';
import type { Account } from '../profiles';
import type { Batch, EmulatorState } from '../state';
import type { RequestRecord } from '../types';

/** A row that passed the checks, waiting for the whole upload to be accepted. */
interface StagedRow {
  key: 'pcId' | 'thirdPartyId';
  id: string;
  attributes: [string, string][];
}

interface ReadUpload {
  reader: BatchReader;
  staged: StagedRow[];
  /** Ids of rows that cannot be applied: an empty id, too many fields, or a thirdPartyId with `+` or `/`. */
  failed: string[];
  /** v1 rows whose profile does not exist. */
  profilesNotFound: number;
}

/**
 * The bulk upload, `POST /m2/{client}/profile/batchUpdate` (v1) and `.../v2/profile/batchUpdate` (v2):
 * a form field `batch` holding a CSV-like file whose first column is pcId or thirdPartyId. v1 updates
 * existing profiles only; v2 creates missing ones. The answer names the batch's status URL.
 */
export async function handleBatchUpload(
  state: EmulatorState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  clientCode: string,
  v2: boolean,
  record: RequestRecord,
): Promise<void> {
  const acct = state.profiles.account(clientCode);
  const stuck = state.stuckNext;
  state.stuckNext = false;
  const upload = await readUpload(req, acct, v2);
  record.bytes = upload.reader.bytes;
  const refused = refusal(state, upload.reader);
  if (refused !== undefined) {
    return xmlResponse(
      res,
      200,
      `<response>\n    <success>false</success>\n    <batchStatus></batchStatus>\n    <message>${escapeXmlText(refused)}</message>\n</response>`,
    );
  }
  const batch: Batch = {
    id: `${clientCode}-${Date.now()}-${++state.batchCounter}`,
    clientCode,
    createdAt: Date.now(),
    rows: upload.reader.rows,
    stuck,
    completesAt: Date.now() + state.statusDelayMs,
    successfulUpdates: 0,
    profilesNotFound: upload.profilesNotFound,
    failedUpdates: upload.failed.length,
    failed: v2 ? upload.failed : [],
    v2,
  };
  if (!stuck) applyRows(state, acct, batch, upload.staged);
  keepBatch(state, batch);
  const statusUrl = `${state.baseUrl}/m2/${clientCode}/profile/batchStatus?batchId=${batch.id}`;
  xmlResponse(
    res,
    200,
    `<response>\n    <success>true</success>\n    <batchStatus>${escapeXmlText(statusUrl)}</batchStatus>\n    <message>Batch submitted for processing</message>\n</response>`,
  );
}

/** Reads the body as it streams in, checking each row against the client code's profiles. */
async function readUpload(req: http.IncomingMessage, acct: Account, v2: boolean): Promise<ReadUpload> {
  const staged: StagedRow[] = [];
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
  return { reader, staged, failed, profilesNotFound };
}

/** Why Target would refuse the whole upload, or undefined when it takes it. */
function refusal(state: EmulatorState, reader: BatchReader): string | undefined {
  if (!reader.sawBatchField || !reader.header) {
    return 'Batch is empty: the body must start with batch= and a header row';
  }
  if (reader.header[0] !== 'pcId' && reader.header[0] !== 'thirdPartyId') {
    return `Invalid batch header: the first column must be pcId or thirdPartyId, not '${reader.header[0]}'`;
  }
  if (reader.bytes >= state.maxBatchBytes) {
    return `Batch file is too large: ${reader.bytes} bytes; it must be smaller than 50 MB`;
  }
  if (reader.rows > state.maxBatchRows) {
    return `Batch has too many rows: ${reader.rows}; at most 500000 rows are allowed per upload`;
  }
  return undefined;
}

/** Applies the staged rows and counts them into the batch; v2 creates the profiles v1 counts as not found. */
function applyRows(state: EmulatorState, acct: Account, batch: Batch, staged: StagedRow[]): void {
  for (const row of staged) {
    const index = row.key === 'pcId' ? acct.byPcId : acct.byThirdPartyId;
    let profile = index.get(row.id);
    if (!profile && !batch.v2) {
      batch.profilesNotFound++;
      continue;
    }
    profile ??= state.profiles.create(batch.clientCode, { [row.key]: row.id });
    state.profiles.applyAttributes(profile, row.attributes);
    batch.successfulUpdates++;
  }
}

/** Records the batch for its status route, forgetting the client code's oldest past the retention count. */
function keepBatch(state: EmulatorState, batch: Batch): void {
  state.batches.set(batch.id, batch);
  const order = state.batchOrder.get(batch.clientCode) ?? [];
  order.push(batch.id);
  // Adobe's legacy guide: Target keeps only the last 10 batch statuses per client
  // (docs/target-api.md#batch-status-retention).
  for (const old of order.splice(0, Math.max(0, order.length - state.batchRetention))) state.batches.delete(old);
  state.batchOrder.set(batch.clientCode, order);
}
