import { spawn, spawnSync } from 'child_process';
import * as path from 'path';
import { sampleProfiles, SAMPLE_CLIENT_CODE } from '../src/emulator/samples';
import { startEmulator } from '../src/emulator/server';
import { repoRoot, startCodeServer, workbenchUrl } from './integration/host';

/**
 * `npm start`: the local Target emulator with sample profiles, and the extension under development
 * in a real VS Code on the sample workspace, with a connection to the emulator already set up
 * (TARGET_PROFILES_EMULATOR_URL tells the extension where it is). Desktop VS Code when `code` is
 * on PATH (and TP_CODE_SERVER is not set), otherwise code-server, whose URL is printed.
 */
const sample = path.join(repoRoot, 'media', 'sample');

async function main(): Promise<void> {
  const emulator = await startEmulator({
    port: Number(process.env.TP_EMULATOR_PORT ?? 0),
    seed: sampleProfiles,
    statusDelayMs: 3000,
  });
  const env = { TARGET_PROFILES_EMULATOR_URL: emulator.url };
  console.log(
    `Local Target emulator: ${emulator.url} (client code ${SAMPLE_CLIENT_CODE}; sample profiles crm-1001, crm-1002)`,
  );
  const hasCode = spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
  let stop: () => Promise<void>;
  if (hasCode && !process.env.TP_CODE_SERVER) {
    console.log('Opening desktop VS Code with the extension under development...');
    const child = spawn('code', ['--new-window', '--wait', `--extensionDevelopmentPath=${repoRoot}`, sample], {
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    stop = async () => {
      child.kill();
    };
    child.once('exit', () => void shutdown());
  } else {
    const server = await startCodeServer({ env });
    const url = workbenchUrl(server, sample, { extensionPath: repoRoot });
    console.log('\nTarget Profiles is running in code-server (VS Code in the browser).');
    console.log(`Open this URL in a browser on this machine:\n\n  ${url}\n`);
    console.log('The "Local emulator" connection is ready in the Target Profiles view. Press Ctrl+C to stop.');
    stop = () => server.stop();
  }
  const shutdown = async () => {
    await stop();
    await emulator.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
