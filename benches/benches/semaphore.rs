//! Semaphore benchmarks: `turnstile_sync::Semaphore` against the other async
//! semaphores, with `std::sync::Mutex` as the uncontended baseline.
//!
//! Groups (all in one `cargo bench -p turnstile-benches --bench semaphore` run; the names carry a
//! `semaphore_` prefix so they do not share criterion directories with
//! `benches/mutex.rs`):
//!
//! - `semaphore_uncontended`: one acquire + release of one permit on a single
//!   thread (semaphore of 1 permit). Async semaphores are polled exactly once
//!   with a no-op waker and must be `Ready`. `std-mutex` is
//!   `std::sync::Mutex`'s lock + unlock, the baseline.
//! - `semaphore_tokio_64_tasks`: 64 tasks on a 2-worker multi-thread tokio
//!   runtime share `PERMITS` (4) permits with mixed weights: task `t` asks
//!   for 3 permits if `t % 4 == 0`, else 1. Each task does `N` acquire /
//!   hold / release rounds and yields while holding every `YIELD_EVERY`-th
//!   round. Only semaphores that take weights run here.
//! - `semaphore_tokio_64_tasks_w1`: the same with every weight 1, so that
//!   `async-lock` (which has no weighted acquire) can be compared; every
//!   other contestant runs it too.
//! - `semaphore_two_threads`: two OS threads each doing `K` acquire/release
//!   pairs on one semaphore of 1 permit (used as a lock), through
//!   `futures::executor::block_on(sem.acquire())` or a native blocking
//!   acquire.
//!
//! Every acquire checks its result, the tokio groups check that no more than
//! `PERMITS` permits are ever held at once, and every contestant checks after
//! its run that all permits came back.
//!
//! The batch groups declare `Throughput::Elements(<acquires per iteration>)`,
//! which criterion stores in `new/benchmark.json`; `benches/ratios.py
//! --bench semaphore` divides by it to get time per acquire/release.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode, Throughput,
};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::semaphore::Semaphore as _;

/// Acquire/release pairs per thread per iteration in `semaphore_two_threads`.
const K: u64 = 10_000;
/// Threads in `semaphore_two_threads`.
const THREADS: u64 = 2;
/// Tasks in the tokio groups.
const TASKS: u64 = 64;
/// Permits shared by the tasks in the tokio groups.
const PERMITS: usize = 4;
/// Acquire/release rounds per task per iteration in the tokio groups.
const N: u64 = 200;
/// Every `YIELD_EVERY`-th round in the tokio groups yields while holding.
const YIELD_EVERY: u64 = 8;
/// Weight of task `t` in `semaphore_tokio_64_tasks`.
const fn weight(t: u64) -> usize {
    if t.is_multiple_of(4) {
        3
    } else {
        1
    }
}
/// Wait-queue capacity of embassy-sync's `FairSemaphore` (a const
/// parameter): room for every task.
const EMBASSY_QUEUE: usize = TASKS as usize;

// ---------------------------------------------------------------------------
// The contestants: one trait over every async semaphore.
// ---------------------------------------------------------------------------

/// An async semaphore, as the harnesses see it.
trait AsyncSemaphore: Send + Sync + 'static {
    /// What the acquire future resolves to (a guard, or a `Result` of one),
    /// as is: dropping it returns the permits.
    type Out<'a>: Send
    where
        Self: 'a;
    /// Whether `acquire_n` takes weights other than 1.
    const WEIGHTED: bool;
    fn create(permits: usize) -> Self;
    /// The semaphore's own acquire future for `n` permits, returned as is
    /// (no wrapping).
    fn acquire_n(&self, n: usize) -> impl Future<Output = Self::Out<'_>> + Send;
    /// Whether `out` holds permits (not an error).
    fn granted(out: &Self::Out<'_>) -> bool;
    /// Whether all `permits` are free (taken with `try_acquire` and given
    /// back); for the checks, outside any timing.
    fn all_free(&self, permits: usize) -> bool;
}

impl AsyncSemaphore for turnstile_sync::Semaphore {
    type Out<'a> = Result<turnstile_sync::SemaphoreGuard<'a>, turnstile_sync::Closed>;
    const WEIGHTED: bool = true;
    fn create(permits: usize) -> Self {
        turnstile_sync::Semaphore::new(permits)
    }
    fn acquire_n(&self, n: usize) -> impl Future<Output = Self::Out<'_>> + Send {
        self.acquire_many(n)
    }
    fn granted(out: &Self::Out<'_>) -> bool {
        out.is_ok()
    }
    fn all_free(&self, permits: usize) -> bool {
        self.try_acquire_many(permits).is_ok()
    }
}

