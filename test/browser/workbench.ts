import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  repoRoot,
  startCodeServer,
  workbenchUrl,
  type CodeServer,
  type StartOptions,
} from '../integration/host';

/** A code-server workbench open in headless Chromium, for tests that click as a person would. */
export interface Workbench {
  page: Page;
  server: CodeServer;
  workspace: string;
  close(): Promise<void>;
}

export async function openWorkbench(
  options: StartOptions & { extensionPath?: string; files?: Record<string, string> } = {},
): Promise<Workbench> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-browser-ws-'));
  for (const [name, content] of Object.entries(options.files ?? {})) {
    fs.writeFileSync(path.join(workspace, name), content);
  }
  const server = await startCodeServer(options);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-browser-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 850 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const url =
      options.extensionPath === ''
        ? workbenchUrl(server, workspace)
        : workbenchUrl(server, workspace, { extensionPath: options.extensionPath ?? repoRoot });
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // The activity bar is the last part to settle.
    await page.locator('.activitybar').waitFor({ timeout: 60_000 });
    return {
      page,
      server,
      workspace,
      close: async () => {
        await context?.close().catch(() => undefined);
        await server.stop();
        fs.rmSync(profile, { recursive: true, force: true });
        fs.rmSync(workspace, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await context?.close().catch(() => undefined);
    await server.stop();
    throw error;
  }
}

/**
 * Runs a command from the command palette by its title, as a user types it. F1 can be swallowed, or
 * the palette closed again, while a dialog or a notification still takes focus: then it is tried again.
 */
export async function runCommand(page: Page, title: string): Promise<void> {
  await findInPalette(page, title);
  await page.keyboard.press('Enter');
}

/**
 * Types `title` into the command palette and waits until a command row shows it, without running
 * it; retried like runCommand when the palette opens too early to take the text.
 */
export async function findInPalette(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('F1');
    const typed = await input
      .fill(`>${title}`, { timeout: 3000 })
      .then(() => row.waitFor({ timeout: 5000 }))
      .then(
        () => true,
        () => false,
      );
    if (typed) return;
    if (attempt === 4) throw new Error(`the command palette did not offer "${title}"`);
    await page.keyboard.press('Escape');
    await page.waitForTimeout(500);
  }
}

/**
 * Answers the open quick input (pick or input box) with `text` and Enter. An Enter that lands while
 * the widget is still settling is sometimes lost, so it is pressed again (at most three times) until
 * the widget moves on: another step, or closed.
 */
export async function answer(page: Page, text: string, waitForRow?: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input');
  await input.waitFor();
  await input.fill(text);
  if (waitForRow) {
    await widget
      .locator('.quick-input-list .monaco-list-row', { hasText: waitForRow })
      .first()
      .waitFor({ timeout: 30_000 });
  } else await page.waitForTimeout(150);
  const before = await widget.textContent();
  for (let attempt = 0; attempt < 3; attempt++) {
    await input.press('Enter');
    const moved = await page
      .waitForFunction(
        (previous) => {
          const w = (
            globalThis as unknown as {
              document: { querySelector(s: string): { textContent: string | null; offsetParent: unknown } | null };
            }
          ).document.querySelector('.quick-input-widget');
          return !w || !w.offsetParent || w.textContent !== previous;
        },
        before,
        { timeout: 3000 },
      )
      .then(() => true)
      .catch(() => false);
    if (moved) return;
  }
}

/**
 * Answers VS Code's own file dialog (the simple dialog code-server shows) with a full path. The
 * dialog fills in its starting folder asynchronously, so it is given time to, or it overwrites the path.
 */
export async function answerFileDialog(page: Page, file: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await page.waitForFunction(
    `(() => { const i = document.querySelector('.quick-input-widget input'); return i && i.value.endsWith('/'); })()`,
    undefined,
    { timeout: 15_000 },
  );
  // Even then the dialog may put its folder back while the path is typed: the path is typed until
  // it stays put for half a second, and only then answered.
  for (let attempt = 0; attempt < 5; attempt++) {
    await page.waitForTimeout(300);
    await input.fill(file);
    await page.waitForTimeout(500);
    if ((await input.inputValue()) === file) break;
  }
  await answer(page, file);
}

/** Waits until the quick input shows `text` (its title or prompt): the next step of a multi-step input. */
export async function waitForPrompt(page: Page, text: string | RegExp): Promise<void> {
  await page.locator('.quick-input-widget', { hasText: text }).first().waitFor({ timeout: 30_000 });
}

/** The notification toast showing `text`. */
export function toast(page: Page, text: string | RegExp) {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
}

