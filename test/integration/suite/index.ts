import * as fs from 'fs';
import Mocha from 'mocha';
import * as path from 'path';

/**
 * Scans everything the extension wrote or showed for the tests' token, so it must see what every
 * other file left behind: it is loaded last, whatever the names of the others.
 */
const RUNS_LAST = 'secrets.test.js';

/**
 * The integration suite's entry, loaded by the VS Code extension host (code-server or desktop
 * through @vscode/test-electron): runs every bundled *.test.js next to it with mocha and
 * rejects when any test fails, which makes the host exit non-zero.
 */
export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const only = process.env.TP_GREP;
  if (only) mocha.grep(only);
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js') && f !== RUNS_LAST);
  if (!fs.existsSync(path.join(__dirname, RUNS_LAST))) throw new Error(`${RUNS_LAST} is missing next to ${__filename}`);
  // Mocha runs top-level suites in the order their files were added.
  for (const file of [...files.sort(), RUNS_LAST]) mocha.addFile(path.join(__dirname, file));
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} integration test(s) failed`);
}