impl AsyncSemaphore for tokio::sync::Semaphore {
    type Out<'a> = Result<tokio::sync::SemaphorePermit<'a>, tokio::sync::AcquireError>;
    const WEIGHTED: bool = true;
    fn create(permits: usize) -> Self {
        tokio::sync::Semaphore::new(permits)
    }
    fn acquire_n(&self, n: usize) -> impl Future<Output = Self::Out<'_>> + Send {
        // `acquire()` is `acquire_many(1)` in tokio, so one path serves both.
        self.acquire_many(n as u32)
    }
    fn granted(out: &Self::Out<'_>) -> bool {
        out.is_ok()
    }
    fn all_free(&self, permits: usize) -> bool {
        self.try_acquire_many(permits as u32).is_ok()
    }
}

/// async-lock's semaphore has no weighted acquire (`acquire()` takes one
/// permit): it runs only where every weight is 1.
impl AsyncSemaphore for async_lock::Semaphore {
    type Out<'a> = async_lock::SemaphoreGuard<'a>;
    const WEIGHTED: bool = false;
    fn create(permits: usize) -> Self {
        async_lock::Semaphore::new(permits)
    }
    fn acquire_n(&self, n: usize) -> impl Future<Output = Self::Out<'_>> + Send {
        assert_eq!(n, 1, "async-lock's Semaphore has no weighted acquire");
        self.acquire()
    }
    fn granted(_: &Self::Out<'_>) -> bool {
        true
    }
    fn all_free(&self, permits: usize) -> bool {
        let guards: Vec<_> = (0..permits).map_while(|_| self.try_acquire()).collect();
        guards.len() == permits
    }
}

/// embassy-sync's `GreedySemaphore`: not FIFO (a waiter takes whatever is
/// free when it is polled), and one waker slot for all waiters.
/// `CriticalSectionRawMutex` because it is `Sync` (the multi-thread runtime
/// needs that); with the `std` feature its critical section is a global std
/// mutex (from `critical-section`'s `std` feature).
type EmbassyGreedy = embassy_sync::semaphore::GreedySemaphore<CriticalSectionRawMutex>;
/// embassy-sync's `FairSemaphore` (FIFO), with room for every task in its
/// fixed-size wait queue.
type EmbassyFair = embassy_sync::semaphore::FairSemaphore<CriticalSectionRawMutex, EMBASSY_QUEUE>;

impl AsyncSemaphore for EmbassyGreedy {
    type Out<'a> =
        Result<embassy_sync::semaphore::SemaphoreReleaser<'a, Self>, core::convert::Infallible>;
    const WEIGHTED: bool = true;
    fn create(permits: usize) -> Self {
        EmbassyGreedy::new(permits)
    }
    fn acquire_n(&self, n: usize) -> impl Future<Output = Self::Out<'_>> + Send {
        self.acquire(n)
    }
    fn granted(out: &Self::Out<'_>) -> bool {
        out.is_ok()
    }
    fn all_free(&self, permits: usize) -> bool {
        self.try_acquire(permits).is_some()
    }
}

impl AsyncSemaphore for EmbassyFair {
    type Out<'a> = Result<
        embassy_sync::semaphore::SemaphoreReleaser<'a, Self>,
        embassy_sync::semaphore::WaitQueueFull,
    >;
    const WEIGHTED: bool = true;
    fn create(permits: usize) -> Self {
        EmbassyFair::new(permits)
    }
    fn acquire_n(&self, n: usize) -> impl Future<Output = Self::Out<'_>> + Send {
        self.acquire(n)
    }
    fn granted(out: &Self::Out<'_>) -> bool {
        out.is_ok()
    }
    fn all_free(&self, permits: usize) -> bool {
        self.try_acquire(permits).is_some()
    }
}

