import * as fs from 'fs';
import Mocha from 'mocha';
import * as path from 'path';

/**
 * The integration suite's entry, loaded by the VS Code extension host (code-server or desktop
 * through @vscode/test-electron): runs every bundled *.test.js next to it with mocha and
 * rejects when any test fails, which makes the host exit non-zero.
 */
export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const only = process.env.TP_GREP;
  if (only) mocha.grep(only);
  for (const file of fs.readdirSync(__dirname).sort()) {
    if (file.endsWith('.test.js')) mocha.addFile(path.join(__dirname, file));
  }
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} integration test(s) failed`);
}
