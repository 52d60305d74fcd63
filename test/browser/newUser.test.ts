import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, repoRoot } from '../integration/host';
import {
  answer,
  answerFileDialog,
  enterProfileUpdate,
  runCommand,
  screenshotIfFailed,
  screenshotPath,
  toast as toastOf,
} from './workbench';

/**
 * A new user's first minute, scripted: `npm start` (from this checkout, as from a clean clone) opens
 * the extension against the emulator; the walkthrough's steps are followed by clicking their buttons
 * and each one succeeds, with screenshots of the way (see screenshotPath).
 */
describe('a new user: npm start and the walkthrough', function () {
  this.timeout(300_000);
  let start: ChildProcess;
  let context: BrowserContext;
  let page: Page;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-newuser-'));

  before(async () => {
    start = spawn('npm', ['start'], {
      cwd: repoRoot,
      env: { ...process.env, TP_CODE_SERVER: '1' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start printed no URL:\n${output}`)), 120_000);
      const read = (d: Buffer) => {
        output += d.toString();
        const match = /^\s+(http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+)$/m.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      start.stdout!.on('data', read);
      start.stderr!.on('data', read);
      start.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${output}`)));
    });
    assert.match(output, /Local Target emulator: http:\/\/127\.0\.0\.1:\d+ \(client code demo/);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 850 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url);
    await page.locator('.activitybar').waitFor({ timeout: 60_000 });
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    if (start?.pid) {
      try {
        process.kill(-start.pid, 'SIGINT');
      } catch {
        // Already gone.
      }
      await new Promise((r) => setTimeout(r, 1500));
      try {
        process.kill(-start.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    fs.rmSync(profile, { recursive: true, force: true });
  });

  afterEach(async function () {
    await screenshotIfFailed(page, 'new-user', this.currentTest);
  });

  const step = (title: string) => page.locator('.getting-started-step', { hasText: title }).first();
  const toast = (text: string | RegExp) => toastOf(page, text);

  async function openStep(title: string): Promise<void> {
    await step(title).locator('.step-title, h3').first().click();
    await page.waitForTimeout(300);
  }

  async function clickStepButton(title: string, button: string): Promise<void> {
    await openStep(title);
    await step(title).locator('.monaco-button, a', { hasText: button }).first().click();
  }

  async function openRecentUpdates(): Promise<void> {
    await runCommand(page, 'Target Profiles: Focus on Connections View');
    const recent = page.locator('.monaco-list-row', { hasText: 'Recent updates' }).first();
    if (!(await recent.isVisible())) {
      await page.locator('.monaco-list-row', { hasText: 'Local emulator' }).first().click();
    }
    if ((await recent.getAttribute('aria-expanded')) !== 'true') await recent.click();
  }

  async function stepDone(title: string): Promise<void> {
    // Runs in the page: a string keeps DOM types out of this Node project's compiler settings.
    await page.waitForFunction(
      `[...document.querySelectorAll('.getting-started-step')].some((e) => e.textContent.includes(${JSON.stringify(title)}) && e.querySelector('.codicon-getting-started-step-checked'))`,
      undefined,
      { timeout: 30_000 },
    );
  }

  it('opens with the emulator connection ready in the Target Profiles view', async () => {
    // The palette rather than the activity bar: a click on an icon whose view is already open closes it.
    await runCommand(page, 'Target Profiles: Focus on Connections View');
    await page.locator('.monaco-list-row', { hasText: 'Local emulator' }).waitFor({ timeout: 60_000 });
  });

  it('opens the walkthrough', async () => {
    await runCommand(page, 'Welcome: Open Walkthrough...');
    await answer(page, 'Get started with Target Profiles', 'Get started with Target Profiles');
    await step('Connect to Target').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: screenshotPath('walkthrough.png') });
  });

  it('step 1: connects to the local emulator', async () => {
    await clickStepButton('Connect to Target', 'Try with the local emulator');
    await toast('The local emulator runs at').waitFor({ timeout: 30_000 });
    await stepDone('Connect to Target');
  });

  it('step 2: sends a profile update', async () => {
    await clickStepButton('Send a profile update', 'Update Profile');
    await enterProfileUpdate(page, 'thirdPartyId', 'crm-1001', 'loyaltyTier=gold');
    await answer(page, '');
    await toast('Profile update for crm-1001').waitFor({ timeout: 30_000 });
    await stepDone('Send a profile update');
  });

  it('step 3: verifies that the update landed', async () => {
    await clickStepButton('Fetch and verify', 'Verify Update');
    // One update was sent, so Verify asks nothing: a pick with one option is not shown.
    await stepDone('Fetch and verify');
    // The outcome as the tree keeps it (a notification may already have faded): a passing verify.
    await openRecentUpdates();
    await page
      .locator('.monaco-list-row', { hasText: /verify · 1 match/ })
      .first()
      .waitFor({ timeout: 90_000 });
  });

  it('step 4: validates a batch file', async () => {
    await clickStepButton('Validate a batch file', 'Validate Batch File');
    await answerFileDialog(page, path.join(repoRoot, 'media', 'sample', 'customers.batch'));
    await toast(/customers\.batch: \d+ errors/).waitFor({ timeout: 30_000 });
    await stepDone('Validate a batch file');
  });

  it('step 5: submits the batch and follows it to complete', async () => {
    await clickStepButton('Submit a batch', 'Submit Batch File');
    await answerFileDialog(page, path.join(repoRoot, 'media', 'sample', 'customers.batch'));
    // A thirdPartyId file on a v2 connection: the API version is known, so the next question is the
    // confirmation.
    await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Submit' }).first().click({ timeout: 30_000 });
    await toast('upload(s) accepted').waitFor({ timeout: 60_000 });
    await stepDone('Submit a batch');
    // The new batch is revealed in the view (its connection and Batches expanded, the row selected) while
    // Target processes it, then complete.
    await page
      .locator('.monaco-list-row.selected', { hasText: 'customers.batch' })
      .first()
      .waitFor({ timeout: 30_000 });
    await page.screenshot({ path: screenshotPath('batch-in-progress.png') });
    await toast(/customers\.batch.* is complete/).waitFor({ timeout: 60_000 });
    await page
      .locator('.monaco-list-row', { hasText: /customers\.batch.*complete/ })
      .first()
      .waitFor({ timeout: 30_000 });
  });
});
