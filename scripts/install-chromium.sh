#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (make test-browser) when
# it is missing. Idempotent and quiet: with chromium present it prints one
# line and changes nothing; apt's output is shown only when apt fails.
set -euo pipefail
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
	echo "chromium present: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
	exit 0
fi
sudo=
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
echo "chromium missing: installing Debian's chromium with apt"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "install-chromium: apt failed" >&2
	exit 1
fi
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null)"
