import { validateFile } from '../core/batch/validator';
import { oneBased } from './validate';
import { BatchSubmitError, BatchUpload, TargetClient } from '../core/target/client';
import { TargetError } from '../core/target/errors';
import { BatchStatus } from '../core/target/xml';
import { parseArgs } from './args';
import { CliCommand, CliIO, ExitCode, UsageError } from './io';
import { statusJson, statusLine } from './status';
import { connectionFromArgs, reportFailure, targetClient } from './update';

interface SubmittedBatch {
  rows: number;
  bytes: number;
  batchStatus: string;
  /** `submitted` until polled (without --wait), then Target's `complete`, `incomplete` or `stuck`. */
  status: string;
  details: Record<string, unknown> | null;
}

function submitted(upload: BatchUpload, status?: BatchStatus): SubmittedBatch {
  return {
    rows: upload.rows,
    bytes: upload.bytes,
    batchStatus: upload.batchStatus,
    status: status ? status.status : 'submitted',
    details: status ? statusJson(status, true) : null,
  };
}

function progress(io: CliIO, text: string): void {
  if (io.stderrIsTTY) io.stderr(`\r\x1b[K${text}`);
}

export const runSubmit: CliCommand = async (argv, io) => {
  const args = parseArgs(argv, {
    client: { type: 'string' },
    api: { type: 'string' },
    'base-url': { type: 'string' },
    wait: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const json = args.values.json === true;
  if (args.positionals.length !== 1) throw new UsageError('give exactly one batch file');
  const api = args.values.api ?? 'v2';
  if (api !== 'v1' && api !== 'v2') throw new UsageError(`--api must be v1 or v2, not '${api}'`);
  const file = args.positionals[0];
  let client: TargetClient | undefined;
  let accepted: BatchUpload[] = [];
  try {
    // Connection problems (bad client code, plain http to a remote host) are reported before reading the file.
    client = targetClient(connectionFromArgs(args, io, api), io);
    const validation = await validateFile(file, {
      signal: io.signal,
      onProgress: (read, total) => progress(io, `Checking ${file}: ${Math.floor((read / Math.max(total, 1)) * 100)}%`),
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EISDIR') {
        throw new TargetError(
          'usage',
          `Cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : 'it is a directory'}.`,
        );
      }
      throw error;
    });
    progress(io, '');
    const errors = validation.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) {
      // Positions are 0-based in the validator and 1-based for people and compilers' problem matchers.
      for (const d of errors) {
        io.stderr(`${file}:${d.line + 1}:${d.column + 1}: ${d.severity} ${d.code} ${d.message}\n`);
      }
      io.stderr(
        `target-profiles submit: ${file} has ${errors.length} error(s); nothing was sent. Run 'target-profiles validate ${file}' for all findings.\n`,
      );
      if (json) {
        io.stdout(JSON.stringify({ batches: [], diagnostics: errors.map(oneBased) }) + '\n');
      }
      return ExitCode.inputErrors;
    }
    accepted = await client.submitBatch(file, {
      signal: io.signal,
      onProgress: (e) =>
        progress(
          io,
          e.phase === 'planning'
            ? `Planning uploads: ${Math.floor((e.done / Math.max(e.total, 1)) * 100)}%`
            : `Uploaded ${e.done} of ${e.total}`,
        ),
    });
    progress(io, '');
    const statuses: (BatchStatus | undefined)[] = [];
    if (args.values.wait) {
      for (const [i, upload] of accepted.entries()) {
        statuses.push(
          await client.waitForBatch(upload.batchStatus, {
            details: true,
            signal: io.signal,
            onPoll: (s) => progress(io, `Batch ${i + 1} of ${accepted.length}: ${s.status}`),
          }),
        );
      }
      progress(io, '');
    }
    const batches = accepted.map((u, i) => submitted(u, statuses[i]));
    if (json) io.stdout(JSON.stringify({ batches }) + '\n');
    else {
      for (const [i, b] of batches.entries()) {
        io.stdout(
          `Upload ${i + 1} of ${batches.length}: ${b.rows} rows, ${b.bytes} bytes, status URL ${b.batchStatus}\n`,
        );
        if (statuses[i]) io.stdout(`  ${statusLine(statuses[i]!)}\n`);
      }
    }
    // A stuck batch is Target failing to process it: report it like a server failure.
    return statuses.some((s) => s?.status === 'stuck') ? ExitCode.network : ExitCode.ok;
  } catch (error) {
    progress(io, '');
    const done = error instanceof BatchSubmitError ? error.accepted : accepted;
    if (done.length > 0) {
      io.stderr(
        `target-profiles submit: ${done.length} upload(s) were accepted before the failure: ${done.map((u) => u.batchStatus).join(' ')}\n`,
      );
    }
    return reportFailure(io, 'submit', error, json, { batches: done.map((u) => submitted(u)) });
  } finally {
    await client?.close();
  }
};
