#!/usr/bin/env bash
# Debian packages the tests and the benchmark use. Installs only what is missing.
set -euo pipefail
want=(universal-ctags:ctags cscope:cscope xz-utils:xz dpkg:dpkg-deb time:/usr/bin/time ripgrep:rg)
missing=()
for pair in "${want[@]}"; do
  pkg=${pair%%:*} cmd=${pair##*:}
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
