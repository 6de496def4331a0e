//! The catalogue: every row (a workload) with its contestants.
//!
//! The `*_peers!` macros list the crates that have a primitive, once; a row
//! names a workload and gets every contestant of the primitive from them.
//! Adding a peer: its adapter impl (in [`crate::adapters`]) and one line in
//! the macro. Adding a row: one `row(...)` call below.

use crate::adapters::*;
use crate::exec::Rt;
use crate::workloads::*;

/// A contestant's role in a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// turnstile-sync's main form (the one the row is about).
    Turnstile,
    /// An async peer with the same primitive.
    Peer,
    /// Shown for reference, not ranked: std's blocking lock, turnstile's
    /// other forms, a peer's mode with weaker guarantees (not FIFO).
    Reference,
}

/// Which table (and chart) a timed row belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// One thread, futures polled once.
    Uncontended,
    /// Threads or tasks contending; throughput.
    Contended,
    /// Release (or notify) to the woken waiter running.
    Latency,
}

/// One contestant of a timed row.
pub struct Contestant {
    /// Its name in tables and charts.
    pub name: &'static str,
    /// Its role.
    pub kind: Kind,
    /// Its work.
    pub run: Runner,
}

/// A timed row.
pub struct Row {
    /// Stable id (criterion group name, key of [`REASONS`]).
    pub id: String,
    /// Human title.
    pub title: String,
    /// Its table.
    pub section: Section,
    /// What one op is.
    pub unit: &'static str,
    /// Its contestants, turnstile first.
    pub contestants: Vec<Contestant>,
}

/// A contestant of a fairness or allocation row.
pub struct Probe<F> {
    /// Its name.
    pub name: &'static str,
    /// Its role.
    pub kind: Kind,
    /// The measurement.
    pub run: F,
}

/// A fairness measurement: `run(ops per thread)`.
pub type FairRunner = fn(u64) -> Fairness;

/// A fairness row: two threads hammering one lock.
pub struct FairRow {
    /// Stable id.
    pub id: &'static str,
    /// Human title.
    pub title: &'static str,
    /// Contestants (`run(ops per thread)`).
    pub contestants: Vec<Probe<FairRunner>>,
}

/// An allocation row: allocations per contended wait.
pub struct AllocRow {
    /// Stable id (also the primitive).
    pub id: &'static str,
    /// Contestants.
    pub contestants: Vec<Probe<AllocRunner>>,
}

use Kind::{Peer, Reference, Turnstile};

fn c(name: &'static str, kind: Kind, run: Runner) -> Contestant {
    Contestant { name, kind, run }
}

/// Every async mutex: `$w!(Type)` makes the runner.
macro_rules! mutex_peers {
    ($w:ident $(, $arg:expr)*) => {
        vec![
            c("turnstile", Turnstile, $w::<turnstile_sync::Mutex<u64>>($($arg),*)),
            c("async-lock", Peer, $w::<async_lock::Mutex<u64>>($($arg),*)),
            c("tokio", Peer, $w::<tokio::sync::Mutex<u64>>($($arg),*)),
            c("futures", Peer, $w::<futures::lock::Mutex<u64>>($($arg),*)),
            c("embassy-sync", Peer, $w::<EmbassyMutex>($($arg),*)),
            c("maitake-sync", Peer, $w::<maitake_sync::Mutex<u64>>($($arg),*)),
            c("futures-intrusive", Peer, $w::<futures_intrusive::sync::Mutex<u64>>($($arg),*)),
        ]
    };
}

/// Every async reader-writer lock.
macro_rules! rwlock_peers {
    ($w:ident) => {
        vec![
            c("turnstile", Turnstile, $w::<turnstile_sync::RwLock<u64>>()),
            c("async-lock", Peer, $w::<async_lock::RwLock<u64>>()),
            c("tokio", Peer, $w::<tokio::sync::RwLock<u64>>()),
            c("maitake-sync", Peer, $w::<maitake_sync::RwLock<u64>>()),
            c("embassy-sync", Peer, $w::<EmbassyRwLock>()),
        ]
    };
}