/**
 * Runs a palette flow and waits for its first prompt. A command can be lost when a notification arrives
 * while the palette is typed in, or while the workbench still settles: with nothing shown, it is run once
 * more; any other question fails.
 */
export async function startFlow(page: Page, title: string, prompt: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  for (let attempt = 0; ; attempt++) {
    await runCommand(page, title);
    const shown = await waitForPrompt(page, prompt).then(
      () => true,
      () => false,
    );
    if (shown) return;
    const other = (await widget.isVisible()) ? await widget.textContent() : undefined;
    if (other !== undefined || attempt === 1) {
      throw new Error(`"${title}" did not show "${prompt}"${other !== undefined ? `, but: ${other}` : ''}`);
    }
  }
}

/** Saves the page to test-results/<prefix>-<test title>.png when `test` failed. */
export async function screenshotIfFailed(
  page: Page | undefined,
  prefix: string,
  test: { state?: string; title: string } | undefined,
): Promise<void> {
  if (test?.state !== 'failed' || !page) return;
  const dir = path.join(repoRoot, 'test-results');
  fs.mkdirSync(dir, { recursive: true });
  await page
    .screenshot({ path: path.join(dir, `${prefix}-${test.title.replace(/\W+/g, '-')}.png`) })
    .catch(() => undefined);
}

/**
 * Answers Update Profile's steps (id type, id, one name=value) and stops at the prompt for the next
 * pair, where an empty answer sends the update. `atIdStep` runs while the id prompt (its example
 * shown) waits for an answer, e.g. to take its picture.
 */
export async function enterProfileUpdate(
  page: Page,
  idType: string,
  id: string,
  pair: string,
  atIdStep?: () => Promise<void>,
): Promise<void> {
  await waitForPrompt(page, '(1/3)');
  await answer(page, idType, idType);
  await waitForPrompt(page, '(2/3)');
  // The prompt says what to enter, with an example.
  await waitForPrompt(page, `${idType}, e.g.`);
  await atIdStep?.();
  await answer(page, id);
  await waitForPrompt(page, '(3/3)');
  await answer(page, pair);
  await waitForPrompt(page, 'attribute(s) so far');
}

/**
 * Where a test saves a screenshot: test-results/screenshots/ (ignored), so a test run leaves the working
 * tree clean. `npm run screenshots` sets TP_SCREENSHOTS_DIR=media/screenshots to refresh the README's images.
 */
export function screenshotPath(name: string): string {
  const dir = path.resolve(repoRoot, process.env.TP_SCREENSHOTS_DIR || path.join('test-results', 'screenshots'));
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}

/** Packages the extension with `vsce package` (production build) into a temporary VSIX. */
export function packageVsix(): string {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tp-vsix-')), 'target-profiles.vsix');
  const result = spawnSync(
    process.execPath,
    [require.resolve('@vscode/vsce/vsce'), 'package', '--no-dependencies', '-o', out],
    {
      cwd: repoRoot,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`vsce package failed:\n${result.stdout}\n${result.stderr}`);
  const warnings = `${result.stdout}\n${result.stderr}`.split('\n').filter((l) => /WARNING|ERROR/.test(l));
  if (warnings.length) throw new Error(`vsce package warned:\n${warnings.join('\n')}`);
  return out;
}

/** The extension's log files under a code-server user-data folder (one per extension host). */
export function extensionLogs(userData: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name === 'Target Profiles.log') found.push(full);
    }
  };
  walk(path.join(userData, 'logs'));
  return found;
}

/** The activation time the extension logged, in ms, once it appears (and the module-load part). */
export async function loggedActivation(
  userData: string,
  timeoutMs = 30_000,
): Promise<{ total: number; moduleLoad: number }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const file of extensionLogs(userData)) {
      const match = /activation took ([\d.]+) ms \(module load ([\d.]+) ms\)/.exec(fs.readFileSync(file, 'utf8'));
      if (match) return { total: Number(match[1]), moduleLoad: Number(match[2]) };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the extension logged no activation time');
}

export async function loggedActivationMs(userData: string, timeoutMs = 30_000): Promise<number> {
  return (await loggedActivation(userData, timeoutMs)).total;
}

/** The button of the open modal dialog whose label matches `label`, once it is there. */
export async function dialogButton(
  page: Page,
  label: RegExp,
  timeoutMs = 60_000,
): Promise<ReturnType<Page['locator']>> {
  const button = page.locator('.monaco-dialog-box .dialog-buttons .monaco-button').filter({ hasText: label });
  await button.first().waitFor({ timeout: timeoutMs });
  return button.first();
}
