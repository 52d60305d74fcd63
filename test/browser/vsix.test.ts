import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from '../integration/host';
import {
  answer,
  loggedActivationMs,
  openWorkbench,
  packageVsix,
  runCommand,
  screenshotPath,
  type Workbench,
} from './workbench';

/** What the probe extension (test/fixtures/exports-probe) found in Target Profiles' exports. */
interface ProbeReport {
  found: boolean;
  active: boolean;
  exportsType: string;
  secretLike: string[];
  error?: string;
}

/** Packages the probe extension with `vsce package` into `folder`. */
function packageProbe(folder: string): string {
  const source = path.join(folder, 'exports-probe');
  fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'exports-probe'), source, { recursive: true });
  const out = path.join(folder, 'exports-probe.vsix');
  const result = spawnSync(
    process.execPath,
    [require.resolve('@vscode/vsce/vsce'), 'package', '--no-dependencies', '--skip-license', '-o', out],
    { cwd: source, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`vsce package (probe) failed:\n${result.stdout}\n${result.stderr}`);
  return out;
}

/**
 * The packaged artifact, not the development folder: `vsce package`, install the VSIX into a fresh
 * code-server, open a workspace with a batch file, and check from the browser that the problems
 * appear and the view renders. Installed beside it, a probe extension reads what it exports, as
 * any other extension a user installs can.
 */
describe('the packaged VSIX, installed', function () {
  this.timeout(240_000);
  let bench: Workbench;
  let vsix: string;
  let probeFolder: string;
  let probeReport: string;

  before(async () => {
    vsix = packageVsix();
    probeFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-probe-'));
    probeReport = path.join(probeFolder, 'report.json');
    bench = await openWorkbench({
      installVsix: [vsix, packageProbe(probeFolder)],
      extensionPath: '',
      settings: { 'exportsProbe.reportFile': probeReport },
      files: { 'export.batch': 'batch=mbox3rdPartyId,tier\ncrm-1,gold&silver\n' },
    });
  });

  after(async () => {
    await bench?.close();
    if (vsix) fs.rmSync(vsix, { force: true });
    if (probeFolder) fs.rmSync(probeFolder, { recursive: true, force: true });
  });

  it('exports nothing another extension could read a token, a client secret or state through', async () => {
    const deadline = Date.now() + 60_000;
    while (!fs.existsSync(probeReport) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.ok(fs.existsSync(probeReport), 'the probe extension wrote no report');
    const report = JSON.parse(fs.readFileSync(probeReport, 'utf8')) as ProbeReport;
    assert.strictEqual(report.error, undefined);
    // The probe reached the extension and activated it: an empty answer is not a failed look.
    assert.ok(report.found && report.active, JSON.stringify(report));
    assert.deepStrictEqual(
      { exportsType: report.exportsType, secretLike: report.secretLike.slice(0, 25) },
      { exportsType: 'undefined', secretLike: [] },
    );
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
