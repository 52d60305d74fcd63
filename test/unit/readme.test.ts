import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot } from '../support/repoRoot';

const root = repoRoot;

describe('README', () => {
  it('has the commands and settings tables package.json gives (scripts/readme-tables.js)', () => {
    const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'readme-tables.js'), '--check'], {
      encoding: 'utf8',
    });
    assert.strictEqual(result.status, 0, result.stderr);
  });

  it('opens with what the extension does, then the two commands, and shows only screenshots that exist', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const fromSource = readme.indexOf('## From source');
    assert.ok(fromSource > 0 && fromSource < 2500, 'a "From source" section near the top');
    assert.ok(readme.indexOf('## ') >= fromSource, 'nothing but the introduction before "From source"');
    const block = readme.slice(fromSource, readme.indexOf('\n## ', fromSource + 1));
    assert.ok(block.includes('npm start') && block.includes('npm test'));
    for (const [file] of readme.matchAll(/\btest\/[\w./-]+\.test\.ts\b/g)) {
      assert.ok(fs.existsSync(path.join(root, file)), `the README names ${file}, which does not exist`);
    }
    for (const [, image] of readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) {
      assert.ok(fs.existsSync(path.join(root, image)), `${image} is missing`);
    }
  });
});
