import * as fs from 'fs';
import * as path from 'path';

/**
 * The repository's root, found from the running bundle (dist/test/unit/...) by walking up to the
 * package.json, so a test file can move between folders without counting `..`s.
 */
export const repoRoot = (() => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'esbuild.js'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no repository root above ${__dirname}`);
  }
})();
