import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot } from '../support/repoRoot';

/**
 * The repository is cloned on its own: nothing in it may read or point to material kept next to it
 * (the team's shared folder). Facts about Adobe's APIs live in docs/target-api.md, examples in
 * test/fixtures/adobe.
 */
const root = repoRoot;

/** What is checked: the sources, tests, docs, scripts and build files that users clone. */
const checked = ['src', 'test', 'docs', 'scripts', '.ci', 'esbuild.js', 'package.json', 'README.md', 'CONTRIBUTING.md'];

// Built from parts, so that this file does not match its own patterns.
const shared = 'shared';
const forbidden = [`../${shared}`, `${shared}/spec`, `${shared}/notes`];

/** Files git tracks under `checked`; without git (an exported tree), every file found there. */
function trackedFiles(): string[] {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--', ...checked], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const files = out.split('\0').filter((f) => f !== '');
    if (files.length > 0) return files;
  } catch {
    // Not a git checkout: walk the folders instead.
  }
  const files: string[] = [];
  const walk = (rel: string) => {
    const full = path.join(root, rel);
    if (!fs.existsSync(full)) return;
    if (fs.statSync(full).isDirectory()) {
      for (const name of fs.readdirSync(full)) if (name !== 'node_modules') walk(path.join(rel, name));
    } else {
      files.push(rel);
    }
  };
  for (const entry of checked) walk(entry);
  return files;
}

/** Every `file:line: text` where one of `patterns` occurs. */
function findReferences(files: string[], read: (file: string) => string, patterns: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const text = read(file);
    if (!patterns.some((p) => text.includes(p))) continue;
    text.split('\n').forEach((line, i) => {
      if (patterns.some((p) => line.includes(p))) found.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  return found;
}

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

describe('the repository is self-contained', () => {
  it('finds the files to check', () => {
    const files = trackedFiles();
    for (const expected of ['package.json', 'docs/target-api.md', 'src/core/target/client.ts']) {
      assert.ok(files.includes(expected), `${expected} is not among the ${files.length} files checked`);
    }
  });

  it('reports a reference to the shared folder, and none in a file without one', () => {
    const texts: Record<string, string> = {
      'a.ts': `const spec = '../${shared}/spec/fixtures.json';`,
      'b.md': `See ${shared}/notes/x.md.\nfine`,
      'c.ts': '// shared services, shared memory',
    };
    assert.deepStrictEqual(
      findReferences(Object.keys(texts), (f) => texts[f], forbidden),
      [`a.ts:1: const spec = '../${shared}/spec/fixtures.json';`, `b.md:1: See ${shared}/notes/x.md.`],
    );
  });

  it('no tracked source, test, doc, script or build file reads or names the shared folder', () => {
    const files = trackedFiles().filter((f) => fs.existsSync(path.join(root, f)));
    const found = findReferences(files, (f) => fs.readFileSync(path.join(root, f), 'utf8'), forbidden);
    assert.deepStrictEqual(found, [], `files that point outside the repository:\n${found.join('\n')}`);
  });

  it('every pointer to a section of docs/target-api.md names one of its headings', () => {
    const doc = fs.readFileSync(path.join(root, 'docs', 'target-api.md'), 'utf8');
    const anchors = new Set([...doc.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1])));
    assert.ok(anchors.has('batch-status') && anchors.has('rate-limits'), 'the headings were not read');
    const broken: string[] = [];
    for (const file of trackedFiles().filter((f) => fs.existsSync(path.join(root, f)))) {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      for (const m of text.matchAll(/target-api\.md#([\w-]+)/g)) {
        if (!anchors.has(m[1])) broken.push(`${file}: #${m[1]}`);
      }
    }
    assert.deepStrictEqual(broken, []);
  });
});
