import * as assert from 'assert';
import * as net from 'net';
import type { Locator, Page } from 'playwright-core';
import { sampleProfiles, SAMPLE_CLIENT_CODE } from '../../src/emulator/samples';
import { startEmulator, type Emulator } from '../../src/emulator/server';
import {
  answer,
  dialogButton,
  enterProfileUpdate,
  findInPalette,
  openWorkbench,
  runCommand,
  screenshotPath,
  waitForPrompt,
  type Workbench,
  screenshotIfFailed,
  startFlow,
  toast as toastOf,
} from './workbench';

/** A batch file as Excel writes it: CRLF line ends, a `profile.` header, edge spaces, raw `&` and `%`. */
const CRLF_BATCH = 'batch=thirdPartyId,profile.tier,note\r\ncrm-1, gold ,a&b\r\ncrm-2,silver,50%\r\n';
/** Errors that no fix removes: rows with more fields than the header has columns. */
const BROKEN_BATCH = 'batch=thirdPartyId,loyaltyTier,age\ncrm-1001,gold,34,extra\ncrm-1002,silver,34,x,y\n';
const GOOD_BATCH = 'batch=thirdPartyId,loyaltyTier\ncrm-1001,gold\ncrm-1002,silver\n';

/**
 * The editor flows of issue 18, walked through in the browser as a person would, one picture each
 * (see screenshotPath): each step checks on the page what its picture shows, so the test fails when
 * a flow goes back to asking a known answer, hiding a result, or naming the wrong thing.
 */
