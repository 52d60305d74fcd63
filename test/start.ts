import { spawn, spawnSync } from 'child_process';
import * as path from 'path';
import { repoRoot, startCodeServer, workbenchUrl } from './integration/host';

/**
 * `npm start`: opens the extension under development in a real VS Code on the sample workspace.
 * Desktop VS Code when `code` is on PATH (and TP_CODE_SERVER is not set), otherwise code-server,
 * whose URL is printed for any browser on this machine.
 */
const sample = path.join(repoRoot, 'media', 'sample');

async function main(): Promise<void> {
  const hasCode = spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
  if (hasCode && !process.env.TP_CODE_SERVER) {
    console.log('Opening desktop VS Code with the extension under development...');
    spawn('code', ['--new-window', `--extensionDevelopmentPath=${repoRoot}`, sample], { stdio: 'inherit' });
    return;
  }
  const server = await startCodeServer();
  const url = workbenchUrl(server, sample, { extensionPath: repoRoot });
  console.log('\nTarget Profiles is running in code-server (VS Code in the browser).');
  console.log(`Open this URL in a browser on this machine:\n\n  ${url}\n`);
  console.log('Press Ctrl+C to stop.');
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
