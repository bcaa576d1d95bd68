#!/usr/bin/env bash
# Install headless Chromium and its WebDriver for the review page's browser test (Debian's
# chromium + chromium-driver packages; never a downloaded browser build). Idempotent and quiet.
#
#   bash scripts/install-browser.sh
#
# The test (tests/test_review_browser.py) drives /usr/bin/chromium through /usr/bin/chromedriver
# with Selenium; it skips only when /usr/bin/chromium is absent.
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: no apt-get; install chromium and chromedriver yourself" >&2
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "apt-get install chromium chromium-driver"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver >/dev/null
