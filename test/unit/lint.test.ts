import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from '../support/repoRoot';

/** Runs a tool from node_modules/.bin in the repository, as `npm run lint` does. */
function tool(name: string, args: string[]) {
  const bin = path.join(repoRoot, 'node_modules', '.bin', name);
  return spawnSync(bin, args, { cwd: repoRoot, encoding: 'utf8' });
}

describe('npm run lint refuses', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-lint-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('an import cycle, even one closed by a type-only import', () => {
    fs.writeFileSync(path.join(dir, 'a.ts'), "import { b } from './b';\nexport const a = () => b;\n");
    fs.writeFileSync(
      path.join(dir, 'b.ts'),
      "import type { a } from './a';\nexport const b = 1;\nexport type A = typeof a;\n",
    );
    const result = tool('depcruise', [dir, '--config', '.dependency-cruiser.cjs']);
    assert.notStrictEqual(result.status, 0, 'dependency-cruiser accepted a cycle');
    assert.match(result.stdout, /no-cycle/);
    fs.writeFileSync(path.join(dir, 'b.ts'), 'export const b = 1;\n');
    assert.strictEqual(tool('depcruise', [dir, '--config', '.dependency-cruiser.cjs']).status, 0);
  });

  it('unformatted code', () => {
    const file = path.join(dir, 'messy.ts');
    fs.writeFileSync(file, 'export const x = {a:1,\n  b:2}\n');
    assert.notStrictEqual(tool('prettier', ['--check', file]).status, 0, 'prettier accepted unformatted code');
    fs.writeFileSync(file, 'export const x = { a: 1, b: 2 };\n');
    assert.strictEqual(tool('prettier', ['--check', file]).status, 0);
  });

  it('the editor imported under src/core', () => {
    const core = path.join(repoRoot, 'src', 'core');
    const files = fs.readdirSync(core, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length > 0);
    const result = tool('depcruise', ['src/core', '--config', '.dependency-cruiser.cjs']);
    assert.strictEqual(result.status, 0, result.stdout);
    // The rule itself: a file that imports vscode from src/core is refused.
    const probe = path.join(core, `lint-probe-${process.pid}.ts`);
    fs.writeFileSync(probe, "import * as vscode from 'vscode';\nexport const v = vscode;\n");
    try {
      const refused = tool('depcruise', [path.relative(repoRoot, probe), '--config', '.dependency-cruiser.cjs']);
      assert.notStrictEqual(refused.status, 0, 'dependency-cruiser accepted vscode under src/core');
      assert.match(refused.stdout, /core-is-editor-free/);
    } finally {
      fs.rmSync(probe, { force: true });
    }
  });
});
