#!/usr/bin/env bash
# Installs the Node tools of the tests from the npm registry, as pinned in
# package-lock.json, unless node_modules was installed from this lock file.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.installed-from-lock
if ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
