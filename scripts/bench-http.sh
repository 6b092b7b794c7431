#!/usr/bin/env bash
# bench-http.sh — moviediary's HTTP benchmark (make bench-http).
#
# On PostgreSQL with 1,000,000 reviews it loads, with wrk on loopback:
#   GET /hello        of bench/cmd/baseline: a constant answer, no database —
#                     the yardstick of the cached reads
#   GET /api/diary, /diary, /feed.rss, /users/{id}
#                     of bin/moviediary with its page cache (moviediary) and
#                     with CACHE_MAX_BYTES=0 (moviediary-cold: every read
#                     renders), each plainly and with If-None-Match set to the
#                     ETag the server gave (-304: answered 304, no body);
#                     on moviediary also with Accept-Encoding: gzip (-gz),
#                     as browsers and feed readers send it
#   GET /api/diary    against the baseline's GET /diary (page query only)
#   POST /api/reviews (a stored movie, so no OMDb call), signed in with a
#                     session JWT (POST) and with a personal API token
#                     (POST-token), against the baseline's POST /reviews
#                     (one INSERT)
# Runs go through every request once, then in reverse order (per round), so
# a shared machine's load falls on all alike; the tables report medians and
# the largest server RSS seen.
#
# Then the mixed load (bench/cmd/mixedload): a second cached process
# (moviediary-b) on the same database; writers log reviews on moviediary,
# reads of the four pages go to both; reads must show a write at once on
# moviediary and within 100 ms on moviediary-b. A stale read fails the
# benchmark (after the report is written). Its reads/s are compared with
# the baseline's /hello loaded by mixedload's own client just before (a Go
# client does less than wrk), and with wrk's figure. A second run with
# 0.2 % writes shows what the same client reaches when nearly every read
# is a hit: the ceiling its own work per read sets on this machine.
#
# The database is created and seeded on first use (about 1.5 minutes) and
# kept; the reviews a run logs are deleted again at its start and end.
#
# Environment (defaults in brackets):
#   BENCH_DATABASE_URL  [postgres://postgres@127.0.0.1:5432/moviediary_bench_http?sslmode=disable]
#   BENCH_REVIEWS [1000000]  BENCH_MOVIES [20000]
#   BENCH_DURATION [10s]  BENCH_WARMUP [2s]  BENCH_THREADS [2]  BENCH_CONNECTIONS [32]
#   BENCH_ROUNDS [1]      rounds of (every request, then every request in reverse)
#   BENCH_LOG_LEVEL [info]  LOG_LEVEL of the moviediary processes
#   BENCH_MIXED_DURATION [15s]  BENCH_MIXED_WRITERS [4]  BENCH_MIXED_BOUND [100ms]
#   BENCH_REPORT          also write the summary (markdown) to this file
#   MOVIEDIARY_BIN [bin/moviediary]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

DB_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/moviediary_bench_http?sslmode=disable}
REVIEWS=${BENCH_REVIEWS:-1000000}
MOVIES=${BENCH_MOVIES:-20000}
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
ROUNDS=${BENCH_ROUNDS:-1}
LEVEL=${BENCH_LOG_LEVEL:-info}
MIXED_DURATION=${BENCH_MIXED_DURATION:-15s}
MIXED_WRITERS=${BENCH_MIXED_WRITERS:-4}
MIXED_BOUND=${BENCH_MIXED_BOUND:-100ms}
BIN=${MOVIEDIARY_BIN:-bin/moviediary}
EMAIL=bench@example.com
PASSWORD=bench-password-1
MOVIE_ID=tt00000001 # seeded by benchdb
BODY='{"external_metadata_id": "'$MOVIE_ID'", "rating": 4, "watched_at": "2024-01-01T20:00:00"}'
LUA=$root/bench/wrk/bench.lua

