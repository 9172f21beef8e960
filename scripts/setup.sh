#!/usr/bin/env bash
# Everything a fresh Debian machine needs to run and test Heimdal: system packages, npm
# dependencies, the native libpcap binding and the TypeScript build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-packages.sh

# `npm install` honours package-lock.json; `npm ci` is not used because npm 11 rejects lock
# files that hold only this platform's optional binaries (Biome, Rollup) as "out of sync".
npm install --no-audit --no-fund --loglevel=error
npm run build:native --workspace @heimdal/platform --silent
npm run build --silent
echo "setup: done"
