#!/usr/bin/env python3
"""Print per-op times and ratios to turnstile from a `cargo bench` run.

Usage: python3 benches/ratios.py [CRITERION_DIR] [--median] [--bench NAME]

--bench NAME picks the bench whose tables are printed (see BENCHES below:
`mutex`, `rwlock`, `semaphore`); without it, every bench with results under
CRITERION_DIR is printed. The text below describes the mutex bench; the
rwlock and semaphore benches (benches/rwlock.rs, benches/semaphore.rs) work
the same way with their own groups, ops per iteration and unit of work.

CRITERION_DIR defaults to target/criterion (relative to the crate root, i.e.
the parent of this file's directory). For every group the bench writes
(`uncontended`, `two_threads`, `tokio_64_tasks`) it reads
`<dir>/<group>/<function>/new/estimates.json` (mean point estimate, or median
with --median, in ns per iteration) and divides by the number of lock/unlock
pairs per iteration: criterion stores the bench's `Throughput::Elements(n)` in
`new/benchmark.json`; if that is missing, OPS_PER_ITER below (kept in step
with the constants in benches/mutex.rs) is used.

"x turnstile" is the contestant's time divided by turnstile's time in the
same group: above 1 means the contestant is slower than turnstile, below 1
faster.
"""

import json
import os
import signal
import sys

GROUPS = ["uncontended", "two_threads", "tokio_64_tasks"]

# Lock/unlock pairs per criterion iteration; must match benches/mutex.rs
# (K * THREADS and TASKS * N). Only used when benchmark.json has no throughput.
OPS_PER_ITER = {
    "uncontended": 1,
    "two_threads": 2 * 10_000,
    "tokio_64_tasks": 64 * 200,
}

# Row order in the tables; anything else found is appended alphabetically.
ORDER = [
    "turnstile",
    "turnstile-try_lock",
    "turnstile-lock_blocking",
    "floor",
    "std",
    "async-lock",
    "tokio",
    "futures",
    "embassy-sync",
    "maitake-sync",
    "futures-intrusive",
]

# benches/semaphore.rs: groups, acquire/release pairs per iteration (the
# fallback, as above) and row order.
SEMAPHORE_GROUPS = [
    "semaphore_uncontended",
    "semaphore_tokio_64_tasks",
    "semaphore_tokio_64_tasks_w1",
    "semaphore_two_threads",
]
SEMAPHORE_OPS_PER_ITER = {
    "semaphore_uncontended": 1,
    "semaphore_tokio_64_tasks": 64 * 200,
    "semaphore_tokio_64_tasks_w1": 64 * 200,
    "semaphore_two_threads": 2 * 10_000,
}
SEMAPHORE_ORDER = [
    "turnstile",
    "turnstile-try_acquire",
    "turnstile-acquire_blocking",
    "std-mutex",
    "tokio",
    "tokio-blocking_acquire",
    "async-lock",
    "async-lock-acquire_blocking",
    "embassy-greedy",
    "embassy-fair",
    "maitake-sync",
    "futures-intrusive-fair",
    "futures-intrusive-unfair",
]

# benches/rwlock.rs: the same for the RwLock's groups (an op is one read or
# one write).
RWLOCK_GROUPS = [
    "rwlock_uncontended_read",
    "rwlock_read_with_reader_inside",
    "rwlock_uncontended_write",
    "rwlock_two_threads_95_5",
]
RWLOCK_OPS_PER_ITER = {
    "rwlock_uncontended_read": 1,
    "rwlock_read_with_reader_inside": 1,
    "rwlock_uncontended_write": 1,
    "rwlock_two_threads_95_5": 2 * 10_000,
}
RWLOCK_ORDER = [
    "turnstile",
    "turnstile-try",
    "turnstile-blocking",
    "std",
    "async-lock",
    "tokio",
    "maitake-sync",
    "embassy-sync",
]

# Per bench: groups, fallback ops per iteration, row order, what one op is,
# and the rows the uncontended group's turnstile time is also divided by.
BENCHES = {
    "mutex": dict(
        groups=GROUPS,
        ops=OPS_PER_ITER,
        order=ORDER,
        op="lock/unlock",
        uncontended=("uncontended",),
        baselines=("std", "floor"),
    ),
    "rwlock": dict(
        groups=RWLOCK_GROUPS,
        ops=RWLOCK_OPS_PER_ITER,
        order=RWLOCK_ORDER,
        op="read or write",
        uncontended=(
            "rwlock_uncontended_read",
            "rwlock_read_with_reader_inside",
            "rwlock_uncontended_write",
        ),
        baselines=("std",),
        peers=("async-lock", "tokio", "maitake-sync", "embassy-sync"),
    ),
    "semaphore": dict(
        groups=SEMAPHORE_GROUPS,
        ops=SEMAPHORE_OPS_PER_ITER,
        order=SEMAPHORE_ORDER,
        op="acquire/release",
        uncontended=("semaphore_uncontended",),
        baselines=("std-mutex",),
    ),
}

BASELINE = "turnstile"


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def load_group(root, group, stat, ops_per_iter=None):
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
            ops = (ops_per_iter or OPS_PER_ITER).get(group, 1)
        out[name] = ns / ops
    return out


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3f} µs"
    return f"{ns:.2f} ns"


def ordered(names, order=None):
    order = order or ORDER
    known = [n for n in order if n in names]
    rest = sorted(n for n in names if n not in order)
    return known + rest


def main(argv):
    stat = "mean"
    args = []
    benches = list(BENCHES)
    it = iter(argv[1:])
    for a in it:
        if a == "--median":
            stat = "median"
        elif a == "--bench" or a.startswith("--bench="):
            name = a.split("=", 1)[1] if "=" in a else next(it, None)
            if name not in BENCHES:
                print(f"--bench: one of {', '.join(BENCHES)}", file=sys.stderr)
                return 2
            benches = [name]
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
    for bench in benches:
        b = BENCHES[bench]
        for group in b["groups"]:
            times = load_group(root, group, stat, b["ops"])
            if not times:
                continue
            found_any = True
            base = times.get(BASELINE)
            print(f"### {group} ({stat}, time per {b['op']})\n")
            print("| contestant | time per op | x turnstile |")
            print("| --- | ---: | ---: |")
            for name in ordered(times, b["order"]):
                t = times[name]
                ratio = f"{t / base:.2f}" if base else "n/a"
                print(f"| {name} | {fmt_time(t)} | {ratio} |")
            print()
            if group in b["uncontended"] and base:
                for other in b["baselines"]:
                    if other in times:
                        print(f"turnstile / {other}: {base / times[other]:.2f}")
                print()
            present = [p for p in b.get("peers", ()) if p in times]
            if present and base:
                fastest = min(present, key=lambda p: times[p])
                print(
                    f"turnstile / fastest async peer ({fastest}): "
                    f"{base / times[fastest]:.2f}"
                )
                print()
    if not found_any:
        groups = [g for bench in benches for g in BENCHES[bench]["groups"]]
        print(f"no results for {', '.join(groups)} under {root}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # Exit quietly when piped into `head` and the like.
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main(sys.argv))
