#!/usr/bin/env python3
"""The Python + SQLite peer of `ccm-ledger import` (issue 15): what a short script does with
the same JSON Lines file, to measure the import against.

Each line is parsed as JSON, chained with blake2b (the hash of the previous entry, the seq
and the line's canonical bytes) and inserted into a SQLite database in WAL mode with
synchronous=FULL, all in one transaction, durable at commit. No validation and no rules:
it is the floor a general-purpose tool gives for "parse, chain, store durably".

    python3 benches/sqlite_peer.py FILE DB        # prints: events, seconds, events/s
"""

import hashlib
import json
import os
import sqlite3
import sys
import time


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: sqlite_peer.py FILE DB", file=sys.stderr)
        return 2
    source, path = sys.argv[1], sys.argv[2]
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    started = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    assert db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    db.execute("PRAGMA synchronous=FULL")
    db.execute(
        "CREATE TABLE entries (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
        " body BLOB NOT NULL, prev BLOB NOT NULL, hash BLOB NOT NULL)"
    )
    db.execute("BEGIN")
    prev = bytes(32)
    seq = 0
    insert = "INSERT INTO entries (seq, kind, body, prev, hash) VALUES (?, ?, ?, ?, ?)"
    with open(source, "rb") as lines:
        for line in lines:
            if not line.strip():
                continue
            event = json.loads(line)
            body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
            digest = hashlib.blake2b(digest_size=32)
            digest.update(prev)
            digest.update(seq.to_bytes(8, "little"))
            digest.update(body)
            hashed = digest.digest()
            db.execute(insert, (seq, event["kind"], body, prev, hashed))
            prev = hashed
            seq += 1
    db.execute("COMMIT")
    db.close()
    elapsed = time.perf_counter() - started
    print(f"{seq} events in {elapsed:.3f} s: {seq / elapsed:,.0f} events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
