#!/usr/bin/env bash
# Installs code-server (a real VS Code with a Node extension host) into .vscode-test/, the way
# @vscode/test-electron keeps its desktop download there. Idempotent: a complete install is reused.
# Needs the Debian packages that .ci/run installs (build tools, libsecret, libkrb5, ripgrep, chromium).
set -euo pipefail
VERSION="${CODE_SERVER_VERSION:-4.100.3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.vscode-test/code-server-$VERSION"
entry="$dest/node_modules/code-server/out/node/entry.js"

if [ -f "$dest/.complete" ] && [ -f "$entry" ]; then
  echo "code-server $VERSION already installed in ${dest#$root/}"
  exit 0
fi

command -v rg >/dev/null || { echo "ripgrep (rg) is missing: apt-get install ripgrep" >&2; exit 1; }

# @vscode/ripgrep's postinstall downloads rg from GitHub, which these machines cannot reach. It looks in
# this cache first, so a tarball of Debian's rg placed there satisfies it.
cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
tarball="$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -f "$tarball" ]; then
  mkdir -p "$cache" "$cache/stage"
  cp "$(command -v rg)" "$cache/stage/rg"
  tar -czf "$tarball" -C "$cache/stage" rg
  rm -rf "$cache/stage"
fi

rm -rf "$dest"
mkdir -p "$dest"
echo '{"name":"code-server-test-host","private":true}' > "$dest/package.json"
echo "Installing code-server $VERSION (native modules build from source: about 2 minutes)..."
# unsafe-perm: code-server's postinstall refuses root otherwise; yes: node-pty runs `npx node-gyp`.
# This npm blocks dependency install scripts unless approved, and code-server's postinstall runs a
# second `npm install` inside lib/vscode whose native modules (node-pty, kerberos, spdlog...) need
# their scripts too. An allow-list in our package.json cannot reach that nested install, so the
# pinned test host (never shipped) is installed with all scripts allowed.
( cd "$dest" && npm_config_unsafe_perm=true npm_config_yes=true npm_config_dangerously_allow_all_scripts=true \
    npm install --no-audit --no-fund --loglevel=error "code-server@$VERSION" )
test -f "$entry"
# A skipped postinstall leaves VS Code's native modules unbuilt; catch that here, not at test time.
test -f "$dest/node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node" || {
  echo "code-server's postinstall did not build VS Code's native modules" >&2; exit 1; }
touch "$dest/.complete"
echo "code-server $VERSION installed in ${dest#$root/}"