# Servers and their ports; moviediary-b only serves the mixed load.
declare -A port=([moviediary]=3201 [moviediary-cold]=3202 [baseline]=3203 [moviediary-b]=3204)
declare -A pid=()
# The pages the cache serves (request names, see path) and what is run per
# round, in order: request:server.
pages=(api html feed user)
runs=(hello:baseline)
for p in "${pages[@]}"; do runs+=("$p:moviediary" "$p-304:moviediary" "$p-gz:moviediary" "$p-gz-304:moviediary"); done
for p in "${pages[@]}"; do runs+=("$p:moviediary-cold" "$p-304:moviediary-cold"); done
runs+=(api:baseline POST:moviediary POST:baseline POST-token:moviediary POST-token:baseline)

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
go build -o "$work/" ./bench/cmd/baseline ./bench/cmd/benchdb ./bench/cmd/mixedload

export DATABASE_URL=$DB_URL
# The servers run in $work so that a developer's .env is not read. They
# share JWT_SECRET, so a session token is good on every one.
md_env=(env -u OMDB_API_KEY -u CACHE_MAX_BYTES DATABASE_URL="$DB_URL" DATA_DIR="$work/data" LOG_FORMAT=text
	JWT_SECRET="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')")

add_user() { # email
	local out
	if ! out=$(cd "$work" && printf '%s\n' "$PASSWORD" | "${md_env[@]}" "$BIN" user add --email "$1" 2>&1); then
		grep -q 'already exists' <<<"$out" || die "user add $1 failed: $out"
	fi
}

say "preparing $DB_URL"
"$work/benchdb" create
(cd "$work" && "${md_env[@]}" "$BIN" migrate 2>>"$work/setup.log") || die "migrate failed: $(cat "$work/setup.log")"
add_user "$EMAIL"
writers=()
for ((i = 1; i <= MIXED_WRITERS; i++)); do
	writers+=("writer$i@example.com")
	add_user "writer$i@example.com"
done
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
	local name=$1 p=${port[$1]} cache=()
	case $name in
	moviediary*)
		[[ $name == moviediary-cold ]] && cache=(CACHE_MAX_BYTES=0)
		(cd "$work" && exec "${md_env[@]}" "${cache[@]}" HOST=127.0.0.1 PORT="$p" LOG_LEVEL="$LEVEL" \
			"$BIN" serve) 2>"$work/$name.log" &
		pid[$name]=$!
		wait_ready "$name" "http://127.0.0.1:$p/readyz"
		;;
	baseline)
		"$work/baseline" -addr "127.0.0.1:$p" -user-email "$EMAIL" 2>"$work/$name.log" &
		pid[$name]=$!
		wait_ready "$name" "http://127.0.0.1:$p/hello"
		;;
	esac
}

for s in moviediary moviediary-cold baseline; do start "$s"; done
say "servers up: $(for s in "${!pid[@]}"; do printf '%s=%s ' "$s" "${pid[$s]}"; done)"

login=$(curl -fsS -H 'Content-Type: application/json' \
	-d '{"email":"'$EMAIL'","password":"'$PASSWORD'"}' \
	"http://127.0.0.1:${port[moviediary]}/api/auth/login")
token=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$login")
user_id=$(sed -n 's/.*"user_id":"\([^"]*\)".*/\1/p' <<<"$login")
[[ -n $token && -n $user_id ]] || die "login failed: $login"

