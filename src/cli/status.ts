import { TargetClient } from '../core/target/client';
import { BatchStatus } from '../core/target/xml';
import { parseArgs } from './args';
import { CliCommand, ExitCode, UsageError } from './io';
import { connectionFromArgs, reportFailure, targetClient } from './update';

/** The status as cli.md prints it: counters only when details were asked for, per-profile entries when any. */
export function statusJson(status: BatchStatus, details: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { batchId: status.batchId, status: status.status, batchSize: status.batchSize };
  if (details) {
    for (const name of ['consumedCount', 'successfulUpdates', 'profilesNotFound', 'failedUpdates'] as const) {
      if (status[name] !== undefined) out[name] = status[name];
    }
  }
  if (status.profiles.length > 0) out.profiles = status.profiles;
  return out;
}

export function statusLine(status: BatchStatus): string {
  const counters = (['consumedCount', 'successfulUpdates', 'profilesNotFound', 'failedUpdates'] as const)
    .filter((n) => status[n] !== undefined)
    .map((n) => `${n} ${status[n]}`);
  const size = status.batchSize !== undefined ? `, ${status.batchSize} rows` : '';
  return `${status.batchId}: ${status.status || 'unknown'}${size}${counters.length ? ` (${counters.join(', ')})` : ''}`;
}

export const runStatus: CliCommand = async (argv, io) => {
  const args = parseArgs(argv, { details: { type: 'boolean' }, json: { type: 'boolean' } });
  const json = args.values.json === true;
  const details = args.values.details === true;
  if (args.positionals.length !== 1) throw new UsageError('give the batch status URL that submit printed');
  const url = args.positionals[0];
  // The URL names its own host and client code (/m2/CODE/...): that is the connection to use.
  const code = /\/m2\/([^/?#]+)\//.exec(url)?.[1];
  if (!code) {
    throw new UsageError(
      `'${url}' is not a Target batch status URL (expected .../m2/CLIENT/profile/batchStatus?batchId=...)`,
    );
  }
  let client: TargetClient | undefined;
  try {
    const origin = URL.canParse(url) ? new URL(url).origin : url;
    client = targetClient(connectionFromArgs({ values: { client: code, 'base-url': origin } }, io), io);
    const status = await client.batchStatus(url, { details, signal: io.signal });
    if (json) io.stdout(JSON.stringify(statusJson(status, details)) + '\n');
    else {
      io.stdout(statusLine(status) + '\n');
      for (const p of status.profiles) io.stdout(`  ${p.id}: ${p.status}\n`);
    }
    return ExitCode.ok;
  } catch (error) {
    return reportFailure(io, 'status', error, json);
  } finally {
    await client?.close();
  }
};
