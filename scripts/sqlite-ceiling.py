#!/usr/bin/env python3
"""Reference ceiling for SQLite ingest on this machine (see BENCHMARKS.md).

Writes the first N captures of a generated JSONL file into a fresh SQLite file with Lantern's
schema, WAL and synchronous=FULL, 10,000-row transactions, two statements per capture (listing
upsert, capture insert). No validation and no lookup of stored captures: strictly less work than
`lantern ingest`, so its rate bounds what Lantern's writer can reach.

    python3 scripts/sqlite-ceiling.py CAPTURES.jsonl N
"""
import hashlib
import json
import os
import sqlite3
import sys
import tempfile
import time
import zlib

SCHEMA = os.path.join(os.path.dirname(__file__), "..", "crates/store/migrations/sqlite/0001_captures.sql")
BATCH = 10_000


def main() -> None:
    path, n = sys.argv[1], int(sys.argv[2])
    rows = []
    with open(path, "rb") as f:
        for i, line in enumerate(f):
            if i >= n:
                break
            d = json.loads(line)
            rows.append((d["source"], d["external_id"], d["captured_at"],
                         hashlib.sha256(line).digest(), zlib.compress(line, 1)))
    with tempfile.TemporaryDirectory() as tmp:
        con = sqlite3.connect(os.path.join(tmp, "t.db"), isolation_level=None)
        for pragma in ("journal_mode=wal", "synchronous=full", "cache_size=-32768"):
            con.execute("pragma " + pragma)
        with open(SCHEMA) as f:
            con.executescript(f.read())
        con.execute("insert into ingest_runs (started_at, actor, mode, files, status) "
                    "values ('x', 'x', 'partial', '[]', 'running')")
        start = time.time()
        for s in range(0, len(rows), BATCH):
            batch = rows[s:s + BATCH]
            con.execute("begin immediate")
            con.executemany(
                "insert into listings (source, external_id, first_seen, last_seen) values (?, ?, ?, ?) "
                "on conflict (source, external_id) do update set "
                "first_seen = min(first_seen, excluded.first_seen), "
                "last_seen = max(last_seen, excluded.last_seen)",
                [(r[0], r[1], r[2], r[2]) for r in batch])
            con.executemany(
                "insert into captures (listing_id, content_hash, first_captured_at, last_captured_at, "
                "raw_format, raw_zstd, ingest_run_id) "
                "select id, ?, ?, ?, 'jsonl', ?, 1 from listings where source = ? and external_id = ? "
                "on conflict do nothing",
                [(r[3], r[2], r[2], r[4], r[0], r[1]) for r in batch])
            con.execute("commit")
        elapsed = time.time() - start
        con.close()
    print(f"{len(rows)} rows in {elapsed:.2f}s = {len(rows) / elapsed:.0f} rows/s")


if __name__ == "__main__":
    main()
