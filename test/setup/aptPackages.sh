#!/usr/bin/env bash
# Debian packages the tests and the benchmark use. Installs only what is missing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/packages.sh"
read -ra missing <<<"$(missing_packages universal-ctags:ctags cscope:cscope xz-utils:xz \
  dpkg:dpkg-deb time:/usr/bin/time ripgrep:rg)"
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  apt_install "${missing[@]}"
fi
