import { ProfileTokenProvider, credentialsFromEnvironment } from '../core/auth/tokenProvider';
import { TargetClient, TargetClientOptions } from '../core/target/client';
import { ConnectionSettings, connectionFromEnvironment } from '../core/target/connection';
import { TargetError, describeTargetError } from '../core/target/errors';
import { parseArgs } from './args';
import { CliCommand, CliIO, ExitCode, UsageError } from './io';

/*
 * `update` and the helpers the other Target commands (fetch, submit, status) share: how a connection is
 * built from flags and environment, and how a failure becomes a message and an exit code.
 */

/**
 * The connection of `--client`/`--base-url`, with TARGET_BASE_URL and TARGET_PROFILE_TOKEN from the
 * environment; Developer Console credentials (TARGET_CLIENT_ID, ...) are checked here, before any request.
 */
export function connectionFromArgs(
  args: { values: { client?: string; 'base-url'?: string } },
  io: CliIO,
  apiVersion: 'v1' | 'v2' = 'v2',
): ConnectionSettings {
  const clientCode = args.values.client;
  if (clientCode === undefined) throw new UsageError('--client CODE is required');
  credentialsFromEnvironment(io.env);
  return connectionFromEnvironment({ clientCode, baseUrl: args.values['base-url'], apiVersion, env: io.env });
}

/**
 * One token provider per command run, so that the clients of one command (a scenario's v1 and v2) share
 * its IMS and profile tokens; they live in this process's memory only.
 */
const providers = new WeakMap<CliIO, ProfileTokenProvider>();

function tokenProviderFor(io: CliIO): ProfileTokenProvider | undefined {
  const credentials = credentialsFromEnvironment(io.env);
  if (!credentials) return undefined;
  let provider = providers.get(io);
  if (!provider) providers.set(io, (provider = new ProfileTokenProvider({ ...credentials, proxy: { env: io.env } })));
  return provider;
}

/** A client that also lets go of its token provider's connections when closed (they reopen when needed). */
class CliTargetClient extends TargetClient {
  constructor(
    options: TargetClientOptions,
    private readonly provider?: ProfileTokenProvider,
  ) {
    super(options);
  }

  override async close(): Promise<void> {
    await super.close();
    await this.provider?.close();
  }
}

/** A client for `connection`: the bearer is TARGET_PROFILE_TOKEN, or comes from the Developer Console credentials. */
export function targetClient(connection: ConnectionSettings, io: CliIO): TargetClient {
  const tokenProvider = tokenProviderFor(io);
  return new CliTargetClient(
    { connection, proxy: { env: io.env }, ...(tokenProvider ? { tokenProvider } : {}) },
    tokenProvider,
  );
}

/** Exit codes of cli.md: 2 usage, 1 input refused or success=false, 3 network or server failure. */
export function exitCodeFor(error: TargetError): number {
  if (error.kind === 'usage') return ExitCode.usage;
  if (error.kind === 'rejected' || error.kind === 'too-large') return ExitCode.inputErrors;
  return ExitCode.network;
}

/**
 * Prints a failure: the message on stderr and, with --json, `{"error":{kind,message}}` on stdout so a
 * script always gets one JSON document. Errors that are not TargetErrors are left to the dispatcher.
 */
export function reportFailure(
  io: CliIO,
  command: string,
  error: unknown,
  json: boolean,
  extra: Record<string, unknown> = {},
): number {
  if (!(error instanceof TargetError)) throw error;
  const message = describeTargetError(error, 'cli');
  io.stderr(`target-profiles ${command}: ${message}\n`);
  if (json) io.stdout(JSON.stringify({ ...extra, error: { kind: error.kind, message } }) + '\n');
  return exitCodeFor(error);
}

/** The profile id flags; exactly one must be given. */
export function idFromArgs(
  args: { values: { 'pc-id'?: string; 'third-party-id'?: string; ecid?: string } },
  allowEcid: boolean,
): { pcId: string } | { thirdPartyId: string } | { marketingCloudVisitorId: string } {
  const flags: ('pc-id' | 'third-party-id' | 'ecid')[] = allowEcid
    ? ['pc-id', 'third-party-id', 'ecid']
    : ['pc-id', 'third-party-id'];
  const given = flags.filter((f) => args.values[f] !== undefined);
  const names = allowEcid ? '--pc-id, --third-party-id or --ecid' : '--pc-id or --third-party-id';
  if (given.length !== 1) throw new UsageError(`give exactly one of ${names}`);
  const value = args.values[given[0]]!;
  if (given[0] === 'pc-id') return { pcId: value };
  if (given[0] === 'third-party-id') return { thirdPartyId: value };
  return { marketingCloudVisitorId: value };
}

/** The flags of `update`; `fetch` adds `--ecid`. */
export const UPDATE_OPTIONS = {
  client: { type: 'string' },
  'pc-id': { type: 'string' },
  'third-party-id': { type: 'string' },
  'base-url': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const runUpdate: CliCommand = async (argv, io) => {
  const args = parseArgs(argv, UPDATE_OPTIONS);
  const json = args.values.json === true;
  const id = idFromArgs(args, false) as { pcId: string } | { thirdPartyId: string };
  // Values are taken as typed; the client encodes them. Only the first `=` separates name and value.
  const attributes = args.positionals.map((pair): [string, string] => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`'${pair}' is not NAME=VALUE`);
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  });
  if (attributes.length === 0) throw new UsageError('give at least one NAME=VALUE');
  let client: TargetClient | undefined;
  try {
    client = targetClient(connectionFromArgs(args, io), io);
    const result = await client.updateProfile({ id, attributes }, { signal: io.signal });
    if (json) {
      io.stdout(
        JSON.stringify({ ok: result.success, method: result.method, status: result.status, message: result.message }) +
          '\n',
      );
    } else {
      const verdict = result.success ? 'Update accepted' : 'Update refused';
      io.stdout(`${verdict} (${result.method}, HTTP ${result.status})${result.message ? `: ${result.message}` : ''}\n`);
    }
    return result.success ? ExitCode.ok : ExitCode.inputErrors;
  } catch (error) {
    return reportFailure(io, 'update', error, json);
  } finally {
    await client?.close();
  }
};