/// Every FIFO async semaphore that takes weights, plus the non-FIFO modes
/// as references.
macro_rules! weighted_semaphore_peers {
    ($w:ident $(, $arg:expr)*) => {
        vec![
            c("turnstile", Turnstile, $w::<turnstile_sync::Semaphore>($($arg),*)),
            c("tokio", Peer, $w::<tokio::sync::Semaphore>($($arg),*)),
            c("maitake-sync", Peer, $w::<maitake_sync::Semaphore>($($arg),*)),
            c("futures-intrusive", Peer, $w::<FuturesIntrusiveSem<true>>($($arg),*)),
            c("embassy-sync", Peer, $w::<EmbassyFair>($($arg),*)),
            c("futures-intrusive unfair", Reference, $w::<FuturesIntrusiveSem<false>>($($arg),*)),
            c("embassy-sync greedy", Reference, $w::<EmbassyGreedy>($($arg),*)),
        ]
    };
}

/// Every async barrier.
macro_rules! barrier_peers {
    ($w:ident $(, $arg:expr)*) => {
        vec![
            c("turnstile", Turnstile, $w::<turnstile_sync::Barrier>($($arg),*)),
            c("tokio", Peer, $w::<tokio::sync::Barrier>($($arg),*)),
            c("async-lock", Peer, $w::<async_lock::Barrier>($($arg),*)),
        ]
    };
}

/// Every notify-one signal (see [`Signal`] for what counts).
macro_rules! signal_peers {
    ($w:ident $(, $arg:expr)*) => {
        vec![
            c("turnstile", Turnstile, $w::<turnstile_sync::Notify>($($arg),*)),
            c("tokio", Peer, $w::<tokio::sync::Notify>($($arg),*)),
            c("event-listener", Peer, $w::<EventSignal>($($arg),*)),
            c("maitake-sync", Peer, $w::<maitake_sync::WaitQueue>($($arg),*)),
            c("embassy-sync", Peer, $w::<EmbassySignal>($($arg),*)),
        ]
    };
}

fn row(
    id: &str,
    title: &str,
    section: Section,
    unit: &'static str,
    contestants: Vec<Contestant>,
) -> Row {
    Row {
        id: id.to_string(),
        title: title.to_string(),
        section,
        unit,
        contestants,
    }
}

