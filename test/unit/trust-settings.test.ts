import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot } from '../support/repoRoot';

/**
 * Workspace trust, from the manifest: a folder's .vscode/settings.json must not be able to redirect
 * requests (or relax what guards them). Every `targetProfiles.*` setting is `application` or
 * `machine` scoped, so VS Code ignores it in workspace settings, unless it is on the explicit list
 * of settings that only change what the editor shows or how it validates.
 */
const root = repoRoot;
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Settings a workspace may set: display and validation only, nothing that is sent or where it goes. */
const DISPLAY_ONLY = new Set([
  'targetProfiles.batch.filePatterns', // which files open as batch files
  'targetProfiles.batch.maxDiagnostics', // how many problems the Problems panel lists
  'targetProfiles.batch.validationDelay', // debounce of the problems as you type
]);

type Setting = { scope?: string; type?: string | string[] };

function settings(): [string, Setting][] {
  const configuration = [manifest.contributes.configuration].flat();
  return configuration.flatMap((c: { properties: Record<string, Setting> }) => Object.entries(c.properties));
}

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourcesUnder(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

describe('workspace trust: no setting of this extension can redirect requests', () => {
  it('every targetProfiles.* setting is application/machine scoped unless it is display-only', () => {
    const all = settings();
    assert.ok(all.length > 0);
    for (const [key, setting] of all) {
      assert.ok(key.startsWith('targetProfiles.'), key);
      // No scope means `window`: a workspace could set it.
      const scope = setting.scope ?? 'window';
      if (DISPLAY_ONLY.has(key)) continue;
      assert.ok(['application', 'machine'].includes(scope), `${key} is ${scope}-scoped: a workspace could set it`);
    }
    // The list is exact: a display-only entry that disappeared from the manifest is a stale exception.
    for (const key of DISPLAY_ONLY) {
      assert.ok(
        all.some(([k]) => k === key),
        `${key} is no longer contributed`,
      );
    }
  });

  it('no setting names a host, URL, proxy, token or certificate', () => {
    for (const [key] of settings()) {
      assert.doesNotMatch(
        key,
        /url|host|endpoint|proxy|token|secret|ssl|tls|cert|client(Code)?$|server/i,
        `${key} looks like it could redirect requests or carry a secret`,
      );
    }
  });

  it('the sources read only contributed targetProfiles settings (an undeclared one would be window-scoped)', () => {
    const declared = new Set(settings().map(([k]) => k.slice('targetProfiles.'.length)));
    const settingsModule = fs.readFileSync(path.join(root, 'src', 'contributions.ts'), 'utf8');
    const named = new Map<string, string>();
    for (const m of settingsModule.matchAll(/(\w+):\s*'([a-zA-Z.]+)'/g)) named.set(m[1], m[2]);
    const read: string[] = [];
    for (const file of sourcesUnder(path.join(root, 'src'))) {
      const text = fs.readFileSync(file, 'utf8');
      if (!/getConfiguration\(SETTINGS_SECTION/.test(text)) continue;
      for (const m of text.matchAll(/\.get<[^>]+>\('([^']+)'/g)) read.push(m[1]);
      for (const m of text.matchAll(/\.get<[^>]+>\(Settings\.(\w+)/g)) read.push(named.get(m[1]) ?? `Settings.${m[1]}`);
    }
    // The http.* reads (proxy) are VS Code's own settings, not under SETTINGS_SECTION.
    const ours = read.filter(
      (k) => !['proxy', 'proxySupport', 'proxyStrictSSL', 'noProxy', 'proxyAuthorization'].includes(k),
    );
    assert.ok(ours.length >= 5, `found ${ours.join(', ')}`);
    for (const key of ours) assert.ok(declared.has(key), `targetProfiles.${key} is read but not contributed`);
  });
});
