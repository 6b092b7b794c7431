#!/usr/bin/env bash
# bench-http.sh — moviediary's HTTP benchmark (make bench-http).
#
# On PostgreSQL with 1,000,000 reviews it loads, with wrk on loopback,
#   GET  /api/diary    (first page, total count included)
#   POST /api/reviews  (a stored movie, so no OMDb call), signed in with a
#                      session JWT (POST) and with a personal API token (POST-token)
# of bin/moviediary at LOG_LEVEL=info (the default) and at warn, side by side
# with bench/cmd/baseline: plain net/http + lib/pq on the same database,
# running only the page query or only the insert. Runs alternate
# (A B C, then C B A, per round) so a shared machine's load falls on all
# servers alike; the table reports medians and the largest server RSS seen.
#
# The database is created and seeded on first use (about 1.5 minutes) and
# kept; the reviews a run logs are deleted again at its start and end.
#
# Environment (defaults in brackets):
#   BENCH_DATABASE_URL  [postgres://postgres@127.0.0.1:5432/moviediary_bench_http?sslmode=disable]
#   BENCH_REVIEWS [1000000]  BENCH_MOVIES [20000]
#   BENCH_DURATION [15s]  BENCH_WARMUP [3s]  BENCH_THREADS [2]  BENCH_CONNECTIONS [32]
#   BENCH_ROUNDS [1]      rounds of A B C C B A per endpoint
#   BENCH_REPORT          also write the summary (markdown) to this file
#   MOVIEDIARY_BIN [bin/moviediary]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

DB_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/moviediary_bench_http?sslmode=disable}
REVIEWS=${BENCH_REVIEWS:-1000000}
MOVIES=${BENCH_MOVIES:-20000}
DURATION=${BENCH_DURATION:-15s}
WARMUP=${BENCH_WARMUP:-3s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
ROUNDS=${BENCH_ROUNDS:-1}
BIN=${MOVIEDIARY_BIN:-bin/moviediary}
EMAIL=bench@example.com
PASSWORD=bench-password-1
MOVIE_ID=tt00000001 # seeded by benchdb
BODY='{"external_metadata_id": "'$MOVIE_ID'", "rating": 4, "watched_at": "2024-01-01T20:00:00"}'
LUA=$root/bench/wrk/bench.lua

# Servers: name, port, GET path, POST path.
servers=(moviediary-info moviediary-warn baseline)
declare -A port=([moviediary-info]=3201 [moviediary-warn]=3202 [baseline]=3203)
declare -A get_path=([moviediary-info]=/api/diary [moviediary-warn]=/api/diary [baseline]=/diary)
declare -A post_path=([moviediary-info]=/api/reviews [moviediary-warn]=/api/reviews [baseline]=/reviews)
declare -A pid=()

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench-http: %s\n' "$*" >&2; exit 1; }

[[ -x $BIN ]] || die "$BIN is missing: run make build (or make bench-http)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
if ! command -v wrk >/dev/null; then
	say "installing wrk"
	if [[ $(id -u) -eq 0 ]]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
	else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi
fi
command -v curl >/dev/null || die "curl is required"

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-http.XXXXXX")
cleanup() {
	local p
	for p in "${pid[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pid[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "building bench tools"
go build -o "$work/" ./bench/cmd/baseline ./bench/cmd/benchdb

export DATABASE_URL=$DB_URL
# The servers run in $work so that a developer's .env is not read.
md_env=(env -u OMDB_API_KEY DATABASE_URL="$DB_URL" DATA_DIR="$work/data" LOG_FORMAT=text
	JWT_SECRET="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')")

say "preparing $DB_URL"
"$work/benchdb" create
(cd "$work" && "${md_env[@]}" "$BIN" migrate 2>>"$work/setup.log") || die "migrate failed: $(cat "$work/setup.log")"
if ! out=$(cd "$work" && printf '%s\n' "$PASSWORD" | "${md_env[@]}" "$BIN" user add --email "$EMAIL" 2>&1); then
	grep -q 'already exists' <<<"$out" || die "user add failed: $out"
fi
api_token=$(cd "$work" && "${md_env[@]}" "$BIN" token add --email "$EMAIL" --name "bench-http $(date -u +%FT%TZ)" 2>>"$work/setup.log") ||
	die "token add failed: $(cat "$work/setup.log")"
"$work/benchdb" seed -reviews "$REVIEWS" -movies "$MOVIES" -user-email "$EMAIL"
"$work/benchdb" reset

wait_ready() { # name url
	local deadline=$((SECONDS + 60))
	until curl -fsS -o /dev/null "$2" 2>/dev/null; do
		kill -0 "${pid[$1]}" 2>/dev/null || die "$1 exited: $(tail -5 "$work/$1.log")"
		((SECONDS < deadline)) || die "$1 did not answer $2 within 60s"
		sleep 0.2
	done
}

start() { # name
	local name=$1 p=${port[$1]}
	case $name in
	moviediary-*)
		(cd "$work" && exec "${md_env[@]}" HOST=127.0.0.1 PORT="$p" LOG_LEVEL="${name#moviediary-}" \
			"$BIN" serve) 2>"$work/$name.log" &
		;;
	baseline)
		"$work/baseline" -addr "127.0.0.1:$p" -user-email "$EMAIL" 2>"$work/$name.log" &
		;;
	esac
	pid[$name]=$!
	wait_ready "$name" "http://127.0.0.1:$p${get_path[$name]}"
}