# path request server: what a request is on a server.
# A request's -304 and -gz suffixes change its headers only (see load).
path() {
	local page=${1%-304}
	case ${page%-gz} in
	hello) echo /hello ;;
	api) if [[ $2 == baseline ]]; then echo /diary; else echo /api/diary; fi ;;
	html) echo /diary ;;
	feed) echo /feed.rss ;;
	user) echo "/users/$user_id" ;;
	POST*) if [[ $2 == baseline ]]; then echo /reviews; else echo /api/reviews; fi ;;
	esac
}
url() { echo "http://127.0.0.1:${port[$2]}$(path "$1" "$2")"; }
etag() { curl -fsS -D - -o /dev/null "$@" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: *//p'; } # url [curl flags]
gzip_header=(-H 'Accept-Encoding: gzip')

# Every request answers before the load starts: 201 for a POST, 200 with an
# ETag for a page, 304 for the page with that ETag.
code=$(curl -sS -o "$work/check.json" -w '%{http_code}' -H 'Content-Type: application/json' \
	-H "Authorization: Bearer $token" -d "$BODY" "$(url POST moviediary)")
[[ $code == 201 ]] || die "POST check answered $code: $(cat "$work/check.json")"
grep -q '"total_count":' <(curl -fsS "$(url api moviediary)") || die "no total_count in /api/diary"
for s in moviediary moviediary-cold; do
	for p in "${pages[@]}"; do
		tag=$(etag "$(url "$p" "$s")") || die "$s: $(path "$p" "$s") failed"
		[[ -n $tag ]] || die "$s: $(path "$p" "$s") answered no ETag"
		code=$(curl -sS -o /dev/null -w '%{http_code}' -H "If-None-Match: $tag" "$(url "$p" "$s")")
		[[ $code == 304 ]] || die "$s: $(path "$p" "$s") with If-None-Match $tag answered $code, not 304"
	done
done
for p in "${pages[@]}"; do
	enc=$(curl -fsS -D - -o /dev/null "${gzip_header[@]}" "$(url "$p" moviediary)" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Ee]ncoding: *//p')
	[[ $enc == gzip ]] || die "moviediary: $(path "$p" moviediary) with Accept-Encoding: gzip answered Content-Encoding '$enc'"
	tag=$(etag "$(url "$p" moviediary)" "${gzip_header[@]}")
	code=$(curl -sS -o /dev/null -w '%{http_code}' "${gzip_header[@]}" -H "If-None-Match: $tag" "$(url "$p" moviediary)")
	[[ $code == 304 ]] || die "moviediary: $(path "$p" moviediary), gzip, with If-None-Match $tag answered $code, not 304"
done

# sample_rss name file: the server's RSS in KiB once a second until killed.
sample_rss() {
	while kill -0 "${pid[$1]}" 2>/dev/null; do
		ps -o rss= -p "${pid[$1]}" >>"$2" || true
		sleep 1
	done
}

results=$work/results.txt # request server rps p50 p99 rss_kib cpu_us_per_request socket_errors bytes_per_answer
: >"$results"

# load request server duration: one wrk run; prints its RESULT line. A -304
# request is sent with If-None-Match set to the ETag the page has now.
load() {
	local request=$1 name=$2 duration=$3 method=GET bearer=$token headers=()
	case $request in
	POST*) method=POST ;;&
	POST-token) bearer=$api_token ;;
	*-gz | *-gz-*) headers=("${gzip_header[@]}") ;;&
	*-304) headers+=(-H "If-None-Match: $(etag "$(url "$request" "$name")" "${headers[@]}")") ;;
	esac
	BENCH_METHOD=$method BENCH_BODY=$BODY BENCH_TOKEN=$bearer \
		wrk -t"$THREADS" -c"$CONNS" -d"$duration" --timeout 10s --latency -s "$LUA" "${headers[@]}" "$(url "$request" "$name")" \
		>"$work/wrk.out" 2>&1 || die "wrk failed: $(cat "$work/wrk.out")"
	grep '^RESULT' "$work/wrk.out" || die "wrk printed no result: $(cat "$work/wrk.out")"
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# cpu_ticks name: the server's user + system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/${pid[$1]}/stat"; }
hz=$(getconf CLK_TCK)

