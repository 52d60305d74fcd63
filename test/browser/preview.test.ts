import * as assert from 'assert';
import type { Page } from 'playwright-core';
import { sampleProfiles } from '../../src/emulator/samples';
import { startEmulator, type Emulator } from '../../src/emulator/server';
import {
  answer,
  enterProfileUpdate,
  openWorkbench,
  screenshotPath,
  waitForPrompt,
  type Workbench,
  screenshotIfFailed,
  startFlow,
  toast as toastOf,
} from './workbench';

/**
 * The QA flow of issue 15 in the browser, as a tester does it: preview what crm-1001 gets on home-hero,
 * update the profile to gold, and press the notification's Preview button to compare before and after.
 * Each step checks the text on the page (see screenshotPath for where its picture goes), so the test
 * fails when the report or the comparison stops showing what Target serves.
 */
describe('personalization preview: before and after an update', function () {
  this.timeout(240_000);
  let emulator: Emulator;
  let bench: Workbench;
  let page: Page;

  before(async function () {
    this.timeout(180_000);
    // The emulator's sample activities: silver crm-1001 gets "Everyone" on home-hero, gold visitors "Gold members".
    emulator = await startEmulator({ seed: sampleProfiles });
    bench = await openWorkbench({ env: { TARGET_PROFILES_EMULATOR_URL: emulator.url } });
    page = bench.page;
  });

  after(async () => {
    await bench?.close();
    await emulator?.close();
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !page) return;
    await screenshotIfFailed(page, 'preview', this.currentTest);
    await page.keyboard.press('Escape').catch(() => undefined);
  });

  const toast = (text: string | RegExp) => toastOf(page, text);

  it('previews crm-1001 on home-hero from the palette: the report shows "Everyone"', async () => {
    // With the one connection, the first question is already the id type (its text is a placeholder).
    await startFlow(page, 'Target Profiles: Preview Personalization…', 'Preview Personalization on Local emulator (1/');
    await answer(page, 'thirdPartyId', 'thirdPartyId');
    await waitForPrompt(page, 'thirdPartyId, e.g.');
    await answer(page, 'crm-1001');
    await waitForPrompt(page, 'The mboxes to preview');
    await answer(page, 'home-hero');
    await waitForPrompt(page, 'The page the visitor is on');
    await answer(page, '');
    // Options: prefetch, the first choice, counts nothing.
    await waitForPrompt(page, 'Execute (counts impressions)…');
    await answer(page, 'Prefetch', 'Prefetch (nothing counted)');
    // The report opens as a Markdown document named after the visitor.
    const tab = page.locator('.tab.active', { hasText: 'thirdPartyId crm-1001' });
    await tab.waitFor({ timeout: 60_000 });
    const report = page.locator('.editor-instance .monaco-editor .view-lines').first();
    await report.filter({ hasText: 'mbox `home-hero`' }).waitFor({ timeout: 30_000 });
    await report.filter({ hasText: 'Everyone' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: screenshotPath('preview-before.png') });
  });

  it('after Update Profile to gold, the Preview button compares "Everyone" with "Gold members"', async () => {
    await startFlow(page, 'Target Profiles: Update Profile…', '(1/3)');
    await enterProfileUpdate(page, 'thirdPartyId', 'crm-1001', 'loyaltyTier=gold');
    // An empty answer sends the update.
    await answer(page, '');
    const done = toast(/Profile update for crm-1001/);
    await done.waitFor({ timeout: 60_000 });
    await done.locator('.monaco-button', { hasText: /^Preview$/ }).click();

    const diff = page.locator('.monaco-diff-editor').first();
    await diff.waitFor({ timeout: 60_000 });
    await page.locator('.tab.active', { hasText: 'before ↔ after the update' }).waitFor({ timeout: 30_000 });
    // Before (left): what crm-1001 got as silver; after (right): the gold experience.
    const before = diff.locator('.editor.original .view-lines');
    const after = diff.locator('.editor.modified .view-lines');
    await before.filter({ hasText: 'Everyone' }).waitFor({ timeout: 30_000 });
    await after.filter({ hasText: 'Gold members' }).waitFor({ timeout: 30_000 });
    assert.doesNotMatch((await before.textContent()) ?? '', /Gold members/, 'the left side is the preview before');
    await page.screenshot({ path: screenshotPath('preview-compare.png') });
  });
});