/// Every timed row, in report order.
pub fn timed_rows() -> Vec<Row> {
    use Section::*;
    let mut rows = vec![];

    // Uncontended.
    let mut m = mutex_peers!(mutex_uncontended);
    m.push(c(
        "std",
        Reference,
        lock_uncontended::<std::sync::Mutex<u64>>(),
    ));
    m.push(c(
        "turnstile try_lock",
        Reference,
        lock_uncontended::<TurnstileTryLock>(),
    ));
    m.push(c(
        "turnstile lock_blocking",
        Reference,
        lock_uncontended::<TurnstileBlocking>(),
    ));
    rows.push(row(
        "mutex_uncontended",
        "Mutex: `lock().await` + unlock, uncontended",
        Uncontended,
        "ns per lock/unlock",
        m,
    ));

    let mut r = rwlock_peers!(rwlock_read_uncontended);
    r.push(c(
        "std",
        Reference,
        rw_blocking_uncontended::<std::sync::RwLock<u64>>(false),
    ));
    r.push(c(
        "turnstile read_blocking",
        Reference,
        rw_blocking_uncontended::<TurnstileRwBlocking>(false),
    ));
    rows.push(row(
        "rwlock_read_uncontended",
        "RwLock: `read().await` + unlock, uncontended",
        Uncontended,
        "ns per read",
        r,
    ));
    let mut w = rwlock_peers!(rwlock_write_uncontended);
    w.push(c(
        "std",
        Reference,
        rw_blocking_uncontended::<std::sync::RwLock<u64>>(true),
    ));
    w.push(c(
        "turnstile write_blocking",
        Reference,
        rw_blocking_uncontended::<TurnstileRwBlocking>(true),
    ));
    rows.push(row(
        "rwlock_write_uncontended",
        "RwLock: `write().await` + unlock, uncontended",
        Uncontended,
        "ns per write",
        w,
    ));

    let mut s = weighted_semaphore_peers!(semaphore_uncontended);
    s.insert(
        5,
        c(
            "async-lock",
            Peer,
            semaphore_uncontended::<async_lock::Semaphore>(),
        ),
    );
    s.push(c(
        "std Mutex",
        Reference,
        lock_uncontended::<std::sync::Mutex<u64>>(),
    ));
    rows.push(row(
        "semaphore_uncontended",
        "Semaphore: `acquire().await` + release, uncontended",
        Uncontended,
        "ns per acquire/release",
        s,
    ));

    rows.push(row(
        "notify_uncontended",
        "Notify: `notify_one` then `notified().await` (stored permit)",
        Uncontended,
        "ns per notify + wait",
        signal_peers!(signal_uncontended),
    ));

    // Contended throughput.
    let mut m = mutex_peers!(mutex_threads);
    m.push(c(
        "turnstile lock_blocking",
        Reference,
        lock_threads::<TurnstileBlocking>(),
    ));
    m.push(c("std", Reference, lock_threads::<std::sync::Mutex<u64>>()));
    rows.push(row(
        "mutex_2_threads",
        "Mutex: 2 threads blocking (`block_on(lock())`)",
        Contended,
        "ns per lock/unlock",
        m,
    ));
    for rt in [Rt::Tokio, Rt::Smol] {
        rows.push(row(
            &format!("mutex_64_tasks_{}", rt.name()),
            &format!("Mutex: 64 tasks on {} (2 workers)", rt.name()),
            Contended,
            "ns per lock/unlock",
            mutex_peers!(mutex_tasks, rt),
        ));
    }
    let mut r = rwlock_peers!(rwlock_threads_block_on);
    r.push(c(
        "turnstile _blocking",
        Reference,
        rwlock_threads::<TurnstileRwBlocking>(),
    ));
    r.push(c(
        "std",
        Reference,
        rwlock_threads::<std::sync::RwLock<u64>>(),
    ));
    rows.push(row(
        "rwlock_2_threads_95_reads",
        "RwLock: 2 threads, 95 % reads (`block_on`)",
        Contended,
        "ns per operation",
        r,
    ));
    for rt in [Rt::Tokio, Rt::Smol] {
        rows.push(row(
            &format!("semaphore_64_tasks_weighted_{}", rt.name()),
            &format!("Semaphore: 64 tasks, weights 1 and 3, on {}", rt.name()),
            Contended,
            "ns per acquire/release",
            weighted_semaphore_peers!(semaphore_tasks, rt, true),
        ));
    }
    let mut s = weighted_semaphore_peers!(semaphore_tasks, Rt::Tokio, false);
    // async-lock's semaphore lets a newcomer take a permit ahead of queued
    // waiters (like futures-intrusive's unfair mode): shown, not ranked.
    s.push(c(
        "async-lock (not FIFO)",
        Reference,
        semaphore_tasks::<async_lock::Semaphore>(Rt::Tokio, false),
    ));
    rows.push(row(
        "semaphore_64_tasks_w1_tokio",
        "Semaphore: 64 tasks, all weight 1, on tokio",
        Contended,
        "ns per acquire/release",
        s,
    ));
    for rt in [Rt::Tokio, Rt::Smol] {
        rows.push(row(
            &format!("barrier_8_tasks_{}", rt.name()),
            &format!("Barrier: 8 tasks on {}", rt.name()),
            Contended,
            "ns per generation",
            barrier_peers!(barrier_tasks, rt),
        ));
    }
    rows.push(row(
        "condvar_2_threads",
        "Condvar: 2 threads taking turns (`wait_blocking` / std `wait`)",
        Contended,
        "ns per hand-off",
        vec![
            c(
                "turnstile",
                Turnstile,
                condvar_threads::<(turnstile_sync::Mutex<u64>, turnstile_sync::Condvar)>(),
            ),
            // std's is the blocking primitive: a reference, as in the other
            // thread rows (no async peer has a condition variable).
            c(
                "std",
                Reference,
                condvar_threads::<(std::sync::Mutex<u64>, std::sync::Condvar)>(),
            ),
        ],
    ));

    // Wake-up latency.
    for rt in [Rt::Tokio, Rt::Smol] {
        rows.push(row(
            &format!("mutex_wakeup_{}", rt.name()),
            &format!(
                "Mutex: unlock to the woken waiter holding it, on {}",
                rt.name()
            ),
            Latency,
            "ns per hand-off",
            mutex_peers!(mutex_handoff, rt),
        ));
        rows.push(row(
            &format!("notify_wakeup_{}", rt.name()),
            &format!(
                "Notify: `notify_one` to the woken waiter running, on {}",
                rt.name()
            ),
            Latency,
            "ns per hand-off",
            signal_peers!(signal_handoff, rt),
        ));
        rows.push(row(
            &format!("latch_wakeup_{}", rt.name()),
            &format!(
                "Latch: `count_down` to the woken waiter running, on {}",
                rt.name()
            ),
            Latency,
            "ns per hand-off",
            vec![c("turnstile", Turnstile, latch_handoff(rt))],
        ));
    }
    rows
}

