import { spawn, spawnSync, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/**
 * Starts code-server (VS Code 1.100 with a Node extension host) on loopback with its own
 * profile folders, so a run never touches the user's home or another run. Shared by the test
 * runner, `npm start` and the browser-level tests.
 */
export const CODE_SERVER_VERSION = '4.100.3';
/** The project folder: the nearest folder up from this (bundled) file holding our package.json. */
export const repoRoot = findRepoRoot(__dirname);

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'target-profiles') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no target-profiles package.json above ${start}`);
  }
}

export interface CodeServer {
  readonly port: number;
  readonly origin: string;
  readonly dirs: { root: string; userData: string; extensions: string };
  stop(): Promise<void>;
}

export function codeServerEntry(): string {
  return path.join(
    repoRoot,
    '.vscode-test',
    `code-server-${CODE_SERVER_VERSION}`,
    'node_modules',
    'code-server',
    'out',
    'node',
    'entry.js',
  );
}

/** Installs the test host on first use (idempotent; a complete install is reused). */
export function ensureCodeServer(): void {
  if (
    fs.existsSync(codeServerEntry()) &&
    fs.existsSync(path.join(path.dirname(codeServerEntry()), '..', '..', '..', '..', '.complete'))
  ) {
    return;
  }
  const result = spawnSync('bash', [path.join(repoRoot, 'scripts', 'install-test-host.sh')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('installing code-server failed; see the output above');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  /** User settings written before start (settings.json of the fresh profile). */
  settings?: Record<string, unknown>;
  /** Extra environment for the server and so for the extension host. */
  env?: Record<string, string>;
  /** VSIX files to install into the fresh extensions folder before starting. */
  installVsix?: string[];
  /** Display language, e.g. 'es' (the language pack must be installed for it to apply). */
  locale?: string;
  log?: (line: string) => void;
  /** code-server's `--log` level (trace, debug, info, warn, error); the extension host takes it too. */
  logLevels?: string[];
  /** Leave workspace trust on (the default run turns it off so tests are not asked). */
  workspaceTrust?: boolean;
}

export async function startCodeServer(options: StartOptions = {}): Promise<CodeServer> {
  ensureCodeServer();
  const log = options.log ?? (() => undefined);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-code-server-'));
  const dirs = {
    root,
    userData: path.join(root, 'user-data'),
    extensions: path.join(root, 'extensions'),
    config: path.join(root, 'config.yaml'),
    xdg: path.join(root, 'xdg'),
  };
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  fs.mkdirSync(dirs.extensions, { recursive: true });
  fs.writeFileSync(dirs.config, 'auth: none\n');
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'security.workspace.trust.enabled': options.workspaceTrust ?? false,
    ...options.settings,
  };
  fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  if (options.locale) {
    fs.writeFileSync(path.join(dirs.userData, 'User', 'argv.json'), JSON.stringify({ locale: options.locale }));
  }
  // Every run gets its own XDG folders, or code-server writes into the home folder.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(dirs.xdg, 'config'),
    XDG_DATA_HOME: path.join(dirs.xdg, 'data'),
    XDG_CACHE_HOME: path.join(dirs.xdg, 'cache'),
    EXTENSIONS_GALLERY: '{}',
    ...options.env,
  };
  const common = ['--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions, '--config', dirs.config];
  for (const vsix of options.installVsix ?? []) {
    const r = spawnSync(process.execPath, [codeServerEntry(), ...common, '--install-extension', vsix], {
      env,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`installing ${vsix} failed: ${r.stderr || r.stdout}`);
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      codeServerEntry(),
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      ...(options.logLevels ?? []).flatMap((l) => ['--log', l]),
      ...(options.locale ? ['--locale', options.locale] : []),
      ...common,
    ],
    // Its own process group, so stopping it also ends the extension host and other children.
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d: Buffer) => log(`[code-server] ${d.toString().trimEnd()}`));
  child.stderr?.on('data', (d: Buffer) => log(`[code-server] ${d.toString().trimEnd()}`));
  let exited = false;
  child.once('exit', () => (exited = true));

  const stop = async (): Promise<void> => {
    if (!exited && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      const deadline = Date.now() + 5000;
      while (!exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (!exited) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    fs.rmSync(root, { recursive: true, force: true });
  };

  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error('code-server exited before it answered /healthz');
    }
    try {
      const res = await fetch(`${origin}/healthz`);
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error('code-server did not answer /healthz within 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { port, origin, dirs, stop };
}

/** The workbench URL that opens `folder` and, when given, runs the extension tests in it. */
export function workbenchUrl(
  server: CodeServer,
  folder: string,
  dev?: { extensionPath: string; testsPath?: string },
): string {
  const authority = `127.0.0.1:${server.port}`;
  let url = `${server.origin}/?folder=${encodeURIComponent(folder)}`;
  if (dev) {
    // code-server rejects --extensionDevelopmentPath on its command line; the web workbench takes it
    // from the page URL, as vscode-remote URIs on the same authority the browser opened.
    const payload: [string, string][] = [
      ['extensionDevelopmentPath', `vscode-remote://${authority}${dev.extensionPath}`],
    ];
    if (dev.testsPath) payload.push(['extensionTestsPath', `vscode-remote://${authority}${dev.testsPath}`]);
    url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  }
  return url;
}

/** Chromium flags that keep it off the network: this machine answers only loopback. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