measure() { # request server
	local request=$1 name=$2 line rssfile=$work/rss.$1.$2 sampler
	: >"$rssfile"
	sample_rss "$name" "$rssfile" &
	sampler=$!
	local cpu0 cpu1
	cpu0=$(cpu_ticks "$name")
	line=$(load "$request" "$name" "$DURATION")
	cpu1=$(cpu_ticks "$name")
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	# An answer of 4xx or 5xx is a broken benchmark; socket errors and
	# timeouts (over 10 s) are load and are reported.
	(($(field status "$line") == 0)) || die "$request $name: answers of 4xx or 5xx: $line
$(grep -v ' level=INFO ' "$work/$name.log" | tail -3)"
	local requests bytes errors rss cpu_us
	requests=$(field requests "$line")
	# A run in which no request finished (every one over the timeout) has
	# no bytes or CPU per request: 0.
	bytes=$(($(field bytes "$line") / (requests > 0 ? requests : 1)))
	# wrk does not count 200s and 304s apart: a 304 has no body, so a run
	# whose answers average over 1 KiB (a page of 20 entries is larger,
	# compressed too) was not answered 304.
	if [[ $request == *-304 ]] && ((bytes > 1024)); then
		die "$request $name: $bytes bytes per answer: the ETag was not answered 304"
	fi
	errors=$(($(field connect "$line") + $(field read "$line") + $(field write "$line") + $(field timeout "$line")))
	rss=$(sort -n "$rssfile" | tail -1)
	cpu_us=$(((cpu1 - cpu0) * 1000000 / hz / (requests > 0 ? requests : 1) * (requests > 0)))
	printf '%s %s %s %s %s %s %s %s %s\n' "$request" "$name" "$(field rps "$line")" "$(field p50 "$line")" "$(field p99 "$line")" \
		"${rss:-0}" "$cpu_us" "$errors" "$bytes" >>"$results"
	say "$request $name: $(field rps "$line") req/s, p50 $(field p50 "$line") ms, p99 $(field p99 "$line") ms, $bytes B/answer, RSS $((${rss:-0} / 1024)) MiB, server CPU $cpu_us µs/request, socket errors $errors"
}

load_before=$(uptime)
started=$(date -u +%Y-%m-%dT%H:%MZ)
say "warming up each server and request for $WARMUP"
for r in "${runs[@]}"; do
	[[ $r == *-304:* ]] || load "${r%%:*}" "${r#*:}" "$WARMUP" >/dev/null
done
order=()
for ((round = 0; round < ROUNDS; round++)); do
	order+=("${runs[@]}")
	for ((i = ${#runs[@]} - 1; i >= 0; i--)); do order+=("${runs[i]}"); done
done
for r in "${order[@]}"; do measure "${r%%:*}" "${r#*:}"; done

say "mixed load: $MIXED_DURATION on moviediary (writes) and moviediary-b"
start moviediary-b
imdb_ids=$(for i in $(seq 1 20); do printf 'tt%08d,' "$i"; done)
# cache_counts name: the page cache's hits, misses and misses because the
# change listener was behind, from the server's /metrics.
cache_counts() {
	curl -fsS "http://127.0.0.1:${port[$1]}/metrics" |
		awk '$1 == "moviediary_cache_hits_total" {h = $2} $1 == "moviediary_cache_misses_total" {m = $2} $1 == "moviediary_cache_behind_total" {b = $2} END {printf "%d %d %d\n", h, m, b}'
}
# mixed out-file [mixedload flags]: one mixed-load run.
mixed() {
	local out=$1
	shift
	MIXEDLOAD_PASSWORD=$PASSWORD "$work/mixedload" -a "http://127.0.0.1:${port[moviediary]}" -b "http://127.0.0.1:${port[moviediary-b]}" \
		-bound-b "$MIXED_BOUND" -writers "$(
			IFS=,
			echo "${writers[*]}"
		)" -imdb-ids "${imdb_ids%,}" \
		-duration "$MIXED_DURATION" -c "$CONNS" -hello "http://127.0.0.1:${port[baseline]}/hello" "$@" >"$out" 2>&1
}
mixed_status=0
read -r a_hits0 a_misses0 a_behind0 <<<"$(cache_counts moviediary)"
read -r b_hits0 b_misses0 b_behind0 <<<"$(cache_counts moviediary-b)"
mixed "$work/mixed.out" || mixed_status=$?
read -r a_hits a_misses a_behind <<<"$(cache_counts moviediary)"
read -r b_hits b_misses b_behind <<<"$(cache_counts moviediary-b)"
cat "$work/mixed.out" >&2
mixed=$(grep '^RESULT' "$work/mixed.out") || die "mixedload printed no result"
# The same with almost no writes: how many reads/s this client reaches when
# nearly every read is a hit, the ceiling of its own work per read (it
# parses and checks every answer) on this machine.
say "mixed load reference: 0.2 % writes"
"$work/benchdb" reset >/dev/null
mixed_ref_status=0
mixed "$work/mixed-ref.out" -write-fraction 0.002 || mixed_ref_status=$?
cat "$work/mixed-ref.out" >&2
mixed_ref=$(grep '^RESULT' "$work/mixed-ref.out") || die "mixedload printed no result (reference run)"
load_after=$(uptime)
"$work/benchdb" reset >/dev/null

median() { sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
col() { awk -v e="$1" -v s="$2" -v c="$3" '$1 == e && $2 == s {print $c}' "$results"; }
med() { col "$@" | median; }
div() { awk -v a="$1" -v b="$2" 'BEGIN {if (b == 0) printf "–"; else printf "%.2f", a / b}'; }
mib() { awk -v k="$(col "$1" "$2" 6 | sort -n | tail -1)" 'BEGIN {printf "%.0f", k / 1024}'; }

label() { # request
	case $1 in
	hello) echo "GET /hello" ;;
	api) echo "GET /api/diary" ;;
	html) echo "GET /diary" ;;
	feed) echo "GET /feed.rss" ;;
	user) echo "GET /users/{id}" ;;
	*-304) echo "$(label "${1%-304}") → 304" ;;
	*-gz) echo "$(label "${1%-gz}"), gzip" ;;
	POST) echo "POST /api/reviews (JWT)" ;;
	POST-token) echo "POST /api/reviews (API token)" ;;
	esac
}

