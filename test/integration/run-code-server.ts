import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { format } from 'util';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, repoRoot, startCodeServer, workbenchUrl } from './host';

/**
 * Runs the integration suite (dist/test/suite/index.js) inside a real VS Code: code-server serves
 * the workbench, headless Chromium opens it with the extension under development and the tests
 * path in the URL, and the workbench reports mocha's exit code through window.codeAutomationExit.
 * Mocha's output from the extension host is forwarded through window.codeAutomationLog.
 * Exits non-zero on any failure or timeout and always ends the processes it started.
 */
/** The workbench's own chatter about sockets and galleries; shown only with TP_VERBOSE=1. */
const WORKBENCH_NOISE =
  /^(Resolving connection token|Resolved connection token|Creating a socket|Ignoring fetching|\[Service Worker\]|ChatSessionStore|Updating additional builtin)/;

const TIMEOUT_MS = Number(process.env.TP_INTEGRATION_TIMEOUT_MS ?? 15 * 60_000);

function copyWorkspace(): string {
  // Tests edit files; they get a fresh copy of the fixture workspace every run.
  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-workspace-'));
  fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'workspace'), target, { recursive: true });
  return target;
}

async function main(): Promise<number> {
  const verbose = process.env.TP_VERBOSE === '1';
  const workspace = copyWorkspace();
  // The extension's debug lines (every request) are on, so the secrets test can read them.
  const server = await startCodeServer({ log: verbose ? (l) => console.log(l) : undefined, logLevels: ['debug'] });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-chromium-'));
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const exitCode = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
      timer = setTimeout(() => {
        console.error(`integration tests: no result within ${TIMEOUT_MS / 1000} s; giving up`);
        resolve(124);
      }, TIMEOUT_MS);
    });
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      // The host forwards console calls as their raw arguments; mocha's reporter uses printf-style ones.
      const text = format(...(Array.isArray(args) ? args : [args]));
      if (!verbose && WORKBENCH_NOISE.test(text)) return;
      if (type === 'error' || type === 'warn') process.stderr.write(text + '\n');
      else process.stdout.write(text + '\n');
    });
    if (verbose) page.on('console', (m) => console.log(`[browser] ${m.text()}`));
    page.on('pageerror', (e) => console.error(`[browser] ${e.message}`));
    const url = workbenchUrl(server, workspace, {
      extensionPath: repoRoot,
      testsPath: path.join(repoRoot, 'dist', 'test', 'suite', 'index.js'),
    });
    await page.goto(url);
    const code = await exitCode;
    if (code !== 0 && process.env.TP_SCREENSHOT_ON_FAILURE !== '0') {
      const shot = path.join(repoRoot, 'test-results', 'integration-failure.png');
      fs.mkdirSync(path.dirname(shot), { recursive: true });
      await page.screenshot({ path: shot }).catch(() => undefined);
      console.error(`integration tests failed (exit ${code}); screenshot: ${path.relative(repoRoot, shot)}`);
    }
    return code;
  } finally {
    if (timer) clearTimeout(timer);
    await context?.close().catch(() => undefined);
    await server.stop();
    fs.rmSync(profile, { recursive: true, force: true });
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
