import * as assert from 'assert';
import { sampleProfiles, SAMPLE_CLIENT_CODE } from '../../src/emulator/samples';
import { startEmulator, type Emulator } from '../../src/emulator/server';
import { answer, enterProfileUpdate, openWorkbench, runCommand, screenshotPath, type Workbench } from './workbench';

/**
 * A person's first minutes, driven through the browser: the view shows the emulator connection, an
 * update goes out from the command palette, the notification says so, a bad batch file fills the
 * Problems panel. Its screenshots are the README's images (see screenshotPath).
 */
describe('the workbench, as a person uses it', function () {
  this.timeout(180_000);
  let emulator: Emulator;
  let bench: Workbench;

  before(async () => {
    emulator = await startEmulator({ seed: sampleProfiles, statusDelayMs: 2000 });
    bench = await openWorkbench({
      env: { TARGET_PROFILES_EMULATOR_URL: emulator.url },
      files: {
        'customers.batch': 'batch=thirdPartyId,profile.loyaltyTier,age\ncrm-1001,gold&silver,34\ncrm-1002,silver,4%\n',
      },
    });
  });

  after(async () => {
    await bench?.close();
    await emulator?.close();
  });

  it('shows the connection to the local emulator in the Target Profiles view', async () => {
    const { page } = bench;
    // The palette rather than the activity bar: a click on an icon whose view is already open closes it.
    await runCommand(page, 'Target Profiles: Focus on Connections View');
    const row = page.locator('.monaco-list-row', { hasText: 'Local emulator' });
    await row.waitFor({ timeout: 30_000 });
    // The name, then the client code (the host only when two connections share it; the rest is in the tooltip).
    assert.match((await row.textContent()) ?? '', new RegExp(`Local emulator.*${SAMPLE_CLIENT_CODE}`));
    await row.click();
    await page.locator('.monaco-list-row', { hasText: 'Recent updates' }).waitFor();
    await page.screenshot({ path: screenshotPath('tree-view.png') });
  });

  it('sends an update from the command palette and shows the notification', async () => {
    const { page } = bench;
    await runCommand(page, 'Target Profiles: Update Profile…');
    // The picture shows the id step: its number, the Back button and the prompt with an example.
    await enterProfileUpdate(page, 'thirdPartyId', 'crm-1001', 'loyaltyTier=platinum', () =>
      page.screenshot({ path: screenshotPath('update-palette.png') }).then(() => undefined),
    );
    await answer(page, '');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Profile update for crm-1001' });
    await toast.waitFor({ timeout: 30_000 });
    // Let the progress notification fade out so the picture shows the result alone.
    await page
      .locator('.notifications-toasts .notification-toast', { hasText: 'Updating profile' })
      .waitFor({ state: 'detached', timeout: 10_000 })
      .catch(() => undefined);
    await page.waitForTimeout(500);
    await page.screenshot({ path: screenshotPath('update-notification.png') });
    const profile = emulator.exportProfiles().find((p) => p.thirdPartyId === 'crm-1001');
    assert.strictEqual(profile?.attributes.loyaltyTier.value, 'platinum');
    // The update is listed under Recent updates.
    await page.locator('.monaco-list-row', { hasText: 'Recent updates' }).click();
    await page.locator('.monaco-list-row', { hasText: 'loyaltyTier=platinum' }).waitFor({ timeout: 15_000 });
  });

  it('shows batch-file problems in the Problems panel', async () => {
    const { page } = bench;
    await runCommand(page, 'Go to File...');
    await answer(page, 'customers.batch', 'customers.batch');
    await page
      .locator('.monaco-editor .view-lines', { hasText: 'batch=thirdPartyId' })
      .first()
      .waitFor({ timeout: 30_000 });
    await runCommand(page, 'View: Focus Problems');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'TP020' });
    await problem.first().waitFor({ timeout: 30_000 });
    const text = (await page.locator('.markers-panel').textContent()) ?? '';
    for (const code of ['TP004', 'TP020', 'TP021']) {
      assert.ok(text.includes(code), `${code} not in the Problems panel: ${text.slice(0, 500)}`);
    }
    await page.screenshot({ path: screenshotPath('problems-panel.png') });
  });
});