// maitake-sync is used with its default features (as declared in Cargo.toml),
// so its wait-list lock is its spinlock, not a std mutex.
impl AsyncSemaphore for maitake_sync::Semaphore {
    type Out<'a> = maitake_sync::WaitResult<maitake_sync::semaphore::Permit<'a>>;
    const WEIGHTED: bool = true;
    fn create(permits: usize) -> Self {
        maitake_sync::Semaphore::new(permits)
    }
    fn acquire_n(&self, n: usize) -> impl Future<Output = Self::Out<'_>> + Send {
        self.acquire(n)
    }
    fn granted(out: &Self::Out<'_>) -> bool {
        out.is_ok()
    }
    fn all_free(&self, permits: usize) -> bool {
        self.try_acquire(permits).is_ok()
    }
}

/// futures-intrusive's semaphore (parking_lot lock); `FAIR` is its `is_fair`
/// flag: `true` is FIFO, `false` lets a woken waiter be overtaken (the
/// faster mode, not fair to large requests).
struct FuturesIntrusive<const FAIR: bool>(futures_intrusive::sync::Semaphore);

impl<const FAIR: bool> AsyncSemaphore for FuturesIntrusive<FAIR> {
    type Out<'a> = futures_intrusive::sync::SemaphoreReleaser<'a>;
    const WEIGHTED: bool = true;
    fn create(permits: usize) -> Self {
        FuturesIntrusive(futures_intrusive::sync::Semaphore::new(FAIR, permits))
    }
    fn acquire_n(&self, n: usize) -> impl Future<Output = Self::Out<'_>> + Send {
        self.0.acquire(n)
    }
    fn granted(_: &Self::Out<'_>) -> bool {
        true
    }
    fn all_free(&self, permits: usize) -> bool {
        self.0.try_acquire(permits).is_some()
    }
}

// ---------------------------------------------------------------------------
// Strategies: how one acquire + release is done, for the thread-based groups
// (`semaphore_uncontended`, `semaphore_two_threads`). Each holds a counter
// that is bumped with a plain load + store (not a read-modify-write) while
// the permit is held: with one permit, lost updates would show a broken
// semaphore.
// ---------------------------------------------------------------------------

trait Strategy {
    type S: Send + Sync + 'static;
    /// A semaphore of one permit (or a mutex).
    fn create() -> Self::S;
    /// Acquire one permit, bump `count`, release.
    fn critical(s: &Self::S, count: &AtomicU64);
    /// Whether everything was given back (outside any timing).
    fn all_free(s: &Self::S) -> bool;
}

#[inline]
fn bump(count: &AtomicU64) {
    count.store(count.load(Relaxed) + 1, Relaxed);
}

/// Poll the semaphore's acquire future once with a no-op waker; it must be
/// `Ready`.
struct PollOnce<S>(S);

impl<S: AsyncSemaphore> Strategy for PollOnce<S> {
    type S = S;
    fn create() -> S {
        S::create(1)
    }
    #[inline]
    fn critical(s: &S, count: &AtomicU64) {
        let mut cx = Context::from_waker(Waker::noop());
        let fut = pin!(s.acquire_n(1));
        match fut.poll(&mut cx) {
            Poll::Ready(out) => {
                assert!(S::granted(&out), "acquire failed");
                bump(count);
                drop(out);
            }
            Poll::Pending => panic!("uncontended acquire future returned Pending"),
        }
    }
    fn all_free(s: &S) -> bool {
        s.all_free(1)
    }
}

/// `futures::executor::block_on(s.acquire())`.
struct BlockOn<S>(S);

impl<S: AsyncSemaphore> Strategy for BlockOn<S> {
    type S = S;
    fn create() -> S {
        S::create(1)
    }
    #[inline]
    fn critical(s: &S, count: &AtomicU64) {
        let out = futures::executor::block_on(s.acquire_n(1));
        assert!(S::granted(&out), "acquire failed");
        bump(count);
        drop(out);
    }
    fn all_free(s: &S) -> bool {
        s.all_free(1)
    }
}

/// `std::sync::Mutex::lock().unwrap()`: the baseline.
struct StdMutex;

impl Strategy for StdMutex {
    type S = std::sync::Mutex<()>;
    fn create() -> Self::S {
        std::sync::Mutex::new(())
    }
    #[inline]
    fn critical(s: &Self::S, count: &AtomicU64) {
        let guard = s.lock().unwrap();
        bump(count);
        drop(guard);
    }
    fn all_free(s: &Self::S) -> bool {
        s.try_lock().is_ok()
    }
}

/// `turnstile_sync::Semaphore::try_acquire()`; must succeed (uncontended only).
struct TurnstileTryAcquire;

