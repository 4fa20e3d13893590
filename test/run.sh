#!/usr/bin/env bash
# The README's test command (`npm ci && npm test`) ends here; so does CI (.ci/run).
# It does every set-up step a fresh machine of this kind needs, then runs every test tier
# through node's test runner, in one run so CI reads one summary.
#
# Set-up steps are idempotent and cached outside the checkout (~/.cache/kernel-lens/),
# so a second run on the same machine only builds and tests.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

log "system packages"
bash test/setup/aptPackages.sh

log "build (tsc -b, then esbuild)"
npm run build --silent

log "kernel sources (embedded 6.1 set, whole 6.1 and 6.12 trees; cached)"
node dist/cli.js fetch --embedded --trees

# Further tiers add their own idempotent set-up here (code-server for e2e, ...).
for step in test/setup/tier-*.sh; do
  [ -e "$step" ] || continue
  log "set-up: $step"
  bash "$step"
done

log "tests"
# One process at a time: the kernel and e2e tiers are heavy, and the machine has 2 cores.
exec node --test --test-concurrency=1 --test-reporter=spec dist/test/
