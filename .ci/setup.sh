#!/usr/bin/env bash
# Prepares a fresh machine for the test suite: system packages (Chromium, Mesa 25 lavapipe), then npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then bash .ci/install-system.sh; else sudo bash .ci/install-system.sh; fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 ONNXRUNTIME_NODE_INSTALL=skip
npm ci --no-fund --no-audit