impl Strategy for TurnstileTryAcquire {
    type S = turnstile_sync::Semaphore;
    fn create() -> Self::S {
        turnstile_sync::Semaphore::new(1)
    }
    #[inline]
    fn critical(s: &Self::S, count: &AtomicU64) {
        let guard = s.try_acquire().expect("uncontended try_acquire failed");
        bump(count);
        drop(guard);
    }
    fn all_free(s: &Self::S) -> bool {
        s.all_free(1)
    }
}

/// `turnstile_sync::Semaphore::acquire_blocking()`.
struct TurnstileBlocking;

impl Strategy for TurnstileBlocking {
    type S = turnstile_sync::Semaphore;
    fn create() -> Self::S {
        turnstile_sync::Semaphore::new(1)
    }
    #[inline]
    fn critical(s: &Self::S, count: &AtomicU64) {
        let guard = s.acquire_blocking().expect("never closed");
        bump(count);
        drop(guard);
    }
    fn all_free(s: &Self::S) -> bool {
        s.all_free(1)
    }
}

/// `async_lock::Semaphore::acquire_blocking()`.
struct AsyncLockBlocking;

impl Strategy for AsyncLockBlocking {
    type S = async_lock::Semaphore;
    fn create() -> Self::S {
        async_lock::Semaphore::new(1)
    }
    #[inline]
    fn critical(s: &Self::S, count: &AtomicU64) {
        let guard = s.acquire_blocking();
        bump(count);
        drop(guard);
    }
    fn all_free(s: &Self::S) -> bool {
        s.all_free(1)
    }
}

/// `tokio::sync::Semaphore::blocking_acquire()` (outside any runtime).
struct TokioBlocking;

impl Strategy for TokioBlocking {
    type S = tokio::sync::Semaphore;
    fn create() -> Self::S {
        tokio::sync::Semaphore::new(1)
    }
    #[inline]
    fn critical(s: &Self::S, count: &AtomicU64) {
        let guard = s.blocking_acquire().expect("never closed");
        bump(count);
        drop(guard);
    }
    fn all_free(s: &Self::S) -> bool {
        s.all_free(1)
    }
}

// ---------------------------------------------------------------------------
// Harnesses: one per group, generic over the contestant.
// ---------------------------------------------------------------------------

fn uncontended<S: Strategy>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    let s = S::create();
    let count = AtomicU64::new(0);
    // `ran` stays false when a command-line filter skips this contestant.
    let mut ran = false;
    g.bench_function(name, |b| {
        ran = true;
        b.iter(|| S::critical(black_box(&s), &count))
    });
    assert!(
        !ran || count.load(Relaxed) > 0,
        "{name}: counter never incremented"
    );
    assert!(S::all_free(&s), "{name}: permit not given back");
}

fn two_threads<S: Strategy>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    let s = S::create();
    let count = AtomicU64::new(0);
    let mut expected = 0u64;
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let ops = iters * K;
            let barrier = Barrier::new(THREADS as usize);
            let spans: Vec<(Instant, Instant)> = thread::scope(|sc| {
                let handles: Vec<_> = (0..THREADS)
                    .map(|_| {
                        sc.spawn(|| {
                            barrier.wait();
                            let start = Instant::now();
                            for _ in 0..ops {
                                S::critical(black_box(&s), &count);
                            }
                            (start, Instant::now())
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            expected += THREADS * ops;
            let start = spans.iter().map(|s| s.0).min().unwrap();
            let end = spans.iter().map(|s| s.1).max().unwrap();
            end - start
        })
    });
    assert_eq!(count.load(Relaxed), expected, "{name}: lost updates");
    assert!(S::all_free(&s), "{name}: permit not given back");
}

fn tokio_64_tasks<S: AsyncSemaphore>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    rt: &tokio::runtime::Runtime,
    name: &str,
    weighted: bool,
) {
    assert!(S::WEIGHTED || !weighted, "{name} takes no weights");
    let sem = Arc::new(S::create(PERMITS));
    // Permits held right now, by the tasks' own count.
    let in_use = Arc::new(AtomicUsize::new(0));
    let rounds = Arc::new(AtomicU64::new(0));
    let mut expected = 0u64;
    g.bench_function(name, |b| {
        b.iter(|| {
            rt.block_on(async {
                let handles: Vec<_> = (0..TASKS)
                    .map(|t| {
                        let (sem, in_use, rounds) = (sem.clone(), in_use.clone(), rounds.clone());
                        let w = if weighted { weight(t) } else { 1 };
                        tokio::spawn(async move {
                            for i in 0..N {
                                let out = sem.acquire_n(w).await;
                                assert!(S::granted(&out), "acquire failed");
                                let held = in_use.fetch_add(w, Relaxed) + w;
                                assert!(held <= PERMITS, "{held} permits held at once");
                                if i % YIELD_EVERY == YIELD_EVERY - 1 {
                                    tokio::task::yield_now().await;
                                }
                                in_use.fetch_sub(w, Relaxed);
                                drop(out);
                            }
                            rounds.fetch_add(N, Relaxed);
                        })
                    })
                    .collect();
                for h in handles {
                    h.await.unwrap();
                }
            });
            expected += TASKS * N;
        })
    });
    assert_eq!(rounds.load(Relaxed), expected, "{name}: rounds lost");
    assert!(sem.all_free(PERMITS), "{name}: permits not given back");
}