/// The fairness rows.
pub fn fairness_rows() -> Vec<FairRow> {
    vec![FairRow {
        id: "mutex_fairness_2_threads",
        title: "Mutex: 2 threads hammering one lock",
        contestants: vec![
            Probe {
                name: "turnstile",
                kind: Turnstile,
                run: fairness::<BlockOn<turnstile_sync::Mutex<u64>>>,
            },
            Probe {
                name: "async-lock",
                kind: Peer,
                run: fairness::<BlockOn<async_lock::Mutex<u64>>>,
            },
            Probe {
                name: "tokio",
                kind: Peer,
                run: fairness::<BlockOn<tokio::sync::Mutex<u64>>>,
            },
            Probe {
                name: "futures",
                kind: Peer,
                run: fairness::<BlockOn<futures::lock::Mutex<u64>>>,
            },
            Probe {
                name: "embassy-sync",
                kind: Peer,
                run: fairness::<BlockOn<EmbassyMutex>>,
            },
            Probe {
                name: "maitake-sync",
                kind: Peer,
                run: fairness::<BlockOn<maitake_sync::Mutex<u64>>>,
            },
            Probe {
                name: "futures-intrusive",
                kind: Peer,
                run: fairness::<BlockOn<futures_intrusive::sync::Mutex<u64>>>,
            },
            Probe {
                name: "turnstile lock_blocking",
                kind: Reference,
                run: fairness::<TurnstileBlocking>,
            },
            Probe {
                name: "std",
                kind: Reference,
                run: fairness::<std::sync::Mutex<u64>>,
            },
        ],
    }]
}

fn p(name: &'static str, kind: Kind, run: AllocRunner) -> Probe<AllocRunner> {
    Probe { name, kind, run }
}

/// The allocation rows: one per primitive.
pub fn alloc_rows() -> Vec<AllocRow> {
    vec![
        AllocRow {
            id: "Mutex",
            contestants: vec![
                p(
                    "turnstile",
                    Turnstile,
                    alloc_mutex::<turnstile_sync::Mutex<u64>>(),
                ),
                p("async-lock", Peer, alloc_mutex::<async_lock::Mutex<u64>>()),
                p("tokio", Peer, alloc_mutex::<tokio::sync::Mutex<u64>>()),
                p("futures", Peer, alloc_mutex::<futures::lock::Mutex<u64>>()),
                p("embassy-sync", Peer, alloc_mutex::<EmbassyMutex>()),
                p(
                    "maitake-sync",
                    Peer,
                    alloc_mutex::<maitake_sync::Mutex<u64>>(),
                ),
                p(
                    "futures-intrusive",
                    Peer,
                    alloc_mutex::<futures_intrusive::sync::Mutex<u64>>(),
                ),
            ],
        },
        AllocRow {
            id: "RwLock",
            contestants: vec![
                p(
                    "turnstile",
                    Turnstile,
                    alloc_rwlock::<turnstile_sync::RwLock<u64>>(),
                ),
                p(
                    "async-lock",
                    Peer,
                    alloc_rwlock::<async_lock::RwLock<u64>>(),
                ),
                p("tokio", Peer, alloc_rwlock::<tokio::sync::RwLock<u64>>()),
                p(
                    "maitake-sync",
                    Peer,
                    alloc_rwlock::<maitake_sync::RwLock<u64>>(),
                ),
                p("embassy-sync", Peer, alloc_rwlock::<EmbassyRwLock>()),
            ],
        },
        AllocRow {
            id: "Semaphore",
            contestants: vec![
                p(
                    "turnstile",
                    Turnstile,
                    alloc_semaphore::<turnstile_sync::Semaphore>(),
                ),
                p("tokio", Peer, alloc_semaphore::<tokio::sync::Semaphore>()),
                p(
                    "async-lock",
                    Peer,
                    alloc_semaphore::<async_lock::Semaphore>(),
                ),
                p(
                    "maitake-sync",
                    Peer,
                    alloc_semaphore::<maitake_sync::Semaphore>(),
                ),
                p(
                    "futures-intrusive",
                    Peer,
                    alloc_semaphore::<FuturesIntrusiveSem<true>>(),
                ),
                p("embassy-sync", Peer, alloc_semaphore::<EmbassyFair>()),
            ],
        },
        AllocRow {
            id: "Barrier",
            contestants: vec![
                p(
                    "turnstile",
                    Turnstile,
                    alloc_barrier::<turnstile_sync::Barrier>(),
                ),
                p("tokio", Peer, alloc_barrier::<tokio::sync::Barrier>()),
                p("async-lock", Peer, alloc_barrier::<async_lock::Barrier>()),
            ],
        },
        AllocRow {
            id: "Notify",
            contestants: vec![
                p(
                    "turnstile",
                    Turnstile,
                    alloc_signal::<turnstile_sync::Notify>(),
                ),
                p("tokio", Peer, alloc_signal::<tokio::sync::Notify>()),
                p("event-listener", Peer, alloc_signal::<EventSignal>()),
                p(
                    "maitake-sync",
                    Peer,
                    alloc_signal::<maitake_sync::WaitQueue>(),
                ),
                p("embassy-sync", Peer, alloc_signal::<EmbassySignal>()),
            ],
        },
        AllocRow {
            id: "Latch",
            contestants: vec![p("turnstile", Turnstile, alloc_latch())],
        },
        AllocRow {
            id: "Condvar",
            contestants: vec![p("turnstile", Turnstile, alloc_condvar())],
        },
    ]
}

