import { TargetClient } from '../core/target/client';
import { parseArgs } from './args';
import { CliCommand, ExitCode, UsageError, secretSafeIO } from './io';
import { UPDATE_OPTIONS, connectionFromArgs, idFromArgs, reportFailure, targetClient } from './update';

export const runFetch: CliCommand = async (argv, given) => {
  // The profile is printed as the server returned it: a server echoing the request must not print the token.
  const io = secretSafeIO(given);
  const args = parseArgs(argv, { ...UPDATE_OPTIONS, ecid: { type: 'string' } });
  const json = args.values.json === true;
  const id = idFromArgs(args, true);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  let client: TargetClient | undefined;
  try {
    client = targetClient(connectionFromArgs(args, io), io);
    const result = await client.fetchProfile(id, { signal: io.signal });
    if (!result.found) {
      // Not found is an answer about the input, not a failure of Target: exit 1 with its documented body.
      if (json) io.stdout(JSON.stringify({ status: result.status, message: result.message }) + '\n');
      else io.stderr(`target-profiles fetch: ${result.message}\n`);
      return ExitCode.inputErrors;
    }
    if (json) {
      io.stdout(JSON.stringify(result.profile) + '\n');
      return ExitCode.ok;
    }
    const profile = result.profile as {
      visitorId?: string;
      modifiedAt?: string;
      profileAttributes?: Record<string, { value?: unknown; modifiedAt?: string }>;
    };
    io.stdout(`Profile ${profile.visitorId ?? ''}${profile.modifiedAt ? `, modified ${profile.modifiedAt}` : ''}\n`);
    for (const [name, attribute] of Object.entries(profile.profileAttributes ?? {})) {
      io.stdout(`  ${name} = ${String(attribute.value)}${attribute.modifiedAt ? `  (${attribute.modifiedAt})` : ''}\n`);
    }
    return ExitCode.ok;
  } catch (error) {
    return reportFailure(io, 'fetch', error, json);
  } finally {
    await client?.close();
  }
};