// ---------------------------------------------------------------------------
// Groups.
// ---------------------------------------------------------------------------

/// Runs `$run!($wrap<ty>, name)` for every async semaphore that takes
/// weights.
macro_rules! for_weighted_peers {
    ($run:ident, $wrap:ident) => {
        $run!($wrap<turnstile_sync::Semaphore>, "turnstile");
        $run!($wrap<tokio::sync::Semaphore>, "tokio");
        $run!($wrap<EmbassyGreedy>, "embassy-greedy");
        $run!($wrap<EmbassyFair>, "embassy-fair");
        $run!($wrap<maitake_sync::Semaphore>, "maitake-sync");
        $run!($wrap<FuturesIntrusive<true>>, "futures-intrusive-fair");
        $run!($wrap<FuturesIntrusive<false>>, "futures-intrusive-unfair");
    };
}

/// Every async semaphore: the weighted ones and async-lock.
macro_rules! for_async_peers {
    ($run:ident, $wrap:ident) => {
        for_weighted_peers!($run, $wrap);
        $run!($wrap<async_lock::Semaphore>, "async-lock");
    };
}

fn bench_uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("semaphore_uncontended");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(30);
    macro_rules! run {
        ($s:ty, $name:expr) => {
            uncontended::<$s>(&mut g, $name)
        };
    }
    for_async_peers!(run, PollOnce);
    run!(StdMutex, "std-mutex");
    run!(TurnstileTryAcquire, "turnstile-try_acquire");
    run!(TurnstileBlocking, "turnstile-acquire_blocking");
    g.finish();
}

fn bench_tokio_64_tasks(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("tokio runtime");
    for (group, weighted) in [
        ("semaphore_tokio_64_tasks", true),
        ("semaphore_tokio_64_tasks_w1", false),
    ] {
        let mut g = c.benchmark_group(group);
        g.measurement_time(Duration::from_secs(2))
            .warm_up_time(Duration::from_millis(500))
            .sample_size(20)
            .sampling_mode(SamplingMode::Flat)
            .throughput(Throughput::Elements(TASKS * N));
        // Every peer's acquire output is `Send` (the trait demands it), so
        // all of them are held across the `yield_now` on the multi-thread
        // runtime.
        macro_rules! run {
            ($s:ty, $name:expr) => {
                tokio_64_tasks::<$s>(&mut g, &rt, $name, weighted)
            };
        }
        if weighted {
            for_weighted_peers!(run, Id);
        } else {
            for_async_peers!(run, Id);
        }
        g.finish();
    }
}

fn bench_two_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("semaphore_two_threads");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(20)
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(THREADS * K));
    macro_rules! run {
        ($s:ty, $name:expr) => {
            two_threads::<$s>(&mut g, $name)
        };
    }
    for_async_peers!(run, BlockOn);
    run!(TurnstileBlocking, "turnstile-acquire_blocking");
    run!(AsyncLockBlocking, "async-lock-acquire_blocking");
    run!(TokioBlocking, "tokio-blocking_acquire");
    run!(StdMutex, "std-mutex");
    g.finish();
}

/// Identity wrapper so the peer macros can name the bare semaphore type.
type Id<S> = S;

criterion_group!(
    benches,
    bench_uncontended,
    bench_tokio_64_tasks,
    bench_two_threads
);
criterion_main!(benches);
