#!/usr/bin/env bash
# Install what the browser tests drive: Debian's Chromium and CJK fonts (Playwright's own
# browser download cannot reach its servers here; never run `playwright install`).
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
    apt-get update
    apt-get install -y chromium fonts-noto-cjk
fi
