#!/usr/bin/env bash
# Ingest throughput benchmark: generated captures into SQLite and PostgreSQL.
#   bash scripts/bench-ingest.sh [SIZES...]        (default: 100000 1000000)
# Prints one Markdown table row per run: captures/s, MB/s of input, peak RSS (GNU time).
# PostgreSQL: LANTERN_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres); each run
# gets a database of its own, dropped afterwards. Set LANTERN_BENCH_PG_URL=skip to skip it.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-100000 1000000}")
read -r -a sizes <<<"${sizes[*]}"
pg_url="${LANTERN_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
work="${BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$work"

cargo build --release --quiet -p lantern -p lantern-testkit
lantern=target/release/lantern

echo "| captures | backend | seconds | captures/s | MB/s | peak RSS MB | stored | duplicates |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  input="$work/captures-$n.jsonl"
  [ -s "$input" ] || target/release/gen-captures "$n" 1 >"$input"
  mb=$(( $(stat -c %s "$input") / 1000000 ))
  for backend in sqlite postgres; do
    args=(--data-dir "$work/data-$backend-$n")
    rm -rf "$work/data-$backend-$n"
    db=""
    if [ "$backend" = postgres ]; then
      [ "$pg_url" = skip ] && continue
      db="lantern_bench_$$_$n"
      psql "$pg_url" -qc "CREATE DATABASE $db" >/dev/null
      args+=(--database-url "${pg_url%/*}/$db")
    fi
    out=$(/usr/bin/time -f "TIME %e %M" "$lantern" "${args[@]}" ingest --quiet "$input" 2>&1)
    secs=$(grep -o 'TIME [0-9.]* [0-9]*' <<<"$out" | awk '{print $2}')
    rss=$(grep -o 'TIME [0-9.]* [0-9]*' <<<"$out" | awk '{printf "%d", $3/1024}')
    stored=$(grep -o 'stored [0-9]* new' <<<"$out" | awk '{print $2}')
    dups=$(grep -o 'duplicates [0-9]*' <<<"$out" | awk '{print $2}')
    rate=$(awk -v n="$n" -v s="$secs" 'BEGIN{printf "%d", n/s}')
    mbs=$(awk -v m="$mb" -v s="$secs" 'BEGIN{printf "%.1f", m/s}')
    echo "| $n | $backend | $secs | $rate | $mbs | $rss | $stored | $dups |"
    [ -n "$db" ] && psql "$pg_url" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
    rm -rf "$work/data-$backend-$n"
  done
done
