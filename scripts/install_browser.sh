#!/usr/bin/env bash
# What the real-browser tests need (tests/test_browser.py, tests/test_accessibility.py):
#  - Debian's Chromium and its driver (needs root and Debian's package servers);
#  - axe-core, the accessibility engine, from npm into .browser/ (ignored by git); the test reads
#    .browser/node_modules/axe-core/axe.min.js and injects it into the page, it downloads nothing.
# Best effort: what cannot be installed makes its test skip, with the reason.
set -u
cd "$(dirname "$0")/.."
AXE_VERSION=4.14.1

if ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
            >/dev/null 2>&1 || echo "install_browser: could not install chromium; the browser tests will be skipped" >&2
    else
        echo "install_browser: not root; the browser tests will be skipped (apt-get install chromium chromium-driver)" >&2
    fi
fi

installed=$(sed -n 's/^ *"version": "\(.*\)",$/\1/p' .browser/node_modules/axe-core/package.json 2>/dev/null | head -1)
if [ "$installed" != "$AXE_VERSION" ]; then
    if command -v npm >/dev/null; then
        mkdir -p .browser
        npm install --prefix .browser --no-save --no-audit --no-fund --loglevel=error "axe-core@$AXE_VERSION" \
            >/dev/null || echo "install_browser: could not install axe-core; the accessibility test will be skipped" >&2
    else
        echo "install_browser: npm is missing; the accessibility test will be skipped (apt-get install npm)" >&2
    fi
fi
exit 0
