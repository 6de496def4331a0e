//! The workloads, each generic over one adapter trait and returning a
//! [`Runner`]: called with an iteration count, it does the work and returns
//! a [`Timing`]. Every workload checks its own result (no lost updates, one
//! leader per generation, permits given back) outside the timed part.

use std::future::Future;
use std::hint::black_box;
use std::pin::{pin, Pin};
use std::sync::atomic::{
    AtomicU64, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use crate::adapters::{
    AsyncBarrier, AsyncMutex, AsyncRwLock, AsyncSemaphore, BlockOn, BlockingCondvar, BlockingLock,
    BlockingRwLock, Signal,
};
use crate::alloc;
use crate::exec::{Env, Rt};
use crate::measure::Timing;

/// A contestant's work: `run(env, iterations)`.
pub type Runner = Box<dyn FnMut(&Env, u64) -> Timing>;

/// Workload sizes (per iteration); the same in quick and full mode so that
/// quick ratios mean the same thing.
pub mod size {
    /// Lock/unlock pairs per thread per iteration in the thread rows.
    pub const THREAD_OPS: u64 = 10_000;
    /// Threads in the thread rows.
    pub const THREADS: u64 = 2;
    /// Tasks in the 64-task rows.
    pub const TASKS: u64 = 64;
    /// Rounds per task per iteration in the 64-task rows.
    pub const ROUNDS: u64 = 200;
    /// Every `YIELD_EVERY`-th critical section yields while holding.
    pub const YIELD_EVERY: u64 = 8;
    /// Permits shared by the semaphore task rows.
    pub const PERMITS: usize = 4;
    /// Tasks (parties) in the barrier rows.
    pub const BARRIER_TASKS: u64 = 8;
    /// Generations per iteration in the barrier rows.
    pub const GENERATIONS: u64 = 1_000;
    /// Writes are one operation in `WRITE_EVERY` in the RwLock thread row.
    pub const WRITE_EVERY: u64 = 20;
}
use size::*;

/// Weight of task `t` in the weighted semaphore rows: 3 for every 4th task, else 1.
pub const fn weight(t: u64) -> usize {
    if t.is_multiple_of(4) {
        3
    } else {
        1
    }
}

/// Polls `fut` once with a no-op waker.
#[inline]
pub fn poll_once<F: Future + ?Sized>(fut: Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls `fut` once; it must be ready.
///
/// Always inlined, for every contestant alike: as a call, it takes the
/// future by value, so the caller's freshly written future is copied into
/// its frame with wide loads that overlap the narrower stores that built it
/// (a store-forwarding stall: about 8 ns per call for a 64-byte future, as
/// perf showed on turnstile's `Lock`). An `.await` builds the future in
/// place in the task's state and polls it there; the inlined call measures
/// that.
#[inline(always)]
pub fn ready<F: Future>(fut: F) -> F::Output {
    match poll_once(pin!(fut)) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("uncontended future returned Pending"),
    }
}

fn timed(ops: u64, f: impl FnOnce()) -> Timing {
    let start = Instant::now();
    f();
    Timing::throughput(start.elapsed(), ops)
}

// ---------------------------------------------------------------------------
// Uncontended: one thread, futures polled once with a no-op waker.
// ---------------------------------------------------------------------------

/// Where an uncontended contestant's primitive lives: 64 cache-line-aligned
/// slots covering a page, one per call (sample), in a scattered order.
///
/// A single fixed address can be unlucky: when the primitive's offset in
/// its page matches the offset of the future's fields on the stack, x86's
/// store-to-load forwarding sees false dependencies ("4K aliasing"), and
/// one contestant measured 3-5x slower for that reason alone. Rotating the
/// address makes those placements a minority of the samples, which the
/// median ignores.
struct Slots<T> {
    slots: Vec<Line<T>>,
    next: usize,
}

#[repr(align(64))]
struct Line<T>(T);

/// A contended primitive alone on its own pair of cache lines (x86 fetches
/// lines in adjacent pairs), so that no other data of the process — the
/// runner's own counters, another contestant, a thread's state — shares its
/// lines and slows it by chance of allocation (false sharing).
#[repr(align(128))]
struct Isolated<T>(T);

impl<T> std::ops::Deref for Isolated<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Slots<T> {
    const N: usize = 64;
    fn new(make: impl Fn() -> T) -> Self {
        Slots {
            slots: (0..Self::N).map(|_| Line(make())).collect(),
            next: 0,
        }
    }
    /// The next slot (stride 37, co-prime with 64: every slot in turn).
    fn next(&mut self) -> &T {
        self.next = (self.next + 37) % Self::N;
        &self.slots[self.next].0
    }
}

/// `lock()` polled once + increment + unlock.
pub fn mutex_uncontended<M: AsyncMutex>() -> Runner {
    let mut slots = Slots::new(|| M::create(0));
    Box::new(move |_, iters| {
        let m = slots.next();
        let before = *ready(m.acquire());
        let t = timed(iters, || {
            for _ in 0..iters {
                *ready(black_box(m).acquire()) += 1;
            }
        });
        assert_eq!(
            *ready(m.acquire()),
            before + iters,
            "counter not incremented"
        );
        t
    })
}

/// A thread lock's lock + increment + unlock (std, `try_lock`, `lock_blocking`).
pub fn lock_uncontended<L: BlockingLock>() -> Runner {
    let mut slots = Slots::new(L::create);
    Box::new(move |_, iters| {
        let l = slots.next();
        timed(iters, || {
            for _ in 0..iters {
                black_box(l).with(|v| *v += 1);
            }
        })
    })
}

/// `read()` polled once + unlock.
pub fn rwlock_read_uncontended<L: AsyncRwLock>() -> Runner {
    let mut slots = Slots::new(|| L::create(1));
    Box::new(move |_, iters| {
        let l = slots.next();
        timed(iters, || {
            for _ in 0..iters {
                black_box(*ready(black_box(l).read()));
            }
        })
    })
}

/// `write()` polled once + increment + unlock.
pub fn rwlock_write_uncontended<L: AsyncRwLock>() -> Runner {
    let mut slots = Slots::new(|| L::create(0));
    Box::new(move |_, iters| {
        let l = slots.next();
        timed(iters, || {
            for _ in 0..iters {
                *ready(black_box(l).write()) += 1;
            }
        })
    })
}

/// A thread reader-writer lock's read (`write == false`) or write, uncontended.
pub fn rw_blocking_uncontended<L: BlockingRwLock>(write: bool) -> Runner {
    let mut slots = Slots::new(L::create);
    Box::new(move |_, iters| {
        let l = slots.next();
        timed(iters, || {
            for _ in 0..iters {
                if write {
                    black_box(l).write();
                } else {
                    black_box(black_box(l).read());
                }
            }
        })
    })
}

/// `acquire(1)` polled once + release (semaphore of 1 permit).
pub fn semaphore_uncontended<S: AsyncSemaphore>() -> Runner {
    let mut slots = Slots::new(|| S::create(1));
    Box::new(move |_, iters| {
        let s = slots.next();
        let t = timed(iters, || {
            for _ in 0..iters {
                let out = ready(black_box(s).acquire_n(1));
                assert!(S::granted(&out));
            }
        });
        assert!(s.all_free(1), "permit not given back");
        t
    })
}

/// `notify` with nobody waiting, then `wait` ready on its first poll.
pub fn signal_uncontended<S: Signal>() -> Runner {
    let mut slots = Slots::new(S::create);
    Box::new(move |_, iters| {
        let s = slots.next();
        timed(iters, || {
            for _ in 0..iters {
                let s = black_box(s);
                s.notify();
                ready(s.wait());
            }
        })
    })
}

// ---------------------------------------------------------------------------
// Contended throughput
// ---------------------------------------------------------------------------

/// Runs `body(thread)` on `threads` threads started together; the wall time
/// from the first start to the last end. After a blocking barrier the
/// threads also spin until all of them are running, so that none starts
/// its work while another is still being woken.
fn on_threads(threads: u64, body: impl Fn(u64) + Sync) -> Duration {
    let barrier = Barrier::new(threads as usize);
    let running = AtomicU64::new(0);
    let spans: Vec<(Instant, Instant)> = thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (barrier, body, running) = (&barrier, &body, &running);
                s.spawn(move || {
                    barrier.wait();
                    running.fetch_add(1, Relaxed);
                    while running.load(Relaxed) < threads {
                        std::hint::spin_loop();
                    }
                    let start = Instant::now();
                    body(t);
                    (start, Instant::now())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let start = spans.iter().map(|s| s.0).min().unwrap();
    spans.iter().map(|s| s.1).max().unwrap() - start
}

/// `THREADS` threads each doing `THREAD_OPS` lock + increment + unlock per iteration.
pub fn lock_threads<L: BlockingLock>() -> Runner {
    let l = Box::new(Isolated(L::create()));
    let mut expected = 0;
    Box::new(move |_, iters| {
        let l: &L = &l;
        let ops = iters * THREAD_OPS;
        let wall = on_threads(THREADS, |_| {
            for _ in 0..ops {
                black_box(l).with(|v| *v += 1);
            }
        });
        expected += THREADS * ops;
        assert_eq!(l.with(|v| *v), expected, "lost updates");
        Timing::throughput(wall, THREADS * ops)
    })
}

/// [`lock_threads`] for an async mutex driven by `block_on(lock())`.
pub fn mutex_threads<M: AsyncMutex>() -> Runner {
    lock_threads::<BlockOn<M>>()
}

/// [`rwlock_threads`] for an async lock driven by `block_on`.
pub fn rwlock_threads_block_on<L: AsyncRwLock>() -> Runner {
    rwlock_threads::<BlockOn<L>>()
}

/// Two threads, 95 % reads and 5 % writes (the threads write at different offsets).
pub fn rwlock_threads<L: BlockingRwLock>() -> Runner {
    let l = Box::new(Isolated(L::create()));
    let mut expected = 0;
    Box::new(move |_, iters| {
        let l: &L = &l;
        let ops = iters * THREAD_OPS;
        let writes = AtomicU64::new(0);
        let wall = on_threads(THREADS, |t| {
            let offset = t * (WRITE_EVERY / 2);
            let mut w = 0;
            for i in 0..ops {
                if (i + offset).is_multiple_of(WRITE_EVERY) {
                    black_box(l).write();
                    w += 1;
                } else {
                    black_box(black_box(l).read());
                }
            }
            writes.fetch_add(w, Relaxed);
        });
        expected += writes.load(Relaxed);
        assert_eq!(l.value(), expected, "lost updates");
        Timing::throughput(wall, THREADS * ops)
    })
}

/// 64 tasks, each doing `ROUNDS` lock + increment + unlock per iteration;
/// every 8th critical section yields while holding the guard.
pub fn mutex_tasks<M: AsyncMutex>(rt: Rt) -> Runner {
    let m = Arc::new(Isolated(M::create(0)));
    let mut expected = 0;
    Box::new(move |env, iters| {
        let start = Instant::now();
        for _ in 0..iters {
            env.run_tasks(
                rt,
                (0..TASKS).map(|_| {
                    let m = m.clone();
                    async move {
                        for i in 0..ROUNDS {
                            let mut g = m.acquire().await;
                            *g += 1;
                            if i % YIELD_EVERY == YIELD_EVERY - 1 {
                                rt.yield_now().await;
                            }
                            drop(g);
                        }
                    }
                }),
            );
        }
        let wall = start.elapsed();
        expected += iters * TASKS * ROUNDS;
        assert_eq!(*ready(m.acquire()), expected, "lost updates");
        Timing::throughput(wall, iters * TASKS * ROUNDS)
    })
}

/// 64 tasks share `PERMITS` permits: task `t` takes `weight(t)` permits
/// (all 1 when `!weighted`), `ROUNDS` rounds per iteration, yielding while
/// holding every 8th round; never more than `PERMITS` held at once.
pub fn semaphore_tasks<S: AsyncSemaphore>(rt: Rt, weighted: bool) -> Runner {
    assert!(S::WEIGHTED || !weighted, "this semaphore takes no weights");
    let s = Arc::new(Isolated(S::create(PERMITS)));
    let in_use = Arc::new(Isolated(AtomicUsize::new(0)));
    Box::new(move |env, iters| {
        let start = Instant::now();
        for _ in 0..iters {
            env.run_tasks(
                rt,
                (0..TASKS).map(|t| {
                    let (s, in_use) = (s.clone(), in_use.clone());
                    let w = if weighted { weight(t) } else { 1 };
                    async move {
                        for i in 0..ROUNDS {
                            let out = s.acquire_n(w).await;
                            assert!(S::granted(&out), "acquire failed");
                            let held = in_use.fetch_add(w, Relaxed) + w;
                            assert!(held <= PERMITS, "{held} permits held at once");
                            if i % YIELD_EVERY == YIELD_EVERY - 1 {
                                rt.yield_now().await;
                            }
                            in_use.fetch_sub(w, Relaxed);
                            drop(out);
                        }
                    }
                }),
            );
        }
        let wall = start.elapsed();
        assert!(s.all_free(PERMITS), "permits not given back");
        Timing::throughput(wall, iters * TASKS * ROUNDS)
    })
}

/// 8 tasks pass `GENERATIONS` generations of one barrier per iteration;
/// one op is one generation.
pub fn barrier_tasks<B: AsyncBarrier>(rt: Rt) -> Runner {
    let b = Arc::new(Isolated(B::create(BARRIER_TASKS as usize)));
    Box::new(move |env, iters| {
        let generations = iters * GENERATIONS;
        let leaders = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        env.run_tasks(
            rt,
            (0..BARRIER_TASKS).map(|_| {
                let (b, leaders) = (b.clone(), leaders.clone());
                async move {
                    for _ in 0..generations {
                        if b.wait_leader().await {
                            leaders.fetch_add(1, Relaxed);
                        }
                    }
                }
            }),
        );
        let wall = start.elapsed();
        assert_eq!(
            leaders.load(Relaxed),
            generations,
            "not one leader per generation"
        );
        Timing::throughput(wall, generations)
    })
}

/// Two threads take turns through a mutex + condvar (thread `t` waits for
/// an even/odd counter); one op is one hand-off.
pub fn condvar_threads<C: BlockingCondvar>() -> Runner {
    let c = Box::new(Isolated(C::create()));
    Box::new(move |_, iters| {
        // The pair is reused, so every thread's parity is relative to the
        // counter at the start of this call.
        let mut base = 0;
        c.wait_then(|_| true, |v| base = *v);
        let wall = on_threads(2, |t| {
            for _ in 0..iters.div_ceil(2) {
                c.wait_then(|v| (v - base) % 2 == t, |v| *v += 1);
            }
        });
        Timing::throughput(wall, 2 * iters.div_ceil(2))
    })
}

// ---------------------------------------------------------------------------
// Wake-up latency: release (or notify) to the woken waiter running.
// ---------------------------------------------------------------------------

/// Nanosecond stamps against one base instant.
struct Clock(Instant);

impl Clock {
    #[inline]
    fn now(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

/// The latencies of one call, gathered from the tasks: the timing's
/// `measured` is their median times their count, so that a row's ns/op is
/// the median hand-off (a preempted worker's rare millisecond hand-offs
/// would dominate a mean on a shared machine).
#[derive(Default)]
struct Latencies(std::sync::Mutex<Vec<u64>>);

impl Latencies {
    fn add(&self, mut mine: Vec<u64>) {
        self.0.lock().unwrap().append(&mut mine);
    }
    fn timing(&self, wall: Duration) -> Timing {
        let mut v = std::mem::take(&mut *self.0.lock().unwrap());
        v.sort_unstable();
        let median = v.get(v.len() / 2).copied().unwrap_or(0);
        Timing {
            wall,
            measured: Duration::from_nanos(median * v.len() as u64),
            ops: v.len() as u64,
        }
    }
}

struct MutexHandoff<M> {
    m: M,
    clock: Clock,
    /// When the last holder released (written under the lock).
    stamp: AtomicU64,
    /// Which task released last (1 or 2; 0 before the first release).
    owner: AtomicUsize,
    lats: Latencies,
    count: AtomicU64,
    target: u64,
}

/// Two tasks hand one mutex back and forth: each holds it across a yield
/// (so the other queues up), stamps the time and releases; the other,
/// on acquiring, adds `now - stamp`. Only acquisitions that follow the
/// other task's release count; a task that gets the lock back after its
/// own release (a lock that lets it barge ahead of the woken waiter)
/// releases it again at once without a new stamp, so the waiter's latency
/// runs from the release that woke it. One op is one hand-off.
pub fn mutex_handoff<M: AsyncMutex>(rt: Rt) -> Runner {
    Box::new(move |env, iters| {
        let sh = Arc::new(MutexHandoff {
            m: M::create(0),
            clock: Clock(Instant::now()),
            stamp: AtomicU64::new(0),
            owner: AtomicUsize::new(0),
            lats: Latencies::default(),
            count: AtomicU64::new(0),
            target: iters,
        });
        let start = Instant::now();
        env.run_tasks(
            rt,
            (1..=2).map(|me| {
                let sh = sh.clone();
                async move {
                    let mut lats = Vec::with_capacity(sh.target as usize / 2 + 1);
                    loop {
                        let mut g = sh.m.acquire().await;
                        let now = sh.clock.now();
                        let who = sh.owner.load(Relaxed);
                        if who != 0 && who != me {
                            let stamp = sh.stamp.load(Relaxed);
                            lats.push(now.saturating_sub(stamp));
                            sh.count.fetch_add(1, Relaxed);
                        }
                        if sh.count.load(Relaxed) >= sh.target {
                            sh.owner.store(me, Relaxed);
                            break;
                        }
                        if who == me {
                            // Barged back in ahead of the woken waiter: let
                            // it have the lock (its latency still runs from
                            // the release that woke it).
                            drop(g);
                            rt.yield_now().await;
                            continue;
                        }
                        *g += 1;
                        rt.yield_now().await;
                        sh.owner.store(me, Relaxed);
                        sh.stamp.store(sh.clock.now(), Relaxed);
                        drop(g);
                    }
                    sh.lats.add(lats);
                }
            }),
        );
        sh.lats.timing(start.elapsed())
    })
}

struct SignalHandoff<S> {
    a: S,
    b: S,
    clock: Clock,
    stamp_a: AtomicU64,
    stamp_b: AtomicU64,
    lats: Latencies,
}

/// Two tasks ping-pong through two signals: stamp, notify; the woken side
/// adds `now - stamp` and answers. One op is one hand-off.
pub fn signal_handoff<S: Signal>(rt: Rt) -> Runner {
    Box::new(move |env, iters| {
        let rounds = iters.div_ceil(2);
        let sh = Arc::new(SignalHandoff {
            a: S::create(),
            b: S::create(),
            clock: Clock(Instant::now()),
            stamp_a: AtomicU64::new(0),
            stamp_b: AtomicU64::new(0),
            lats: Latencies::default(),
        });
        let start = Instant::now();
        let (p, q) = (sh.clone(), sh.clone());
        let ping = async move {
            let mut lats = Vec::with_capacity(rounds as usize);
            for _ in 0..rounds {
                p.stamp_a.store(p.clock.now(), Relaxed);
                p.a.notify();
                p.b.wait().await;
                lats.push(p.clock.now().saturating_sub(p.stamp_b.load(Relaxed)));
            }
            p.lats.add(lats);
        };
        let pong = async move {
            let mut lats = Vec::with_capacity(rounds as usize);
            for _ in 0..rounds {
                q.a.wait().await;
                lats.push(q.clock.now().saturating_sub(q.stamp_a.load(Relaxed)));
                q.stamp_b.store(q.clock.now(), Relaxed);
                q.b.notify();
            }
            q.lats.add(lats);
        };
        let tasks: [Pin<Box<dyn Future<Output = ()> + Send>>; 2] = [Box::pin(ping), Box::pin(pong)];
        env.run_tasks(rt, tasks);
        sh.lats.timing(start.elapsed())
    })
}

/// [`signal_handoff`] with one-shot latches: every hand-off counts down a
/// fresh `Latch::new(1)` (made before the timed part).
pub fn latch_handoff(rt: Rt) -> Runner {
    use turnstile_sync::Latch;
    struct Sh {
        a: Vec<Latch>,
        b: Vec<Latch>,
        clock: Clock,
        stamp_a: AtomicU64,
        stamp_b: AtomicU64,
        lats: Latencies,
    }
    Box::new(move |env, iters| {
        let rounds = iters.div_ceil(2) as usize;
        let sh = Arc::new(Sh {
            a: (0..rounds).map(|_| Latch::new(1)).collect(),
            b: (0..rounds).map(|_| Latch::new(1)).collect(),
            clock: Clock(Instant::now()),
            stamp_a: AtomicU64::new(0),
            stamp_b: AtomicU64::new(0),
            lats: Latencies::default(),
        });
        let start = Instant::now();
        let (p, q) = (sh.clone(), sh.clone());
        let ping = async move {
            let mut lats = Vec::with_capacity(rounds);
            for i in 0..rounds {
                p.stamp_a.store(p.clock.now(), Relaxed);
                p.a[i].count_down();
                p.b[i].wait().await;
                lats.push(p.clock.now().saturating_sub(p.stamp_b.load(Relaxed)));
            }
            p.lats.add(lats);
        };
        let pong = async move {
            let mut lats = Vec::with_capacity(rounds);
            for i in 0..rounds {
                q.a[i].wait().await;
                lats.push(q.clock.now().saturating_sub(q.stamp_a.load(Relaxed)));
                q.stamp_b.store(q.clock.now(), Relaxed);
                q.b[i].count_down();
            }
            q.lats.add(lats);
        };
        let tasks: [Pin<Box<dyn Future<Output = ()> + Send>>; 2] = [Box::pin(ping), Box::pin(pong)];
        env.run_tasks(rt, tasks);
        sh.lats.timing(start.elapsed())
    })
}

// ---------------------------------------------------------------------------
// Fairness: two threads hammering one lock (counts, not times).
// ---------------------------------------------------------------------------

/// What one fairness run saw.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fairness {
    /// Acquisitions made while both threads were running (the window the
    /// two counts below look at).
    pub overlap: u64,
    /// The longest single wait: acquisitions by the other thread between
    /// one thread asking for the lock and getting it.
    pub max_wait: u64,
    /// The longest run of consecutive acquisitions by one thread while
    /// both threads were running.
    pub max_run: u64,
}

/// Two threads each doing `ops` lock/unlock pairs; every acquisition is
/// logged (by thread) in acquisition order.
pub fn fairness<L: BlockingLock>(ops: u64) -> Fairness {
    let l = Isolated(L::create());
    let granted = AtomicU64::new(0);
    let log: Vec<AtomicUsize> = (0..2 * ops).map(|_| AtomicUsize::new(0)).collect();
    let waits = [AtomicU64::new(0), AtomicU64::new(0)];
    // Acquisitions already granted when each thread first asked.
    let asked = [AtomicU64::new(0), AtomicU64::new(0)];
    on_threads(2, |t| {
        let mut max_wait = 0;
        for i in 0..ops {
            // Acquire: keeps this load before the lock (a relaxed one may be
            // moved into the critical section, where it would always read
            // the acquisition's own index).
            let before = granted.load(Acquire);
            if i == 0 {
                asked[t as usize].store(before, Relaxed);
            }
            let idx = l.with(|v| {
                let idx = *v;
                *v += 1;
                granted.store(idx + 1, Release);
                idx
            });
            log[idx as usize].store(t as usize, Relaxed);
            max_wait = max_wait.max(idx - before);
        }
        waits[t as usize].store(max_wait, Relaxed);
    });
    let log: Vec<usize> = log.into_iter().map(AtomicUsize::into_inner).collect();
    // Both running: from the later first request to the earlier last
    // acquisition (a thread that waits for its first acquisition is running).
    let last = |t| log.iter().rposition(|&x| x == t).unwrap();
    let from = asked[0].load(Relaxed).max(asked[1].load(Relaxed)) as usize;
    let to = last(0).min(last(1));
    let mut max_run = 0;
    let mut run = 0;
    let mut prev = usize::MAX;
    for &x in log.get(from..=to).unwrap_or(&[]) {
        run = if x == prev { run + 1 } else { 1 };
        prev = x;
        max_run = max_run.max(run);
    }
    Fairness {
        overlap: (to + 1).saturating_sub(from) as u64,
        max_wait: waits[0].load(Relaxed).max(waits[1].load(Relaxed)),
        max_run,
    }
}

// ---------------------------------------------------------------------------
// Allocations per contended wait: a waiter polled by hand until it parks
// (`Pending`), the holder releases, and the waiter is polled to completion.
// Counted on this thread by the counting allocator (see `alloc`).
// ---------------------------------------------------------------------------

/// Allocations of a contended wait.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllocCount {
    /// Allocations of the first contended wait (includes one-time set-up).
    pub first: u64,
    /// Allocations per wait over the following waits.
    pub per_wait: f64,
}

/// An allocation measurement: `run(waits)`.
pub type AllocRunner = Box<dyn Fn(u64) -> AllocCount>;

fn count_waits(waits: u64, mut one: impl FnMut()) -> AllocCount {
    let ((), first) = alloc::count(&mut one);
    let ((), rest) = alloc::count(|| (0..waits).for_each(|_| one()));
    AllocCount {
        first,
        per_wait: rest as f64 / waits.max(1) as f64,
    }
}

/// Polls `fut` until it parks, runs `release`, then polls it to completion.
fn parked_wait<F: Future>(fut: F, release: impl FnOnce()) -> F::Output {
    let mut fut = pin!(fut);
    assert!(
        poll_once(fut.as_mut()).is_pending(),
        "the waiter did not park"
    );
    release();
    match poll_once(fut) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the waiter was not woken by the release"),
    }
}

/// A `lock()` that waits for the holder's unlock.
pub fn alloc_mutex<M: AsyncMutex>() -> AllocRunner {
    Box::new(|waits| {
        let m = M::create(0);
        count_waits(waits, || {
            let g = ready(m.acquire());
            drop(parked_wait(m.acquire(), || drop(g)));
        })
    })
}

/// A `read()` that waits for a writer's unlock.
pub fn alloc_rwlock<L: AsyncRwLock>() -> AllocRunner {
    Box::new(|waits| {
        let l = L::create(0);
        count_waits(waits, || {
            let g = ready(l.write());
            drop(parked_wait(l.read(), || drop(g)));
        })
    })
}

/// An `acquire(1)` that waits for the only permit.
pub fn alloc_semaphore<S: AsyncSemaphore>() -> AllocRunner {
    Box::new(|waits| {
        let s = S::create(1);
        count_waits(waits, || {
            let g = ready(s.acquire_n(1));
            let out = parked_wait(s.acquire_n(1), || drop(g));
            assert!(S::granted(&out));
        })
    })
}

/// A barrier of 2: the first party parks, the second releases it.
pub fn alloc_barrier<B: AsyncBarrier>() -> AllocRunner {
    Box::new(|waits| {
        let b = B::create(2);
        count_waits(waits, || {
            let first = parked_wait(b.wait_leader(), || {
                ready(b.wait_leader());
            });
            black_box(first);
        })
    })
}

/// A `wait` that parks until `notify`.
pub fn alloc_signal<S: Signal>() -> AllocRunner {
    Box::new(|waits| {
        let s = S::create();
        count_waits(waits, || parked_wait(s.wait(), || s.notify()))
    })
}

/// `Latch::wait` parks until the count reaches 0 (a fresh latch each wait,
/// made outside the count).
pub fn alloc_latch() -> AllocRunner {
    Box::new(|waits| {
        let latches: Vec<_> = (0..=waits).map(|_| turnstile_sync::Latch::new(1)).collect();
        let mut next = latches.iter();
        count_waits(waits, || {
            let l = next.next().unwrap();
            parked_wait(l.wait(), || l.count_down());
        })
    })
}

/// `Condvar::wait` parks (releasing the mutex) until `notify_one`.
pub fn alloc_condvar() -> AllocRunner {
    Box::new(|waits| {
        let m = turnstile_sync::Mutex::new(0u64);
        let cv = turnstile_sync::Condvar::new();
        count_waits(waits, || {
            let g = ready(m.lock());
            drop(parked_wait(cv.wait(g), || cv.notify_one()));
        })
    })
}
