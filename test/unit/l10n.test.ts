import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from '../support/repoRoot';

/**
 * Keeps the Spanish translations complete and in step with the English strings: the manifest's
 * (package.nls.json) and the runtime's (l10n/bundle.l10n.json, generated from the
 * `vscode.l10n.t(...)` calls by `npm run l10n:export`).
 */
const root = repoRoot;

type Messages = Record<string, string>;

function readMessages(relative: string): Messages {
  return JSON.parse(fs.readFileSync(path.join(root, relative), 'utf8')) as Messages;
}

/**
 * English strings whose Spanish is rightly the same text: product names, units and version names.
 * Anything else left identical is an untranslated string.
 */
const SAME_IN_SPANISH = new Set(['Target Profiles', 'Experience Cloud ID', 'bytes', 'v1', 'v2']);

/** The `{0}`-style placeholders of a message, sorted, so their order in the sentence may change. */
function placeholders(message: string): string[] {
  return (message.match(/\{\d+\}/g) ?? []).sort();
}

/** Parts that must come through a translation unchanged: `$(codicon)`s, `code` spans, `command:` links. */
function verbatimParts(message: string): string[] {
  return [
    ...(message.match(/\$\([\w~-]+\)/g) ?? []),
    ...(message.match(/`[^`]*`/g) ?? []),
    ...(message.match(/\]\((?:command:|https?:)[^)]*\)/g) ?? []),
  ].sort();
}

const pairs: { english: string; spanish: string }[] = [
  { english: 'package.nls.json', spanish: 'package.nls.es.json' },
  { english: 'l10n/bundle.l10n.json', spanish: 'l10n/bundle.l10n.es.json' },
];

describe('l10n', () => {
  for (const pair of pairs) {
    describe(`${pair.spanish} translates ${pair.english}`, () => {
      const en = readMessages(pair.english);
      const es = readMessages(pair.spanish);

      it('has every English key', () => {
        const missing = Object.keys(en).filter((k) => !Object.prototype.hasOwnProperty.call(es, k));
        assert.deepStrictEqual(missing, [], `keys without a Spanish translation in ${pair.spanish}`);
      });

      it('has no key that the English file lacks', () => {
        const stale = Object.keys(es).filter((k) => !Object.prototype.hasOwnProperty.call(en, k));
        assert.deepStrictEqual(stale, [], `keys in ${pair.spanish} that ${pair.english} no longer has`);
      });

      it('translates every string (no empty value, none left in English)', () => {
        const untranslated = Object.keys(en).filter((k) => {
          const value = es[k];
          if (value === undefined) return false; // reported by "has every English key"
          if (typeof value !== 'string' || value.trim() === '') return true;
          return value === en[k] && !SAME_IN_SPANISH.has(en[k]);
        });
        assert.deepStrictEqual(untranslated, [], `empty or untranslated values in ${pair.spanish}`);
      });

      it('keeps the placeholders {n} of every string', () => {
        const differing = Object.keys(en)
          .filter((k) => typeof es[k] === 'string')
          .filter((k) => placeholders(en[k]).join() !== placeholders(es[k]).join())
          .map((k) => `${k}: ${JSON.stringify(placeholders(en[k]))} vs ${JSON.stringify(placeholders(es[k]))}`);
        assert.deepStrictEqual(differing, [], `placeholders differ in ${pair.spanish}`);
      });

      it('keeps codicons, `code` and command links unchanged', () => {
        const differing = Object.keys(en)
          .filter((k) => typeof es[k] === 'string')
          .filter((k) => verbatimParts(en[k]).join('\n') !== verbatimParts(es[k]).join('\n'))
          .map((k) => `${k}: ${JSON.stringify(verbatimParts(en[k]))} vs ${JSON.stringify(verbatimParts(es[k]))}`);
        assert.deepStrictEqual(differing, [], `verbatim parts differ in ${pair.spanish}`);
      });
    });
  }

  it('gives every walkthrough page a Spanish version with the same code spans, commands and emphasis', () => {
    const en = readMessages('package.nls.json');
    const es = readMessages('package.nls.es.json');
    const pages = Object.keys(en).filter((k) => k.endsWith('.markdown'));
    assert.ok(pages.length >= 5, pages.join(', '));
    const manifest = fs.readFileSync(path.join(root, 'package.json'), 'utf8');
    for (const key of pages) {
      assert.ok(manifest.includes(`"%${key}%"`), `package.json does not use %${key}%`);
      assert.notStrictEqual(es[key], en[key], `${key} points Spanish readers to the English page`);
      const [english, spanish] = [en[key], es[key]].map((file) => fs.readFileSync(path.join(root, file), 'utf8'));
      const kept = (text: string) => [...verbatimParts(text), ...(text.match(/\*\*/g) ?? [])].sort();
      assert.deepStrictEqual(kept(spanish), kept(english), `${es[key]} vs ${en[key]}`);
    }
  });

  it('l10n/bundle.l10n.json is up to date with the vscode.l10n.t calls in src (run `npm run l10n:export`)', function () {
    this.timeout(120_000);
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-l10n-'));
    try {
      const cli = path.join(root, 'node_modules', '@vscode', 'l10n-dev', 'dist', 'cli.js');
      execFileSync(process.execPath, [cli, 'export', '--outDir', outDir, './src'], { cwd: root, stdio: 'pipe' });
      const exported = JSON.parse(fs.readFileSync(path.join(outDir, 'bundle.l10n.json'), 'utf8')) as Messages;
      const committed = readMessages('l10n/bundle.l10n.json');
      assert.deepStrictEqual(
        Object.keys(committed).filter((k) => !(k in exported)),
        [],
        'strings in l10n/bundle.l10n.json that src no longer uses',
      );
      assert.deepStrictEqual(
        Object.keys(exported).filter((k) => !(k in committed)),
        [],
        'strings used in src but missing from l10n/bundle.l10n.json',
      );
      assert.deepStrictEqual(committed, exported);
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  });
});