/// Why turnstile is not first in a row, where that is known, keyed by row
/// id. The report prints the reason beside the row; rows missing here get
/// "reason not yet investigated".
pub const REASONS: &[(&str, &str)] = &[
    (
        "mutex_wakeup_tokio",
        "the lock is unfair (barging): the releasing task takes the lock back before the woken waiter runs and must let go of it again, as futures' and async-lock's do; maitake-sync and tokio hand the lock straight to the waiter (FIFO), which costs throughput in the contended rows. The woken waiter takes the wait list's lock once more to collect its wakeup; collecting it without the lock measured no gain at this clock's 10 ns step",
    ),
    (
        "notify_wakeup_tokio",
        "the notify takes the wait list's lock (a std mutex) and goes through the wake rounds; embassy-sync's Signal has one waker slot and no list. The woken waiter takes no lock",
    ),
    (
        "notify_wakeup_smol",
        "as on tokio",
    ),
    (
        "mutex_wakeup_smol",
        "the lock is unfair (barging): the releasing task takes the lock back, lets go and yields before the woken waiter can run; every barging lock in the row (futures, async-lock, embassy-sync, futures-intrusive) measures 2.2x-3.9x maitake-sync's FIFO hand-off on smol. Bimodal from run to run on this machine",
    ),
    (
        "semaphore_64_tasks_weighted_tokio",
        "more of turnstile's own work per hand-off: on one tokio worker the whole program executes about 1.4 times futures-intrusive's instructions per acquire/release of this row (1 077 against 766; `valgrind --tool=callgrind` over the `instructions` binary, see benches/src/bin/instructions.rs), and on two workers the wait list's lock and the waiters' nodes move between the workers' caches; futures-intrusive takes its lock three times per hand-off to turnstile's two (both poll every waiter twice). Its fair semaphore wakes the next waiter only once the woken one has run, which keeps one worker mostly parked; a turnstile variant that did the same measured 0-10 % faster and was not kept, as it makes every later hand-off wait for a slow waiter",
    ),
    (
        "semaphore_64_tasks_weighted_smol",
        "as on tokio: more of turnstile's own work per hand-off than futures-intrusive's fair semaphore",
    ),
    (
        "semaphore_64_tasks_w1_tokio",
        "as in the weighted rows: more of turnstile's own work per hand-off than futures-intrusive's fair semaphore (see the weighted row on tokio). Bimodal from run to run on this machine (about 200 or about 600 ns per operation), as is tokio's own semaphore",
    ),
    (
        "mutex_2_threads",
        "the row swings from run to run for every contestant on this 2-core machine, where the two threads often share one core, so one run's order says little. In a one-row runner (turnstile, futures and lock_blocking interleaved, 20 samples of 200 000 operations each), turnstile's median over five runs was 24-43 ns per operation against futures' 40-75, once each mutex sat on cache lines of its own (false sharing with whatever the allocator put beside it had made turnstile about 1.4x slower) and a `lock()` that misses its fast path looked at the lock once more before queueing (it was 49-59 ns without that)",
    ),
];

