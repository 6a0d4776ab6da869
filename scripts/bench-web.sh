#!/usr/bin/env bash
# Web load benchmark (issue 8): premises (location) pages, the new-locations list and search,
# 50 concurrent connections on loopback with wrk, p95 and requests/s, against an analysed store.
#
#   bash scripts/bench-web.sh DATA_DIR [DATABASE_URL]
#
# DATA_DIR must hold an analysed store (see BENCHMARKS.md for making the 1M one). The script adds
# an organisation and an analyst account (once), serves on a free port, signs in with curl and
# runs wrk (apt-get install wrk) with a Lua script that cycles through real ids and prints p95.
set -euo pipefail
data_dir=${1:?usage: bench-web.sh DATA_DIR [DATABASE_URL]}
db_args=(--data-dir "$data_dir")
[ -n "${2:-}" ] && db_args+=(--database-url "$2")
bin=${LANTERN_BIN:-target/release/lantern}
duration=${BENCH_SECONDS:-30}
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin" "${db_args[@]}" org add --name "Bench Police" --kind POLICE >/dev/null 2>&1 || true
echo "bench password for load tests" | "$bin" "${db_args[@]}" user add --username bench.analyst \
  --org "Bench Police" --role police_analyst --password-stdin >/dev/null 2>&1 || true
echo "bench password for load tests" | "$bin" "${db_args[@]}" user reset bench.analyst --password-stdin >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" "${db_args[@]}" serve --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/login" -o "$work/login.html" && break; sleep 0.2; done
token=$(grep -o 'name="csrf" value="[^"]*"' "$work/login.html" | sed 's/.*value="//;s/"$//')
curl -fs -c "$work/jar" -b "$work/jar" "http://127.0.0.1:$port/login" -o "$work/login.html"
token=$(grep -o 'name="csrf" value="[^"]*"' "$work/login.html" | sed 's/.*value="//;s/"$//')
curl -s -c "$work/jar" -b "$work/jar" -o /dev/null \
  --data-urlencode "csrf=$token" --data-urlencode "username=bench.analyst" \
  --data-urlencode "password=bench password for load tests" "http://127.0.0.1:$port/login"
session=$(awk '$6 == "lantern_session" { print $7 }' "$work/jar")
[ -n "$session" ] || { echo "could not sign in" >&2; exit 1; }

# Real ids and terms: 500 locations, 200 phone numbers from the export (the readers stop early,
# closing the pipes: pipefail is off for these two).
set +o pipefail
"$bin" "${db_args[@]}" export locations | head -n 500 | python3 -c '
import json, sys
for line in sys.stdin: print("/locations/" + json.loads(line)["location"])' >"$work/locations.txt"
"$bin" "${db_args[@]}" export adverts | head -n 20000 | python3 -c '
import json, sys, urllib.parse
seen = []
for line in sys.stdin:
    for p in json.loads(line)["phones"]:
        if p not in seen: seen.append(p)
    if len(seen) >= 200: break
for p in seen: print("/api/search?q=" + urllib.parse.quote(p))' >"$work/search.txt"
set -o pipefail

cat >"$work/paths.lua" <<'LUA'
local paths, i = {}, 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Cookie"] = "lantern_session=" .. SESSION })
end
done = function(summary, latency, requests)
  io.write(string.format("requests/s %.0f, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, errors %d (non-2xx %d)\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
LUA
sed -i "1i SESSION = \"$session\"" "$work/paths.lua"
echo "/locations?all=0" >"$work/list.txt"

run() {
  printf '%-28s ' "$1"
  wrk -t2 -c50 -d"${duration}s" --timeout 10s -s "$work/paths.lua" "http://127.0.0.1:$port" -- "$2" | tail -n 1
}
echo "lantern serve on $("$bin" "${db_args[@]}" migrate >/dev/null 2>&1; echo "${2:-SQLite in $data_dir}"), ${duration}s each, 50 connections:"
run "premises/location pages" "$work/locations.txt"
run "search (phone numbers)" "$work/search.txt"
run "new locations list" "$work/list.txt"