hello_rps=$(med hello baseline 3)
hello_p99=$(med hello baseline 5)
mixed_rps=$(field read_rps "$mixed")
# The mixed load's own client got this many /hello answers a second just
# before: its reads are judged against that, wrk's /hello figure is shown too.
mixed_hello=$(field hello_rps "$mixed")

# The most reads/s the mixed load could reach on this machine: see the
# report's capacity paragraph.
best_read=0 best_read_label=
for r in "${pages[@]}"; do
	for q in "$r" "$r-304"; do
		rps=$(med "$q" moviediary 3)
		if awk -v a="$rps" -v b="$best_read" 'BEGIN {exit !(a > b)}'; then best_read=$rps best_read_label=$(label "$q"); fi
	done
done
post_rps=$(med POST moviediary 3)
post_base_rps=$(med POST baseline 3)
capacity() { awk -v r="$1" -v w="$2" 'BEGIN {if (r > 0 && w > 0) printf "%.1f", 1 / (1 / r + (5 / 95) / w); else print 0}'; } # read-rps write-rps
mixed_cap=$(capacity "$best_read" "$post_rps")
mixed_cap_base=$(capacity "$best_read" "$post_base_rps")

# verdict ratio-list op limit: "met" when every ratio passes.
verdict() {
	awk -v l="$1" -v op="$2" -v lim="$3" 'BEGIN {n = split(l, a, " "); ok = 1
		for (i = 1; i <= n; i++) if (a[i] !~ /^[0-9.]+$/ || (op == ">=" && a[i] + 0 < lim) || (op == "<=" && a[i] + 0 > lim)) ok = 0
		print ok ? "**met**" : "**missed**"}'
}

