#!/usr/bin/env bash
# Debian's Chromium and its driver, for the real-browser test (tests/test_browser.py).
# Best effort: needs root and Debian's package servers; without them that test is skipped.
set -u
command -v chromium >/dev/null && command -v chromedriver >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
        >/dev/null 2>&1 || echo "install_browser: could not install chromium; the browser test will be skipped" >&2
else
    echo "install_browser: not root; the browser test will be skipped (apt-get install chromium chromium-driver)" >&2
fi
exit 0
