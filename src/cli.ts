import { commands } from './cli/commands';
import { CliIO, ExitCode, UsageError, processIO } from './cli/io';
import { onKernelFallback } from './core/batch/kernelFallback';

// esbuild inlines package.json's version, so `--version` needs no file next to the bundle.
import { version } from '../package.json';

function helpText(): string {
  const lines = [
    'target-profiles: Adobe Target profile updates, look-ups, batch files and personalization previews from the terminal.',
    '',
    'Usage: target-profiles <command> [options]',
    '',
    'Commands:',
    ...Object.values(commands).map(
      (c) => `  ${c.usage}\n      ${c.summary}${(c.options ?? []).map((o) => `\n        ${o}`).join('')}`,
    ),
    '',
    'Options for every command:',
    '  --help       show this help',
    '  --version    print the version',
    '',
    'Environment:',
    '  TARGET_PROFILE_TOKEN  profile API token, sent as "Authorization: Bearer ..." (never pass it as an argument)',
    '  TARGET_BASE_URL       replaces https://CLIENT.tt.omtrdc.net (an edge host or a local emulator)',
    '  TARGET_CLIENT_ID, TARGET_CLIENT_SECRET, TARGET_TENANT',
    '                        instead of TARGET_PROFILE_TOKEN: an Adobe Developer Console OAuth server-to-server',
    '                        credential; the token is fetched from Adobe IMS and the Target Admin API, in memory only',
    '  TARGET_PROPERTY_TOKEN property token of a Target Premium workspace, for preview (see --property-token-env)',
    '  TARGET_TRACE_TOKEN    mboxTrace authorization token for preview --trace',
    '  TARGET_SCOPES         IMS scopes, comma-separated (default: openid,AdobeID,target_sdk,...)',
    '  TARGET_IMS_URL, TARGET_ADMIN_URL',
    '                        replace https://ims-na1.adobelogin.com and https://mc.adobe.io (a local emulator)',
    '',
    'Exit codes: 0 success, 1 input errors or success=false, 2 usage error, 3 network or server failure.',
  ];
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(helpText());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${version}\n`);
    return ExitCode.ok;
  }
  const command = commands[name];
  if (!command) {
    io.stderr(`target-profiles: unknown command '${name}'. Run 'target-profiles --help' for the list.\n`);
    return ExitCode.usage;
  }
  if (rest.includes('--help')) {
    io.stdout(
      `Usage: target-profiles ${command.usage}\n  ${command.summary}\n${(command.options ?? []).map((o) => `    ${o}\n`).join('')}`,
    );
    return ExitCode.ok;
  }
  // A batch file validated without the WebAssembly kernel, or on one thread, is still validated
  // exactly, only slower: said once on stderr, where it cannot mix with the results.
  const stopFallbackNotes = onKernelFallback((fallback) => io.stderr(`target-profiles: note: ${fallback.message}\n`));
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`target-profiles ${name}: ${error.message}\nUsage: target-profiles ${command.usage}\n`);
      return ExitCode.usage;
    }
    // Anything else is a bug or an unexpected failure: say so plainly instead of a stack trace.
    io.stderr(`target-profiles ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.network;
  } finally {
    stopFallbackNotes();
  }
}

if (require.main === module) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const io = processIO(controller.signal);
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      io.stderr(`target-profiles: ${String(error)}\n`);
      process.exitCode = ExitCode.network;
    },
  );
}
