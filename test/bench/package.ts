import * as fs from 'fs';
import * as path from 'path';
import { answer, loggedActivation, openWorkbench, packageVsix, runCommand } from '../browser/workbench';
import { repoRoot } from '../integration/host';
import type { Bench } from './harness';

/**
 * What a user downloads and waits for: the VSIX and bundle sizes, and the activation time of the
 * installed VSIX in a real VS Code (code-server), from the first line of the bundle to the end of
 * activate(), opening a batch file (onLanguage activation). Sizes and times are printed with their
 * goals; the activation time is the median of three fresh hosts.
 */
export const packageBench: Bench = {
  name: 'package: VSIX size, bundle size, activation time',
  async run() {
    const vsix = packageVsix();
    const vsixBytes = fs.statSync(vsix).size;
    const bundleBytes = fs.statSync(path.join(repoRoot, 'dist', 'extension.js')).size;
    const times: number[] = [];
    const loads: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const bench = await openWorkbench({
          installVsix: [vsix],
          extensionPath: '',
          files: { 'a.batch': 'batch=thirdPartyId,tier\nc1,gold\n' },
        });
        try {
          await runCommand(bench.page, 'Go to File...');
          await answer(bench.page, 'a.batch', 'a.batch');
          const logged = await loggedActivation(bench.server.dirs.userData);
          times.push(logged.total);
          loads.push(logged.moduleLoad);
        } finally {
          await bench.close();
        }
      }
    } finally {
      fs.rmSync(path.dirname(vsix), { recursive: true, force: true });
    }
    times.sort((a, b) => a - b);
    const activation = times[1];
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    return {
      name: this.name,
      lines: [
        `VSIX: ${kb(vsixBytes)} = ${(vsixBytes / (1.5 * 1024 * 1024)).toFixed(2)}x of the 1.5 MB goal`,
        `dist/extension.js (production): ${kb(bundleBytes)} = ${(bundleBytes / (400 * 1024)).toFixed(2)}x of the 400 KB goal`,
        `activation in code-server (median of ${times.length}: ${times.map((t) => t.toFixed(1)).join(', ')} ms): ${activation.toFixed(1)} ms = ${(activation / 50).toFixed(2)}x of the 50 ms goal (loading the bundle: ${loads.map((t) => t.toFixed(1)).join(', ')} ms)`,
      ],
    };
  },
};