for s in "${servers[@]}"; do start "$s"; done
say "servers up: $(for s in "${servers[@]}"; do printf '%s=%s ' "$s" "${pid[$s]}"; done)"

token=$(curl -fsS -H 'Content-Type: application/json' \
	-d '{"email":"'$EMAIL'","password":"'$PASSWORD'"}' \
	"http://127.0.0.1:${port[moviediary-info]}/api/auth/login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[[ -n $token ]] || die "login failed"
# Both moviediary servers share JWT_SECRET, so the token is good on both.
for s in moviediary-info moviediary-warn; do
	code=$(curl -sS -o "$work/check.json" -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $token" -d "$BODY" "http://127.0.0.1:${port[$s]}${post_path[$s]}")
	[[ $code == 201 ]] || die "$s: POST check answered $code: $(cat "$work/check.json")"
done
grep -q '"total_count":' <(curl -fsS "http://127.0.0.1:${port[moviediary-info]}/api/diary") || die "no total_count in /api/diary"

# sample_rss name file: the server's RSS in KiB once a second until killed.
sample_rss() {
	while kill -0 "${pid[$1]}" 2>/dev/null; do
		ps -o rss= -p "${pid[$1]}" >>"$2" || true
		sleep 1
	done
}

results=$work/results.txt # endpoint server rps p50 p99 rss_kib cpu_us_per_request socket_errors
: >"$results"

# load endpoint name duration: one wrk run; prints its RESULT line.
load() {
	local endpoint=$1 name=$2 duration=$3 path method=GET bearer=$token
	path=${get_path[$name]}
	if [[ $endpoint == POST* ]]; then path=${post_path[$name]}; method=POST; fi
	if [[ $endpoint == POST-token ]]; then bearer=$api_token; fi
	BENCH_METHOD=$method BENCH_BODY=$BODY BENCH_TOKEN=$bearer \
		wrk -t"$THREADS" -c"$CONNS" -d"$duration" --timeout 10s --latency -s "$LUA" "http://127.0.0.1:${port[$name]}$path" \
		>"$work/wrk.out" 2>&1 || die "wrk failed: $(cat "$work/wrk.out")"
	grep '^RESULT' "$work/wrk.out" || die "wrk printed no result: $(cat "$work/wrk.out")"
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# cpu_ticks name: the server's user + system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/${pid[$1]}/stat"; }
hz=$(getconf CLK_TCK)

measure() { # endpoint name
	local endpoint=$1 name=$2 line rssfile=$work/rss.$1.$2 sampler
	: >"$rssfile"
	sample_rss "$name" "$rssfile" &
	sampler=$!
	local cpu0 cpu1
	cpu0=$(cpu_ticks "$name")
	line=$(load "$endpoint" "$name" "$DURATION")
	cpu1=$(cpu_ticks "$name")
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	# A non-2xx answer is a broken benchmark; socket errors and timeouts
	# (over 10 s) are load and are reported.
	(($(field status "$line") == 0)) || die "$endpoint $name: answers other than 2xx: $line
$(grep -v ' level=INFO ' "$work/$name.log" | tail -3)"
	local errors=$(($(field connect "$line") + $(field read "$line") + $(field write "$line") + $(field timeout "$line")))
	local rss
	rss=$(sort -n "$rssfile" | tail -1)
	local cpu_us=$(((cpu1 - cpu0) * 1000000 / hz / $(field requests "$line")))
	printf '%s %s %s %s %s %s %s %s\n' "$endpoint" "$name" "$(field rps "$line")" "$(field p50 "$line")" "$(field p99 "$line")" "${rss:-0}" "$cpu_us" "$errors" >>"$results"
	say "$endpoint $name: $(field rps "$line") req/s, p50 $(field p50 "$line") ms, p99 $(field p99 "$line") ms, RSS $((${rss:-0} / 1024)) MiB, server CPU $cpu_us µs/request, socket errors $errors"
}

load_before=$(uptime)
started=$(date -u +%Y-%m-%dT%H:%MZ)
for endpoint in GET POST POST-token; do
	say "$endpoint: warming up each server for $WARMUP"
	for s in "${servers[@]}"; do load "$endpoint" "$s" "$WARMUP" >/dev/null; done
	order=()
	for ((r = 0; r < ROUNDS; r++)); do
		order+=("${servers[@]}")
		for ((i = ${#servers[@]} - 1; i >= 0; i--)); do order+=("${servers[i]}"); done
	done
	for s in "${order[@]}"; do measure "$endpoint" "$s"; done
done
load_after=$(uptime)
"$work/benchdb" reset >/dev/null

median() { sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
col() { awk -v e="$1" -v s="$2" -v c="$3" '$1 == e && $2 == s {print $c}' "$results"; }

label() { # endpoint
	case $1 in
	GET) echo "GET /api/diary" ;;
	POST) echo "POST /api/reviews (JWT)" ;;
	POST-token) echo "POST /api/reviews (API token)" ;;
	esac
}

report() {
	echo "Date: $started; machine: $(nproc) cores ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)), shared."
	echo "Load before: \`${load_before# }\`; after: \`${load_after# }\`."
	echo "Database: $REVIEWS reviews of $MOVIES movies; wrk -t$THREADS -c$CONNS -d$DURATION --timeout 10s --latency, $((ROUNDS * 2)) runs per server and endpoint, alternating."
	echo
	echo "| request | server | req/s (median) | p50 ms | p99 ms | req/s ÷ baseline | max RSS MiB | server CPU µs/req |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|"
	local endpoint s rps base p50 p99 rss cpu
	for endpoint in GET POST POST-token; do
		base=$(col "$endpoint" baseline 3 | median)
		for s in "${servers[@]}"; do
			rps=$(col "$endpoint" "$s" 3 | median)
			p50=$(col "$endpoint" "$s" 4 | median)
			p99=$(col "$endpoint" "$s" 5 | median)
			rss=$(col "$endpoint" "$s" 6 | sort -n | tail -1)
			cpu=$(col "$endpoint" "$s" 7 | median)
			printf '| %s | %s | %.0f | %.1f | %.1f | %.2f | %.0f | %.0f |\n' \
				"$(label "$endpoint")" "$s" \
				"$rps" "$p50" "$p99" "$(awk -v a="$rps" -v b="$base" 'BEGIN {print a / b}')" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" "$cpu"
		done
	done
	echo
	echo "Every run, in order (request server req/s p50-ms p99-ms RSS-KiB CPU-µs/request socket-errors):"
	echo
	sed 's/^/    /' "$results"
}

echo
report | tee "${BENCH_REPORT:-/dev/null}"
