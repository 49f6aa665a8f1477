#!/usr/bin/env bash
# System packages the test suite needs beyond the Python venv. Idempotent: installs only what is missing.
#   chromium          headless browser for tests/e2e/test_monitor_page.py (the Media monitor page screenshot)
#   fonts-dejavu-core a font with Arabic glyphs, so the screenshot shows the Arabic outlet/topic names
# Needs root (or sudo) and access to the Debian mirrors; the tests skip with a clear reason without it.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

if ! command -v chromium >/dev/null 2>&1; then
  echo "install_test_deps: installing chromium (Debian package)" >&2
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
fi
chromium --version