describe("editor flows that respect the user's time", function () {
  this.timeout(240_000);
  let emulator: Emulator;
  let bench: Workbench;
  let page: Page;
  let deadProxy: string;

  before(async function () {
    this.timeout(180_000);
    emulator = await startEmulator({ seed: sampleProfiles, statusDelayMs: 1000 });
    // A proxy address nothing listens on; the emulator on 127.0.0.1 is exempt through http.noProxy.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    deadProxy = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    await new Promise((resolve) => server.close(resolve));
    bench = await openWorkbench({
      env: { TARGET_PROFILES_EMULATOR_URL: emulator.url },
      settings: { 'http.proxy': deadProxy, 'http.noProxy': ['127.0.0.1'] },
      files: { 'crlf.batch': CRLF_BATCH, 'broken.batch': BROKEN_BATCH, 'good.batch': GOOD_BATCH },
    });
    page = bench.page;
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: bench.server.origin });
  });

  after(async () => {
    await bench?.close();
    await emulator?.close();
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !page) return;
    await screenshotIfFailed(page, 'editor-flows', this.currentTest);
    // Leave no half-answered question or menu for the next step.
    await page.keyboard.press('Escape').catch(() => undefined);
  });

  const toast = (text: string | RegExp) => toastOf(page, text);
  const row = (text: string | RegExp) => page.locator('.monaco-list-row', { hasText: text }).first();
  const quickInput = () => page.locator('.quick-input-widget');

  /** Closes the notifications on screen, so the next picture shows only its own. */
  async function clearNotifications(): Promise<void> {
    await runCommand(page, 'Notifications: Clear All Notifications');
    await page
      .locator('.notifications-toasts .notification-toast')
      .first()
      .waitFor({ state: 'detached', timeout: 10_000 })
      .catch(() => undefined);
  }

  async function focusView(): Promise<void> {
    // The palette rather than the activity bar: a click on an icon whose view is already open closes it.
    await runCommand(page, 'Target Profiles: Focus on Connections View');
    await row('Local emulator').waitFor({ timeout: 60_000 });
  }

  /** Expands a collapsed row (a click on an expanded one would collapse it). */
  async function expand(target: Locator): Promise<void> {
    await target.waitFor({ timeout: 30_000 });
    if ((await target.getAttribute('aria-expanded')) !== 'true') await target.click();
    await page.waitForFunction(
      (el) => (el as unknown as { getAttribute(n: string): string | null }).getAttribute('aria-expanded') === 'true',
      await target.elementHandle(),
      { timeout: 15_000 },
    );
  }

  /** Hovers `target` until its tooltip shows `text` (a hover that starts while another fades can be lost). */
  async function showTooltip(target: Locator, text: string): Promise<Locator> {
    const tooltip = page.locator('.monaco-hover, .workbench-hover', { hasText: text }).first();
    for (let attempt = 0; ; attempt++) {
      await page.mouse.move(700, 700);
      await target.hover();
      const shown = await tooltip.waitFor({ timeout: 5000 }).then(
        () => true,
        () => false,
      );
      if (shown) return tooltip;
      if (attempt === 3) throw new Error(`no tooltip with "${text}"`);
    }
  }

  async function openFile(name: string): Promise<void> {
    await runCommand(page, 'Go to File...');
    await answer(page, name, name);
    await page.locator('.tab.active', { hasText: name }).waitFor({ timeout: 30_000 });
    await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 30_000 });
  }

  it('starts with the connection to the local emulator in the view', async () => {
    await focusView();
  });

  it('Set Profile API Token… with one connection goes straight to the token box', async () => {
    const host = new URL(emulator.url).host;
    // The first thing shown is the password box for the one connection: no connection pick before it.
    await startFlow(page, 'Target Profiles: Set Profile API Token…', `Profile API token for Local emulator (${host})`);
    const widget = quickInput();
    assert.match((await widget.textContent()) ?? '', /Set Profile API Token/);
    assert.strictEqual(await widget.locator('input[type="password"]').count(), 1, 'the token box hides what is typed');
    assert.strictEqual(
      await widget.locator('.quick-input-list .monaco-list-row').count(),
      0,
      'no pick is shown with the token box',
    );
    await page.screenshot({ path: screenshotPath('flow-set-token.png') });
    await page.keyboard.press('Escape');
    await widget.waitFor({ state: 'hidden', timeout: 10_000 });
  });

  it('Update Profile: the id prompt shows an example and the recent id', async () => {
    await startFlow(page, 'Target Profiles: Update Profile…', '(1/3)');
    await enterProfileUpdate(page, 'thirdPartyId', 'crm-1002', 'loyaltyTier=gold');
    await answer(page, '');
    await toast('Profile update for crm-1002').waitFor({ timeout: 60_000 });
    await clearNotifications();

    await startFlow(page, 'Target Profiles: Update Profile…', '(1/3)');
    await waitForPrompt(page, '(1/3)');
    await answer(page, 'thirdPartyId', 'thirdPartyId');
    await waitForPrompt(page, '(2/3)');
    await waitForPrompt(page, 'thirdPartyId, e.g. crm-1001. Recent: crm-1002');
    // The recent id is offered as the answer, ready for Enter.
    assert.strictEqual(await quickInput().locator('input').inputValue(), 'crm-1002');
    await page.screenshot({ path: screenshotPath('flow-update-id.png') });
    await page.keyboard.press('Escape');
    await quickInput().waitFor({ state: 'hidden', timeout: 10_000 });
  });

  it('Cancel Running Requests says how many it stopped, and History shows a cancel, not a failure', async () => {
    // The emulator holds its answers back, so the update is still on its way when it is cancelled.
    emulator.setDelay(60_000);
    try {
      await startFlow(page, 'Target Profiles: Update Profile…', '(1/3)');
      await enterProfileUpdate(page, 'thirdPartyId', 'crm-1003', 'loyaltyTier=silver');
      await answer(page, '');
      await toast('Updating profile crm-1003').waitFor({ timeout: 30_000 });
      await runCommand(page, 'Target Profiles: Cancel Running Requests');
      await toast('Stopped 1 running request.').waitFor({ timeout: 30_000 });
      await toast('Profile update for crm-1003 cancelled').waitFor({ timeout: 30_000 });
    } finally {
      emulator.setDelay(0);
    }
    assert.strictEqual(
      await page.locator('.notifications-toasts .notification-toast', { hasText: 'failed' }).count(),
      0,
      'a cancel is not shown as a failure',
    );
    await focusView();
    await expand(row('Local emulator'));
    await expand(row('Recent updates'));
    const cancelled = row('tier=silver');
    await cancelled.waitFor({ timeout: 30_000 });
    assert.match((await cancelled.textContent()) ?? '', /Cancelled/);
    assert.strictEqual(await cancelled.locator('.codicon-circle-slash').count(), 1, 'the cancel icon');
    assert.strictEqual(await cancelled.locator('.codicon-error').count(), 0, 'not the red failure icon');
    // The row's tooltip says it in full (the description is cut at the default sidebar width).
    await showTooltip(cancelled.locator('.label-name'), 'Cancelled');
    await page.screenshot({ path: screenshotPath('flow-cancel.png') });
    await clearNotifications();
  });

  it('History: a look-up copies as cURL', async () => {
    await startFlow(page, 'Target Profiles: Fetch Profile…', '(1/2)');
    await answer(page, 'thirdPartyId', 'thirdPartyId');
    await waitForPrompt(page, '(2/2)');
    await answer(page, 'crm-1001');
    await quickInput().waitFor({ state: 'hidden', timeout: 30_000 });
    await focusView();
    await expand(row('Local emulator'));
    await expand(row('Profiles looked up'));
    const lookup = row(/^crm-1001/);
    await lookup.waitFor({ timeout: 30_000 });
    await lookup.hover();
    const copy = lookup.locator('.actions .action-label[aria-label="Copy as cURL"]');
    await copy.waitFor({ timeout: 15_000 });
    await page.evaluate('navigator.clipboard.writeText("")');
    await copy.click();
    let copied = '';
    const deadline = Date.now() + 15_000;
    while (!copied.includes('curl') && Date.now() < deadline) {
      copied = String(await page.evaluate('navigator.clipboard.readText()'));
      if (!copied.includes('curl')) await page.waitForTimeout(250);
    }
    assert.match(copied, /curl .*--fail-with-body/s);
    assert.ok(copied.includes(`/rest/v1/profiles/thirdPartyId/crm-1001?client=${SAMPLE_CLIENT_CODE}`), copied);
    // The picture shows what was copied, pasted into a new file.
    // Its exact row: "File: Compare New Untitled Text Files" matches the same words.
    await findInPalette(page, 'File: New Untitled Text File');
    await page
      .locator('.quick-input-list .monaco-list-row', {
        has: page.locator('.label-name', { hasText: /^File: New Untitled Text File$/ }),
      })
      .first()
      .click();
    await page.locator('.tab.active', { hasText: 'Untitled' }).waitFor({ timeout: 30_000 });
    await page.locator('.monaco-editor textarea').first().focus();
    await page.keyboard.press('Control+V');
    await page
      .locator('.monaco-editor .view-lines', { hasText: '--fail-with-body' })
      .first()
      .waitFor({ timeout: 15_000 });
    // Wrapped and from its start, so the picture shows the whole command.
    await page.keyboard.press('Alt+Z');
    await page.keyboard.press('Control+Home');
    await page
      .locator('.statusbar-item', { hasText: /^\s*Ln 1, Col 1\s*$/ })
      .first()
      .waitFor({ timeout: 10_000 });
    await lookup.hover();
    await page.screenshot({ path: screenshotPath('flow-copy-curl.png') });
  });

  it('a CRLF batch file: Ctrl+. offers "Fix all N problems in this file", which fixes it and makes it LF', async () => {
    await openFile('crlf.batch');
    const eol = page.locator('[id="status.editor.eol"]');
    await eol.filter({ hasText: /^\s*CRLF\s*$/ }).waitFor({ timeout: 30_000 });
    // The problems are there before the cursor goes to the first one.
    await page
      .locator('.monaco-editor .squiggly-error, .monaco-editor .squiggly-warning')
      .first()
      .waitFor({ timeout: 30_000 });
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+Home');
    await runCommand(page, 'Go to Next Problem (Error, Warning, Info)');
    await page.locator('.marker-widget').waitFor({ timeout: 15_000 });
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+.');
    const fixAll = page.locator('.action-widget .monaco-list-row', { hasText: /Fix all \d+ problems in this file/ });
    await fixAll.first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: screenshotPath('flow-fix-all.png') });
    // The keyboard, as the menu is used: the mouse is blocked while the menu opens.
    for (let i = 0; i < 10 && !(await fixAll.first().evaluate((e) => e.classList.contains('focused'))); i++) {
      await page.keyboard.press('ArrowDown');
    }
    await page.keyboard.press('Enter');
    await eol.filter({ hasText: /^\s*LF\s*$/ }).waitFor({ timeout: 30_000 });
    const fixed = page.locator('.monaco-editor .view-lines', { hasText: 'a%26b' });
    await fixed.waitFor({ timeout: 15_000 });
    const text = (await fixed.textContent()) ?? '';
    assert.ok(!text.includes('profile.'), `the profile. prefix is still there: ${text}`);
  });

  it('submitting a file with errors names the rule and line, with "Show Problems", before any question', async () => {
    await openFile('broken.batch');
    await runCommand(page, 'Target Profiles: Submit Batch File…');
    const refusal = toast(/broken\.batch has \d+ errors and was not submitted: TP\d{3} line \d+: /);
    await refusal.waitFor({ timeout: 60_000 });
    // Validation came first: no question (connection, API version) was asked.
    assert.strictEqual(await quickInput().isVisible(), false, 'a question was asked before the refusal');
    assert.strictEqual(await page.locator('.monaco-dialog-box').count(), 0, 'a dialog came before the refusal');
    const show = refusal.locator('.monaco-button', { hasText: 'Show Problems' });
    await show.waitFor({ timeout: 10_000 });
    await page
      .locator('.notifications-toasts .notification-toast', { hasText: 'Validating broken.batch' })
      .waitFor({ state: 'detached', timeout: 15_000 })
      .catch(() => undefined);
    await page.screenshot({ path: screenshotPath('flow-submit-refused.png') });
    await show.click();
    await page.locator('.markers-panel .monaco-list-row', { hasText: 'broken.batch' }).first().waitFor({
      timeout: 30_000,
    });
    await clearNotifications();
  });

  it('a successful submission shows the batch in the view, expanded and selected', async () => {
    // The view collapsed and out of sight: the submission must bring the batch into view.
    await focusView();
    await page.locator('.part.sidebar .action-label[aria-label="Collapse All"] >> visible=true').first().click();
    await row('Batches').waitFor({ state: 'detached', timeout: 15_000 });
    await runCommand(page, 'View: Show Explorer');
    await page.locator('.explorer-folders-view').waitFor({ timeout: 30_000 });
    await openFile('good.batch');
    await runCommand(page, 'Target Profiles: Submit Batch File…');
    await (await dialogButton(page, /^Submit$/)).click();
    await toast('upload(s) accepted').waitFor({ timeout: 60_000 });
    const batches = row('Batches');
    await page.waitForFunction(
      (el) => (el as unknown as { getAttribute(n: string): string | null }).getAttribute('aria-expanded') === 'true',
      await batches.elementHandle({ timeout: 30_000 }),
      { timeout: 30_000 },
    );
    const batch = page.locator('.monaco-list-row[aria-selected="true"]', { hasText: 'good.batch' });
    await batch.waitFor({ timeout: 30_000 });
    await page
      .locator('.notifications-toasts .notification-toast', { hasText: 'Submitting good.batch' })
      .waitFor({ state: 'detached', timeout: 15_000 })
      .catch(() => undefined);
    await page.screenshot({ path: screenshotPath('flow-submit-revealed.png') });
    // Tracked to the end before the next step, so its last notification does not land in another picture.
    await toast(/good\.batch is complete/).waitFor({ timeout: 60_000 });
    await clearNotifications();
  });

  it('Add Connection: numbered steps with Back, and "No credential" asks for no token', async () => {
    await startFlow(page, 'Target Profiles: Add Connection…', 'Add Target Connection (1/6)');
    assert.strictEqual(await quickInput().locator('.codicon-quick-input-back').isVisible(), false);
    await answer(page, SAMPLE_CLIENT_CODE);
    await waitForPrompt(page, 'Add Target Connection (2/6)');
    await quickInput().locator('.codicon-quick-input-back').waitFor({ timeout: 10_000 });
    await answer(page, 'Demo production');
    await waitForPrompt(page, 'Add Target Connection (3/6)');
    await answer(page, 'v2', 'v2');
    await waitForPrompt(page, 'Add Target Connection (4/6)');
    // Empty: the default https://demo.tt.omtrdc.net.
    await answer(page, '');
    await waitForPrompt(page, 'Add Target Connection (5/6)');
    await row('No credential').waitFor({ timeout: 10_000 });
    await quickInput().locator('.codicon-quick-input-back').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: screenshotPath('flow-add-connection.png') });
    await answer(page, 'No credential', 'No credential');
    // No token step after "No credential": the flow ends and the connection is in the view.
    await quickInput().waitFor({ state: 'hidden', timeout: 15_000 });
    await focusView();
    await row('Demo production').waitFor({ timeout: 30_000 });
  });

  it('connection rows: the host tells two connections of one client code apart; no credential warns', async () => {
    await focusView();
    const local = row('Local emulator');
    const demo = row('Demo production');
    await demo.waitFor({ timeout: 30_000 });
    assert.match((await local.textContent()) ?? '', new RegExp(`Local emulator\\s*${new URL(emulator.url).host}`));
    assert.match((await demo.textContent()) ?? '', /Demo production\s*demo\.tt\.omtrdc\.net · no token/);
    assert.strictEqual(await demo.locator('.codicon-warning').count(), 1, 'the warning icon');
    assert.strictEqual(await local.locator('.codicon-warning').count(), 0);
    const tooltip = await showTooltip(demo.locator('.label-name'), 'Credential: none');
    assert.match((await tooltip.textContent()) ?? '', /Set Profile API Token/);
    await page.screenshot({ path: screenshotPath('flow-connection-rows.png') });
    await page.mouse.move(700, 400);
  });

  it('an update through a proxy that is down names the proxy, not Target', async () => {
    await clearNotifications();
    // The new connection is active and its host is not exempt from http.proxy.
    await startFlow(page, 'Target Profiles: Update Profile…', '(1/3)');
    await enterProfileUpdate(page, 'thirdPartyId', 'crm-1001', 'loyaltyTier=gold');
    await answer(page, '');
    const error = toast(`Could not connect to the proxy ${deadProxy} for the profile update`);
    await error.waitFor({ timeout: 60_000 });
    const text = (await error.textContent()) ?? '';
    assert.match(text, /Profile update for crm-1001 failed/);
    assert.match(text, /nothing was sent to Target \(demo\.tt\.omtrdc\.net\)/);
    // The picture shows the message whole: the progress gone, the toast expanded.
    await page
      .locator('.notifications-toasts .notification-toast', { hasText: 'Updating profile' })
      .waitFor({ state: 'detached', timeout: 15_000 })
      .catch(() => undefined);
    await error.hover();
    const more = error.locator('.codicon-notifications-expand');
    if (await more.isVisible()) await more.click();
    await error
      .locator('.codicon-notifications-collapse')
      .waitFor({ timeout: 5000 })
      .catch(() => undefined);
    await page.screenshot({ path: screenshotPath('flow-proxy-down.png') });
  });
});
