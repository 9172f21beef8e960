#!/usr/bin/env bash
# Everything a fresh Debian machine needs to run and test Heimdal: system packages, npm
# dependencies, the native libpcap binding and the TypeScript build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-packages.sh

if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi
npm run build:native --workspace @heimdal/platform --silent
npm run build --silent
echo "setup: done"
