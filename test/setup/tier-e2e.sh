#!/usr/bin/env bash
# Set-up for the e2e tier (test/e2e/) and for `npm start` without `code` on the PATH:
# Debian's chromium, ripgrep and libkrb5-dev, and code-server 4.100.3 (= VS Code 1.100.3, the
# last release whose engines.node is 20) from npm, installed the way
# ../shared/docs/vscode-e2e.md verified. Idempotent: the install sits behind a marker file in
# ~/.cache/kernel-lens/, so a second run only checks and returns (well under a second).
#
# Why not `npm install -g code-server`: its postinstall.sh refuses to run as root under
# npm 11 and then downloads ripgrep from GitHub, which these machines cannot reach. So the
# package is installed with its script denied, and the postinstall steps are done here.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/packages.sh"

CS_VERSION=4.100.3
CACHE=${KERNEL_LENS_CACHE:-$HOME/.cache/kernel-lens}
DEST=$CACHE/code-server-$CS_VERSION
MARKER=$DEST/.installed

# --- system packages (only what is missing)
# libkrb5-dev ships krb5-config, which the `kerberos` native module's build calls.
read -ra missing <<<"$(missing_packages chromium:chromium ripgrep:rg libkrb5-dev:krb5-config)"
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]} (as root: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  apt_install "${missing[@]}"
fi

if [ -f "$MARKER" ]; then
  echo "code-server $CS_VERSION: cached in $DEST"
  exit 0
fi

# --- code-server from npm, its own install script denied
started=$(date +%s)
rm -rf "$DEST"
mkdir -p "$DEST"
cd "$DEST"
cat >package.json <<JSON
{
  "name": "kernel-lens-code-server",
  "private": true,
  "allowScripts": { "argon2": true, "code-server": false }
}
JSON
npm install --no-audit --no-fund --save-exact "code-server@$CS_VERSION"

# --- the postinstall steps, by hand
VS=$DEST/node_modules/code-server/lib/vscode
node -e '
  const fs = require("fs");
  const file = process.argv[1];
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  pkg.allowScripts = {
    "node-pty": true, "@vscode/spdlog": true, "kerberos": true, "native-watchdog": true,
    "@parcel/watcher": true, "@vscode/deviceid": true,
    "@vscode/ripgrep": false, "@vscode/windows-mutex": false,
    "@vscode/windows-process-tree": false, "@vscode/windows-registry": false,
    "@vscode/windows-ca-certs": false,
  };
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2));
' "$VS/package.json"
# node-pty's post-install runs `npx node-gyp`, which must not stop to ask.
(cd "$VS" && npm_config_yes=true npm install --no-audit --no-fund --omit=dev)
# ripgrep from Debian instead of the GitHub download @vscode/ripgrep would do.
mkdir -p "$VS/node_modules/@vscode/ripgrep/bin"
cp "$(command -v rg)" "$VS/node_modules/@vscode/ripgrep/bin/rg"
(cd "$VS" && ln -sfn node_modules node_modules.asar)
(cd "$VS/bin/remote-cli" && ln -sfn code-linux.sh code-server)
(cd "$VS/bin/helpers" && ln -sfn browser-linux.sh browser.sh)
(cd "$VS/extensions" && npm_config_yes=true npm install --no-audit --no-fund --omit=dev)

test -f "$DEST/node_modules/code-server/out/node/entry.js"
date -u +%FT%TZ >"$MARKER"
echo "code-server $CS_VERSION installed in $DEST in $(($(date +%s) - started)) s"
