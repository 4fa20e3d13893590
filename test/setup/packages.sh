# Sourced by the set-up scripts: which Debian packages are missing, and installing them.
# Each wanted package is PKG:WHAT, WHAT being the command it provides, or (starting with /) a
# file it installs (libc6-dev has no command; /usr/include/stdio.h is its test).

# Prints the packages whose command or file is absent, space-separated (nothing if none).
missing_packages() {
  local pair what out=()
  for pair in "$@"; do
    what=${pair##*:}
    if [[ $what == /* ]]; then
      [ -e "$what" ] || out+=("${pair%%:*}")
    else
      command -v "$what" >/dev/null 2>&1 || out+=("${pair%%:*}")
    fi
  done
  echo "${out[*]}"
}

# Installs the packages from apt, quietly, without recommends (as root).
apt_install() {
  echo "installing $* from apt"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}
