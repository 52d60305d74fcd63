// The set-up `npm start` and `npm test` run first, so a fresh clone needs no other command: it checks
// Node, installs the npm dependencies when they are missing or older than package-lock.json, the Debian
// packages the test host needs, and code-server (the test host) into .vscode-test/.
// Node built-ins only: it runs before node_modules exists.
//
//   node scripts/setup.js test    everything the tests need (code-server and Chromium included)
//   node scripts/setup.js start   what `npm start` needs (code-server only when desktop `code` is not on PATH)
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const mode = process.argv[2];

// What code-server's native modules build with, ripgrep (its search cannot download one), git and curl
// for the tests; Chromium drives the workbench in the tests.
const HOST_PACKAGES = [
  'build-essential',
  'python3',
  'pkg-config',
  'libkrb5-dev',
  'libxkbfile-dev',
  'libsecret-1-dev',
  'libx11-dev',
  'ripgrep',
  'git',
  'curl',
  'ca-certificates',
];
const TEST_PACKAGES = ['chromium'];

function step(text) {
  console.log(`setup: ${text}`);
}

function fail(text) {
  console.error(`\nsetup: ${text}\n`);
  process.exit(1);
}

function run(command, args, env) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: Object.assign({}, process.env, env) });
  if (result.status !== 0) {
    const why = result.error ? result.error.message : `exit ${result.status !== null ? result.status : result.signal}`;
    fail(`\`${[command, ...args].join(' ')}\` failed (${why})`);
  }
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function checkNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) fail(`Node ${process.versions.node} is too old: install Node 20 or newer and run this again.`);
}

/**
 * npm writes node_modules/.package-lock.json on every install: the installed tree. It is stale when a
 * package of package-lock.json is missing from it (other than an optional one for another platform), has
 * another version, or when it holds a package the lock no longer has.
 */
function dependenciesUpToDate() {
  const installedFile = path.join(root, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(installedFile)) return false;
  try {
    const wanted = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')).packages;
    const installed = JSON.parse(fs.readFileSync(installedFile, 'utf8')).packages;
    for (const [name, pkg] of Object.entries(wanted)) {
      if (name === '') continue;
      const have = installed[name];
      if (have ? have.version !== pkg.version : !pkg.optional) return false;
    }
    return Object.keys(installed).every((name) => name in wanted);
  } catch {
    return false;
  }
}

function installDependencies() {
  if (dependenciesUpToDate()) return;
  step('installing npm dependencies (npm ci)...');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

function installedDebianPackages(names) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Status}\\n', ...names], { encoding: 'utf8' });
  return new Set(
    (result.stdout || '')
      .split('\n')
      .filter((line) => / ok installed$/.test(line))
      .map((line) => line.split(' ')[0].split(':')[0]),
  );
}

function checkSystemPackages(names) {
  if (!onPath('dpkg-query')) {
    // Not Debian: the packages have other names, so only the programs the tests call are checked.
    step(`not a Debian system: make sure the equivalents of ${names.join(', ')} are installed`);
    const missing = ['rg', 'git', 'curl'].filter((p) => !onPath(p));
    if (names.includes('chromium') && !fs.existsSync(process.env.CHROMIUM_PATH || '/usr/bin/chromium')) {
      missing.push('chromium (or set CHROMIUM_PATH to a Chromium or Chrome binary)');
    }
    if (missing.length) fail(`missing: ${missing.join(', ')}`);
    return;
  }
  const installed = installedDebianPackages(names);
  const missing = names.filter((name) => !installed.has(name));
  if (missing.length === 0) return;
  const install = ['apt-get', 'install', '-y', '--no-install-recommends', ...missing];
  if (process.getuid && process.getuid() === 0 && onPath('apt-get')) {
    step(`installing Debian packages: ${missing.join(' ')}...`);
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], env);
    run(install[0], install.slice(1), env);
    return;
  }
  fail(
    `These Debian packages are missing: ${missing.join(' ')}\n` +
      `Install them with this command, then run npm ${mode} again:\n\n` +
      `  sudo apt-get update && sudo ${install.join(' ')}`,
  );
}

function installTestHost() {
  run('bash', [path.join('scripts', 'install-test-host.sh')]);
}

function main() {
  if (mode !== 'test' && mode !== 'start') fail('usage: node scripts/setup.js test|start');
  checkNode();
  installDependencies();
  // Mirrors test/start.ts: desktop VS Code when `code` is on PATH and TP_CODE_SERVER is not set.
  const usesCodeServer = mode === 'test' || Boolean(process.env.TP_CODE_SERVER) || !onPath('code');
  if (usesCodeServer) {
    checkSystemPackages(mode === 'test' ? [...HOST_PACKAGES, ...TEST_PACKAGES] : HOST_PACKAGES);
    installTestHost();
  }
  step('ready');
}

main();
