import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Commands } from '../../src/contributions';
import { repoRoot } from '../support/repoRoot';

/** Keeps package.json, the typed ids module and the features' registrations in step. */
const root = repoRoot;
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const nls = JSON.parse(fs.readFileSync(path.join(root, 'package.nls.json'), 'utf8'));

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourcesUnder(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

describe('contributions', () => {
  const contributed: string[] = manifest.contributes.commands.map((c: { command: string }) => c.command);
  const typed = Object.values(Commands) as string[];

  it('package.json contributes exactly the commands of the typed module', () => {
    assert.deepStrictEqual([...contributed].sort(), [...typed].sort());
  });

  it('every command is registered by a feature, and features register no other command', () => {
    const featureSource = sourcesUnder(path.join(root, 'src', 'features'))
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    // Features refer to commands through the typed module: `Commands.name`.
    const keyOf = new Map(Object.entries(Commands).map(([k, v]) => [v as string, k]));
    for (const id of contributed) {
      const key = keyOf.get(id)!;
      assert.match(
        featureSource,
        new RegExp(`registerCommand\\(\\s*Commands\\.${key}\\b`),
        `${id} is contributed but no feature registers it`,
      );
    }
    const registered = [...featureSource.matchAll(/registerCommand\(\s*(?:Commands\.(\w+)|'([^']+)')/g)].map((m) =>
      m[1] ? (Commands as Record<string, string>)[m[1]] : m[2],
    );
    for (const id of registered) {
      assert.ok(contributed.includes(id), `${id} is registered but not contributed in package.json`);
    }
  });

  it('every command has the Target Profiles category and a localised title', () => {
    for (const c of manifest.contributes.commands) {
      assert.strictEqual(c.category, 'Target Profiles', c.command);
      const key = /^%(.+)%$/.exec(c.title)?.[1];
      assert.ok(key && typeof nls[key] === 'string', `${c.command} title ${c.title} has no entry in package.nls.json`);
    }
  });

  it('activates implicitly, never on *', () => {
    assert.ok(!(manifest.activationEvents ?? []).includes('*'));
  });
});
