import * as assert from 'assert';
import { sampleProfiles } from '../../src/emulator/samples';
import { startEmulator, type Emulator } from '../../src/emulator/server';
import { answer, dialogButton, openWorkbench, runCommand, screenshotPath, type Workbench } from './workbench';

/**
 * Workspace trust in the real editor: a folder opened in Restricted Mode still lets a person update a
 * profile, but only after a modal asks "This workspace is not trusted. Send ...?": Cancel sends
 * nothing, Send sends it.
 */
describe('workspace trust in the browser', function () {
  this.timeout(240_000);
  let emulator: Emulator;
  let bench: Workbench;

  const updates = () => emulator.requests.filter((r) => r.route === 'update');

  async function updateProfile(value: string): Promise<void> {
    const { page } = bench;
    // The extension's own picker, not the closing palette; the first run after activation can lose
    // its picker to the focus change of the starting extension, so the command is run again (bounded).
    const picker = page.locator('.quick-input-widget .quick-input-title', { hasText: 'Update Profile' });
    for (let attempt = 1; ; attempt++) {
      await runCommand(page, 'Target Profiles: Update Profile…');
      const shown = await picker.waitFor({ timeout: 10_000 }).then(
        () => true,
        () => false,
      );
      if (shown) break;
      if (attempt === 3) throw new Error('the Update Profile picker never opened');
      await page.keyboard.press('Escape');
    }
    await answer(page, 'thirdPartyId');
    await answer(page, 'crm-1001');
    await answer(page, `loyaltyTier=${value}`);
    await answer(page, '');
  }

  before(async () => {
    emulator = await startEmulator({ seed: sampleProfiles });
    // The extension adds a "Local emulator" connection for this URL, as "Start Local Emulator" does.
    bench = await openWorkbench({
      workspaceTrust: true,
      env: { TARGET_PROFILES_EMULATOR_URL: emulator.url },
      files: { 'notes.txt': 'a folder nobody vouched for\n' },
    });
  });

  after(async () => {
    await bench?.close();
    await emulator?.close();
  });

  it('opens the folder in Restricted Mode when the trust dialog is answered "No"', async () => {
    const { page } = bench;
    const dontTrust = await dialogButton(page, /No, I don.t trust the authors/);
    await page.screenshot({ path: screenshotPath('trust-dialog.png') });
    await dontTrust.click();
    await page.locator('.monaco-dialog-box').waitFor({ state: 'detached', timeout: 15_000 });
    // The status bar and the banner say so.
    await page.locator('.statusbar', { hasText: 'Restricted Mode' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: screenshotPath('trust-restricted.png') });
  });

  it('asks before sending an update; Cancel sends nothing', async () => {
    const { page } = bench;
    const before = updates().length;
    await updateProfile('cancelled');
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'This workspace is not trusted. Send' });
    await dialog.waitFor({ timeout: 30_000 });
    const text = (await dialog.textContent()) ?? '';
    assert.match(text, /This workspace is not trusted\. Send .* to http:\/\/127\.0\.0\.1:\d+\?/);
    await page.screenshot({ path: screenshotPath('trust-send-modal.png') });
    await (await dialogButton(page, /^Cancel$/)).click();
    await dialog.waitFor({ state: 'detached', timeout: 15_000 });
    await page.waitForTimeout(1500);
    assert.strictEqual(updates().length, before, 'the update went out although the user cancelled');
    assert.strictEqual(
      emulator.exportProfiles().find((p) => p.thirdPartyId === 'crm-1001')?.attributes.loyaltyTier.value,
      'silver',
    );
  });

  it('sends the update when the user chooses Send', async () => {
    const { page } = bench;
    const before = updates().length;
    await updateProfile('gold');
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'This workspace is not trusted. Send' });
    await dialog.waitFor({ timeout: 30_000 });
    await (await dialogButton(page, /^Send$/)).click();
    await page
      .locator('.notifications-toasts .notification-toast', { hasText: 'Profile update for crm-1001' })
      .waitFor({ timeout: 30_000 });
    assert.strictEqual(updates().length, before + 1);
    assert.strictEqual(
      emulator.exportProfiles().find((p) => p.thirdPartyId === 'crm-1001')?.attributes.loyaltyTier.value,
      'gold',
    );
  });
});