report() {
	echo "Date: $started; machine: $(nproc) cores ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)), shared."
	echo "Load before: \`${load_before# }\`; after: \`${load_after# }\`."
	echo "Database: $REVIEWS reviews of $MOVIES movies; wrk -t$THREADS -c$CONNS -d$DURATION --timeout 10s --latency, $((ROUNDS * 2)) runs per server and request (the list, then the list reversed); LOG_LEVEL=$LEVEL."
	echo
	echo "| request | server | req/s (median) | ÷ /hello | p50 ms | p99 ms | p99 ÷ /hello's | bytes/answer | max RSS MiB | server CPU µs/req |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	local r s rps p99 rows=("hello baseline")
	for r in "${pages[@]}"; do rows+=("$r moviediary" "$r-304 moviediary"); done
	for r in "${pages[@]}"; do rows+=("$r-gz moviediary" "$r-gz-304 moviediary"); done
	for r in "${pages[@]}"; do rows+=("$r moviediary-cold" "$r-304 moviediary-cold"); done
	local row
	for row in "${rows[@]}"; do
		read -r r s <<<"$row"
		rps=$(med "$r" "$s" 3)
		p99=$(med "$r" "$s" 5)
		printf '| %s | %s | %.0f | %s | %.1f | %.1f | %s | %.0f | %s | %.0f |\n' "$(label "$r")" "$s" "$rps" "$(div "$rps" "$hello_rps")" \
			"$(med "$r" "$s" 4)" "$p99" "$(div "$p99" "$hello_p99")" "$(med "$r" "$s" 9)" "$(mib "$r" "$s")" "$(med "$r" "$s" 7)"
	done
	echo
	echo "| request | server | req/s (median) | p50 ms | p99 ms | req/s ÷ baseline | max RSS MiB | server CPU µs/req |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|"
	local base
	for row in "api moviediary" "api moviediary-cold" "api baseline" "POST moviediary" "POST baseline" "POST-token moviediary" "POST-token baseline"; do
		read -r r s <<<"$row"
		rps=$(med "$r" "$s" 3)
		base=$(med "$r" baseline 3)
		printf '| %s | %s | %.0f | %.1f | %.1f | %s | %s | %.0f |\n' "$(label "$r")" "$s" "$rps" "$(med "$r" "$s" 4)" "$(med "$r" "$s" 5)" \
			"$(div "$rps" "$base")" "$(mib "$r" "$s")" "$(med "$r" "$s" 7)"
	done
	echo
	echo "Mixed load (bench/cmd/mixedload, $MIXED_DURATION, $CONNS connections, 5 % writes by $MIXED_WRITERS writers on moviediary, reads of the four pages and of /api/diary?user_id=…&limit=1 from moviediary and moviediary-b, a quarter of them revalidating; its client first loads the baseline's /hello for 5 s, the yardstick of its reads/s):"
	echo
	echo "| writes | reads/s | ÷ /hello (same client) | ÷ /hello (wrk) | read p50 ms | read p99 ms | writes/s | write p50 ms | write p99 ms | stale on moviediary (bound 0) | stale on moviediary-b (bound $MIXED_BOUND) | moviediary-b behind within the bound | its longest miss ms |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	local m label
	for m in "$mixed" "$mixed_ref"; do
		label="5 %"
		[[ $m == "$mixed_ref" ]] && label="0.2 % (reference)"
		printf '| %s | %.0f | %s | %s | %s | %s | %.0f | %s | %s | %s of %s | %s of %s | %s | %s |\n' "$label" "$(field read_rps "$m")" "$(div "$(field read_rps "$m")" "$(field hello_rps "$m")")" "$(div "$(field read_rps "$m")" "$hello_rps")" \
			"$(field read_p50 "$m")" "$(field read_p99 "$m")" "$(field write_rps "$m")" "$(field write_p50 "$m")" "$(field write_p99 "$m")" \
			"$(field stale_a "$m")" "$(field checked_a "$m")" "$(field stale_b "$m")" "$(field checked_b "$m")" \
			"$(field behind_b "$m")" "$(field lag_b "$m")"
	done
	echo
	echo "Page cache during the 5 % run: moviediary $((a_hits - a_hits0)) hits, $((a_misses - a_misses0)) misses ($((a_behind - a_behind0)) of them because its change listener was behind); moviediary-b $((b_hits - b_hits0)) hits, $((b_misses - b_misses0)) misses ($((b_behind - b_behind0)) behind)."
	echo
	local get_ratios="" nm_ratios="" gz_ratios="" gz_nm_ratios="" p99_ratios="" p q
	for p in "${pages[@]}"; do
		get_ratios+="$(div "$(med "$p" moviediary 3)" "$hello_rps") "
		nm_ratios+="$(div "$(med "$p-304" moviediary 3)" "$hello_rps") "
		gz_ratios+="$(div "$(med "$p-gz" moviediary 3)" "$hello_rps") "
		gz_nm_ratios+="$(div "$(med "$p-gz-304" moviediary 3)" "$hello_rps") "
		for q in "$p" "$p-304" "$p-gz" "$p-gz-304"; do p99_ratios+="$(div "$(med "$q" moviediary 5)" "$hello_p99") "; done
	done
	local stale=$(($(field stale_a "$mixed") + $(field stale_b "$mixed") + $(field stale_a "$mixed_ref") + $(field stale_b "$mixed_ref")))
	echo "| target (cached, against /hello) | result |"
	echo "|---|---|"
	echo "| GET /api/diary, /diary, /feed.rss, /users/{id} ≥ 0.5× req/s, with Accept-Encoding: gzip | $(verdict "$gz_ratios" ">=" 0.5): ${gz_ratios% } |"
	echo "| the same answered 304 ≥ 0.7× req/s, with Accept-Encoding: gzip | $(verdict "$gz_nm_ratios" ">=" 0.7): ${gz_nm_ratios% } |"
	echo "| GET of the same ≥ 0.5× req/s, no Accept-Encoding (uncompressed) | $(verdict "$get_ratios" ">=" 0.5): ${get_ratios% } |"
	echo "| the same answered 304 ≥ 0.7× req/s, no Accept-Encoding | $(verdict "$nm_ratios" ">=" 0.7): ${nm_ratios% } |"
	echo "| p99 ≤ 2× /hello's (GET and 304 of each, both ways) | $(verdict "$p99_ratios" "<=" 2): ${p99_ratios% } |"
	echo "| mixed load: reads ≥ 0.3× req/s of /hello (loaded by mixedload itself just before: $(printf %.0f "$mixed_hello")/s) | $(verdict "$(div "$mixed_rps" "$mixed_hello")" ">=" 0.3): $(div "$mixed_rps" "$mixed_hello") (against wrk's /hello: $(div "$mixed_rps" "$hello_rps")) |"
	echo "| mixed load: what this machine could reach at most (see below) | $(div "$mixed_cap" "$mixed_hello")× the same client's /hello, $(div "$mixed_cap_base" "$mixed_hello")× with the baseline's writes |"
	echo "| mixed load: no stale read (at once on the writing process, within $MIXED_BOUND on the other) | $(if ((stale == 0 && mixed_status == 0 && mixed_ref_status == 0)); then echo "**met**"; else echo "**missed**"; fi): $stale stale in both runs, mixedload exit status $mixed_status and $mixed_ref_status |"
	echo
	echo "Capacity of this machine for the mixed load, from this run's wrk figures. A load whose requests would each take the whole machine at rates R (reads) and W (writes) fits when reads/R + writes/W ≤ 1; with writes = reads × 5/95 that gives reads ≤ 1 / (1/R + (5/95)/W). Every choice favours the target: R is the best uncompressed cached rate of the four pages ($(printf %.0f "$best_read")/s, $best_read_label: as if every read were a hit at the cheapest answer's cost), W is POST /api/reviews with a session JWT ($(printf %.0f "$post_rps")/s; the baseline's one INSERT: $(printf %.0f "$post_base_rps")/s), and wrk's work per request is counted where mixedload's own, larger, is not. So reads ≤ $(printf %.0f "$mixed_cap")/s, $(div "$mixed_cap" "$mixed_hello")× the $(printf %.0f "$mixed_hello")/s the mixed load's client got from /hello (the target: 0.3×, $(awk -v h="$mixed_hello" 'BEGIN {printf "%.0f", 0.3 * h}') reads/s with $(awk -v h="$mixed_hello" 'BEGIN {printf "%.0f", 0.3 * h * 5 / 95}') writes/s); with writes as cheap as the baseline's INSERT, ≤ $(printf %.0f "$mixed_cap_base")/s ($(div "$mixed_cap_base" "$mixed_hello")×). The misses every write causes come on top."
	echo
	echo "Every run, in order (request server req/s p50-ms p99-ms RSS-KiB CPU-µs/request socket-errors bytes/answer):"
	echo
	sed 's/^/    /' "$results"
	echo
	echo "Mixed load:"
	echo
	sed 's/^/    /' "$work/mixed.out"
	echo
	echo "Mixed load, reference (0.2 % writes):"
	echo
	sed 's/^/    /' "$work/mixed-ref.out"
}

echo
report | tee "${BENCH_REPORT:-/dev/null}"
((mixed_status == 0 && mixed_ref_status == 0)) || die "the mixed load failed (exit status $mixed_status, reference $mixed_ref_status): see its output above"
