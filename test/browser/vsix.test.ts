import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  answer,
  loggedActivationMs,
  openWorkbench,
  packageVsix,
  runCommand,
  screenshotPath,
  type Workbench,
} from './workbench';

/**
 * The packaged artifact, not the development folder: `vsce package`, install the VSIX into a fresh
 * code-server, open a workspace with a batch file, and check from the browser that the problems
 * appear and the view renders.
 */
describe('the packaged VSIX, installed', function () {
  this.timeout(240_000);
  let bench: Workbench;
  let vsix: string;

  before(async () => {
    vsix = packageVsix();
    bench = await openWorkbench({
      installVsix: [vsix],
      extensionPath: '',
      files: { 'export.batch': 'batch=mbox3rdPartyId,tier\ncrm-1,gold&silver\n' },
    });
  });

  after(async () => {
    await bench?.close();
    if (vsix) fs.rmSync(vsix, { force: true });
  });

  it('is small and holds only what it needs', () => {
    const size = fs.statSync(vsix).size;
    assert.ok(size < 1.5 * 1024 * 1024, `${size} bytes`);
  });

  it('was installed with every file its bundle loads later (dist/undici.js on the first request)', () => {
    const installed = fs
      .readdirSync(bench.server.dirs.extensions)
      .find((d) => d.startsWith('target-profiles-team.target-profiles-'));
    assert.ok(installed, 'the extension folder');
    const dist = path.join(bench.server.dirs.extensions, installed, 'dist');
    const bundle = fs.readFileSync(path.join(dist, 'extension.js'), 'utf8');
    const later = [...bundle.matchAll(/require\("\.\/([\w.-]+)"\)/g)].map((m) => m[1]);
    assert.ok(later.includes('undici.js'), later.join(', '));
    for (const file of later) assert.ok(fs.existsSync(path.join(dist, file)), `${file} is missing from the VSIX`);
  });

  it('shows batch-file problems in the Problems panel', async () => {
    const { page } = bench;
    await runCommand(page, 'Go to File...');
    await answer(page, 'export.batch', 'export.batch');
    await runCommand(page, 'View: Focus Problems');
    await page.locator('.markers-panel .monaco-list-row', { hasText: 'TP020' }).first().waitFor({ timeout: 60_000 });
    const text = (await page.locator('.markers-panel').textContent()) ?? '';
    assert.ok(text.includes('TP002'), text.slice(0, 400));
    // The installed extension logs how long its activation took.
    assert.ok((await loggedActivationMs(bench.server.dirs.userData)) > 0);
  });

  it('renders the Target Profiles view with its welcome content', async () => {
    const { page } = bench;
    // The palette rather than the activity bar: a click on an icon whose view is already open closes it.
    await runCommand(page, 'Target Profiles: Focus on Connections View');
    await page.locator('.welcome-view-content', { hasText: 'Add Connection' }).first().waitFor({ timeout: 30_000 });
    assert.ok(
      await page
        .locator('.welcome-view-content a, .welcome-view-content .monaco-button', {
          hasText: 'Try with the local emulator',
        })
        .first()
        .isVisible(),
    );
    await page.screenshot({ path: screenshotPath('welcome-view.png') });
  });
});
