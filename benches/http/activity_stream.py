#!/usr/bin/env python3
"""The seed's own design on the same event stream as activity.lua, for the comparison in
BENCHMARKS.md: per event, the Redis commands Divan's record_*() functions issue — a per-counter
INCR with a 24-hour EXPIRE, a cooldown key SET with its expiry, the burst counter — plus a
ZINCRBY per ranking the points reach (day and all time, total and category), all pipelined
through `redis-cli --pipe`. Scores are not clamped here: the seed clamps them in its 5-minute
job, which this does not run (podium's figure includes every rule).

    activity_stream.py EVENTS USERS PREFIX > commands.resp
"""
import sys
import time

events, users, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
day = time.strftime("%Y-%m-%d", time.gmtime())
out = sys.stdout.buffer
DAY = b"86400"


def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))


def counter(key):
    cmd(b"INCR", key)
    cmd(b"EXPIRE", key, DAY)


def points(user, category, n):
    for period in (day, "all"):
        cmd(b"ZINCRBY", f"{prefix}lb:{period}:{category}", n, user)
        cmd(b"ZINCRBY", f"{prefix}lb:{period}:total", n, user)


for i in range(events):
    kind = i % 10
    a = (i * 7919 + 17) % users
    b = (i * 104729 + 31) % users
    if b == a:
        b = (a + 1) % users
    ua, ub = f"u{a}", f"u{b}"
    if kind <= 3:
        counter(f"{prefix}ac:dm_pair:{day}:{ua}:{ub}")
        cmd(b"SET", f"{prefix}ac:dm_cd:{ua}:{ub}", 1, b"EX", 300)
        counter(f"{prefix}ac:dms:{day}:{ua}")
        counter(f"{prefix}lb:burst:dm:{ua}:{ub}")
        cmd(b"SADD", f"{prefix}ac:senders:{day}:{ub}", ua)
        points(ua, "friends", 2)
        points(ub, "popularity", 10)
    elif kind <= 6:
        counter(f"{prefix}ac:room_msgs:{day}:{ua}")
        counter(f"{prefix}lb:burst:r{i % 1000}:{ua}")
        points(ua, "friends", 1)
    elif kind <= 8:
        pair = ":".join(sorted((ua, ub)))
        counter(f"{prefix}ac:game_pair:{day}:{pair}")
        cmd(b"SET", f"{prefix}ac:game_cd:{pair}", 1, b"EX", 1800)
        points(ua, "games", 50 if i % 3 == 0 else 200)
        points(ub, "games", 50)
    else:
        for u in (ua, ub):
            counter(f"{prefix}ac:friends_daily:{day}:{u}")
            points(u, "friends", 50)