/// The quick mode's ratio ceiling per row, where a row is known to sit
/// above the default (`DEFAULT_RATIO_LIMIT`, 2x the fastest peer) today:
/// (row id, ceiling, what was measured). A ratchet, like firmware/size.sh's:
/// a row that gets slower than its ceiling fails CI; lower the ceiling when
/// the row gets faster, and delete the entry once the row is under 2x.
pub const RATIO_LIMITS: &[(&str, f64, &str)] = &[
    (
        "mutex_uncontended",
        3.0,
        "1.87x-2.05x futures in quick runs on 2026-12-06",
    ),
    (
        "mutex_2_threads",
        2.5,
        "0.68x-1.63x in 8 quick runs on 2026-12-07 (1.6x-2.3x on 2026-12-06, before the harness isolated each mutex and lock() looked again before queueing); kept above 2x because one quick run in eight reached 1.63x",
    ),
    (
        "semaphore_64_tasks_weighted_tokio",
        5.0,
        "1.82x-3.11x (quick), 1.91x-2.97x (full runs) on 2026-12-06; bimodal like the w1 row below, whose slow mode would put it near 5x",
    ),
    (
        "semaphore_64_tasks_weighted_smol",
        5.0,
        "1.56x-3.02x (quick), 1.55x-2.32x (full runs) on 2026-12-06; bimodal, as the tokio row",
    ),
    (
        "semaphore_64_tasks_w1_tokio",
        7.0,
        "bimodal: 1.9x-2.4x, or 5.3x-5.75x (5.34x in one full run), perhaps when the 2 workers contend on the wait list's lock (not proven); one quick run of 11 on 2026-12-06 measured 5.72x, 5.48x, 5.65x and failed at the old 3.5x ceiling with unchanged code",
    ),
    (
        "mutex_wakeup_smol",
        7.0,
        "bimodal in both turnstile (140 or 360 ns) and maitake-sync (90 or 150 ns): 1.57x-2.25x in full runs, 4.33x-5.07x in one quick run on 2026-12-06",
    ),
    (
        "notify_wakeup_smol",
        4.0,
        "bimodal on smol, as the Mutex row: 1.13x-1.50x in three full runs and 2.35x in a fourth on 2026-12-07; 20 quick runs each measured 1.16x-2.16x (two above 2x) at 986fb1a and 1.27x-2.45x (one) at 3f7c7d7, with the same Notify code",
    ),
    (
        "mutex_wakeup_tokio",
        3.0,
        "1.39x-1.75x in full runs, 2.25x once in a quick run on 2026-12-06 (the clock's 10 ns step on an 80 ns figure)",
    ),
];

/// The quick mode's ratio ceiling for rows not in [`RATIO_LIMITS`].
pub const DEFAULT_RATIO_LIMIT: f64 = 2.0;

/// The quick mode's ratio ceiling for row `id`.
pub fn ratio_limit(id: &str) -> f64 {
    RATIO_LIMITS
        .iter()
        .find(|(row, _, _)| *row == id)
        .map_or(DEFAULT_RATIO_LIMIT, |&(_, limit, _)| limit)
}

/// Which rows have no genuine peer, and why (printed under the tables).
pub const NO_PEER: &[(&str, &str)] = &[
    ("Latch", "none of the peers has a count-down latch (tokio's and async-lock's `Barrier` are cyclic and need every party to wait, so they are not equivalents); the latch rows show turnstile alone"),
    ("Condvar", "none of the async peers has a condition variable; the thread row shows `std::sync::Condvar` as a reference (unranked, like std's blocking locks in the other thread rows), and the allocation row shows turnstile alone (std's wait parks a thread, not a future)"),
];
