#!/usr/bin/env bash
# Checks the inward-only dependency rule on the real import graph:
#   domain      → standard library + github.com/google/uuid
#   application → domain (+ uuid through it)
#   adapters    → never presentation, and adapters/delivery → domain only;
#               adapters/diaryfile → domain only;
#               adapters/mediaserver → application and domain only
#   presentation (the HTTP package) → use cases, ports, its renderers
#               (adapters/html, adapters/rss) and its webhook payload
#               reader (adapters/mediaserver): no infrastructure adapter;
#               only presentation/wiring and the binary name those
set -euo pipefail
cd "$(dirname "$0")/.."
M=github.com/moviediary/moviediary
fail=0

nonstd() { go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$@" | sort -u; }

check() { # name, allowed-regex, packages...
	local name=$1 allowed=$2; shift 2
	local bad
	bad=$(nonstd "$@" | grep -Ev "$allowed" || true)
	if [ -n "$bad" ]; then
		echo "layers: $name depends on what it must not:" >&2
		echo "$bad" | sed 's/^/  /' >&2
		fail=1
	fi
}

check domain "^($M/domain(/porttest)?|github.com/google/uuid)\$" $M/domain $M/domain/porttest
check application "^($M/(domain|application)(/.*)?|github.com/google/uuid)\$" $M/application/...

check delivery "^($M/(domain|adapters/delivery)|github.com/google/uuid)\$" $M/adapters/delivery
check diaryfile "^($M/(domain|adapters/diaryfile)|github.com/google/uuid)\$" $M/adapters/diaryfile
check mediaserver "^($M/(domain|application|adapters/mediaserver)|github.com/google/uuid)\$" $M/adapters/mediaserver
bad=$(nonstd $M/presentation | grep "^$M/adapters/" | grep -Ev "^$M/adapters/(html|rss|mediaserver)\$" || true)
if [ -n "$bad" ]; then
	echo "layers: the HTTP package presentation reaches adapters only the composition root (presentation/wiring) may name:" >&2
	echo "$bad" | sed 's/^/  /' >&2
	fail=1
fi

for dir in adapters/*/; do
	mod=$M/${dir%/}
	if nonstd "$mod/..." | grep -q "^$M/presentation"; then
		echo "layers: $mod imports presentation" >&2
		fail=1
	fi
done

[ "$fail" -eq 0 ] && echo "layers: ok (domain → uuid only; application → domain only; delivery → domain only; diaryfile → domain only; mediaserver → application, domain only; HTTP → no infrastructure adapter; adapters ↛ presentation)"
exit "$fail"
