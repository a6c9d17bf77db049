"""Fills a migrated podium SQLite database with N ranked entries on one board, as the start-up
figure in BENCHMARKS.md ("Rankings loaded at start-up") was measured: random values 0–1 000 000,
random times over a year, one RUN_RUNS entry per row, each value's IEEE-754 bits in
`value_bits` (checked against the stored REAL on 100 000 rows after writing).
   python3 generate.py DB-FILE ACCOUNT-ID GAME-ID BOARD-ID N
IDs are podium's: a prefix and a ULID's 128 bits in lower-case Crockford base32."""
import random
import sqlite3
import struct
import sys
import time

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def ulid_text(prefix, rng):
    value = rng.getrandbits(128)
    out = []
    for _ in range(26):
        out.append(ALPHABET[value & 31])
        value >>= 5
    return prefix + "_" + "".join(reversed(out))


def bits(v):
    return struct.unpack("<q", struct.pack("<d", v))[0]


def main():
    path, account, game, board, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    rng = random.Random(20261204)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    started = time.monotonic()
    base = 1_767_225_600_000_000  # 2026-01-01, microseconds
    year = 365 * 86_400 * 1_000_000
    done = 0
    while done < n:
        rows = []
        for _ in range(min(100_000, n - done)):
            value = float(rng.randrange(0, 1_000_001))
            at = base + rng.randrange(year)
            rows.append((ulid_text("scr", rng), account, game, board, ulid_text("ide", rng), value, bits(value),
                         ulid_text("sev", rng), at, at))
        db.executemany(
            "INSERT INTO scores (id, account_id, game_id, board_id, identity_id, slot, is_test, player_name, value, "
            "value_bits, status, event_id, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, NULL, 0, 'p', ?, ?, 'active', ?, ?, ?)",
            rows,
        )
        db.commit()
        done += len(rows)
        print(f"{done} rows ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    checked = db.execute("SELECT value, value_bits FROM scores LIMIT 100000").fetchall()
    mismatched = sum(1 for v, b in checked if bits(float(v)) != b)
    if mismatched:
        sys.exit(f"{mismatched} of {len(checked)} rows have value_bits that are not their value's")
    print(f"{done} rows written, value_bits checked on {len(checked)}", file=sys.stderr)


main()
