#!/usr/bin/env python3
"""Print per-op times and ratios to turnstile from `cargo bench --bench mutex`
and `cargo bench --bench rwlock` runs.

Usage: python3 benches/ratios.py [CRITERION_DIR] [--median]

CRITERION_DIR defaults to target/criterion (relative to the crate root, i.e.
the parent of this file's directory). For every group the benches write
(mutex: `uncontended`, `two_threads`, `tokio_64_tasks`; rwlock:
`rwlock_uncontended_read`, `rwlock_uncontended_write`,
`rwlock_two_threads_95_5`) it reads
`<dir>/<group>/<function>/new/estimates.json` (mean point estimate, or median
with --median, in ns per iteration) and divides by the number of lock/unlock
pairs per iteration: criterion stores the bench's `Throughput::Elements(n)` in
`new/benchmark.json`; if that is missing, OPS_PER_ITER below (kept in step
with the constants in benches/mutex.rs and benches/rwlock.rs) is used.

"x turnstile" is the contestant's time divided by turnstile's time in the
same group: above 1 means the contestant is slower than turnstile, below 1
faster.
"""

import json
import os
import signal
import sys

GROUPS = [
    "uncontended",
    "two_threads",
    "tokio_64_tasks",
    "rwlock_uncontended_read",
    "rwlock_uncontended_write",
    "rwlock_two_threads_95_5",
]

# Groups whose "op" is a read or write rather than a lock/unlock pair.
RWLOCK_GROUPS = {g for g in GROUPS if g.startswith("rwlock_")}

# Lock/unlock pairs per criterion iteration; must match benches/mutex.rs
# (K * THREADS and TASKS * N). Only used when benchmark.json has no throughput.
OPS_PER_ITER = {
    "uncontended": 1,
    "two_threads": 2 * 10_000,
    "tokio_64_tasks": 64 * 200,
    "rwlock_uncontended_read": 1,
    "rwlock_uncontended_write": 1,
    "rwlock_two_threads_95_5": 2 * 10_000,
}

# Row order in the tables; anything else found is appended alphabetically.
ORDER = [
    "turnstile",
    "turnstile-try_lock",
    "turnstile-lock_blocking",
    "turnstile-try",
    "turnstile-blocking",
    "floor",
    "std",
    "async-lock",
    "tokio",
    "futures",
    "embassy-sync",
    "maitake-sync",
    "futures-intrusive",
]

BASELINE = "turnstile"


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def load_group(root, group, stat):
    """Return {function name: ns per op} for one group."""
    gdir = os.path.join(root, group)
    out = {}
    if not os.path.isdir(gdir):
        return out
    for entry in sorted(os.listdir(gdir)):
        new = os.path.join(gdir, entry, "new")
        est = read_json(os.path.join(new, "estimates.json"))
        if est is None:
            continue
        ns = est[stat]["point_estimate"]
        meta = read_json(os.path.join(new, "benchmark.json")) or {}
        name = meta.get("function_id") or entry
        ops = None
        thr = meta.get("throughput")
        if isinstance(thr, dict) and "Elements" in thr:
            ops = thr["Elements"]
        if not ops:
            ops = OPS_PER_ITER.get(group, 1)
        out[name] = ns / ops
    return out


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3f} µs"
    return f"{ns:.2f} ns"


def ordered(names):
    known = [n for n in ORDER if n in names]
    rest = sorted(n for n in names if n not in ORDER)
    return known + rest


def main(argv):
    stat = "mean"
    args = []
    for a in argv[1:]:
        if a == "--median":
            stat = "median"
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            args.append(a)
    if args:
        root = args[0]
    else:
        here = os.path.dirname(os.path.abspath(__file__))
        root = os.path.join(os.path.dirname(here), "target", "criterion")
    if not os.path.isdir(root):
        print(f"no criterion directory at {root}", file=sys.stderr)
        return 1

    found_any = False
    for group in GROUPS:
        times = load_group(root, group, stat)
        if not times:
            continue
        found_any = True
        base = times.get(BASELINE)
        unit = "operation" if group in RWLOCK_GROUPS else "lock/unlock"
        print(f"### {group} ({stat}, time per {unit})\n")
        print("| contestant | time per op | x turnstile |")
        print("| --- | ---: | ---: |")
        for name in ordered(times):
            t = times[name]
            ratio = f"{t / base:.2f}" if base else "n/a"
            print(f"| {name} | {fmt_time(t)} | {ratio} |")
        print()
        if group in ("uncontended", "rwlock_uncontended_read", "rwlock_uncontended_write") and base:
            for other in ("std", "floor"):
                if other in times:
                    print(f"turnstile / {other}: {base / times[other]:.2f}")
            print()
        if group in RWLOCK_GROUPS and base:
            peers = ["async-lock", "tokio", "maitake-sync", "embassy-sync"]
            present = [p for p in peers if p in times]
            if present:
                fastest = min(present, key=lambda p: times[p])
                print(f"turnstile / fastest async peer ({fastest}): {base / times[fastest]:.2f}")
                print()
    if not found_any:
        print(f"no results for {', '.join(GROUPS)} under {root}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # Exit quietly when piped into `head` and the like.
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main(sys.argv))
