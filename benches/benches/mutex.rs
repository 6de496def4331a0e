//! Mutex benchmarks: `turnstile_sync::Mutex` against the other async mutexes,
//! `std::sync::Mutex` and a hand-written floor.
//!
//! Groups (all in one `cargo bench -p turnstile-benches --bench mutex` run):
//!
//! - `uncontended`: one lock + unlock on a single thread. Async mutexes are
//!   polled exactly once with a no-op waker and must be `Ready`.
//! - `two_threads`: two OS threads each doing `K` lock/unlock pairs on one
//!   shared mutex (critical section: increment a counter).
//! - `tokio_64_tasks`: 64 tasks on a 2-worker multi-thread tokio runtime, each
//!   doing `N` lock/unlock pairs; every 8th critical section yields while
//!   holding the guard.
//!
//! The batch groups declare `Throughput::Elements(<ops per iteration>)`, which
//! criterion stores in `new/benchmark.json`; `benches/ratios.py` divides by it
//! to get time per lock/unlock.

use std::cell::UnsafeCell;
use std::future::Future;
use std::hint::black_box;
use std::ops::{Deref, DerefMut};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode, Throughput,
};

/// Lock/unlock pairs per thread per iteration in `two_threads`.
const K: u64 = 10_000;
/// Threads in `two_threads`.
const THREADS: u64 = 2;
/// Tasks in `tokio_64_tasks`.
const TASKS: u64 = 64;
/// Lock/unlock pairs per task per iteration in `tokio_64_tasks`.
const N: u64 = 200;
/// Every `YIELD_EVERY`-th critical section in `tokio_64_tasks` yields while holding the guard.
const YIELD_EVERY: u64 = 8;

// ---------------------------------------------------------------------------
// The contestants: one trait over every async mutex.
// ---------------------------------------------------------------------------

/// An async mutex around a `u64`, as the harnesses see it.
trait AsyncMutex: Send + Sync + 'static {
    type Guard<'a>: DerefMut<Target = u64> + Send
    where
        Self: 'a;
    fn create(v: u64) -> Self;
    /// The mutex's own lock future, returned as is (no wrapping).
    fn acquire(&self) -> impl Future<Output = Self::Guard<'_>> + Send;
}

impl AsyncMutex for turnstile_sync::Mutex<u64> {
    type Guard<'a> = turnstile_sync::MutexGuard<'a, u64>;
    fn create(v: u64) -> Self {
        turnstile_sync::Mutex::new(v)
    }
    fn acquire(&self) -> impl Future<Output = Self::Guard<'_>> + Send {
        self.lock()
    }
}

impl AsyncMutex for async_lock::Mutex<u64> {
    type Guard<'a> = async_lock::MutexGuard<'a, u64>;
    fn create(v: u64) -> Self {
        async_lock::Mutex::new(v)
    }
    fn acquire(&self) -> impl Future<Output = Self::Guard<'_>> + Send {
        self.lock()
    }
}

impl AsyncMutex for tokio::sync::Mutex<u64> {
    type Guard<'a> = tokio::sync::MutexGuard<'a, u64>;
    fn create(v: u64) -> Self {
        tokio::sync::Mutex::new(v)
    }
    fn acquire(&self) -> impl Future<Output = Self::Guard<'_>> + Send {
        self.lock()
    }
}

impl AsyncMutex for futures::lock::Mutex<u64> {
    type Guard<'a> = futures::lock::MutexGuard<'a, u64>;
    fn create(v: u64) -> Self {
        futures::lock::Mutex::new(v)
    }
    fn acquire(&self) -> impl Future<Output = Self::Guard<'_>> + Send {
        self.lock()
    }
}

type EmbassyMutex<T> =
    embassy_sync::mutex::Mutex<embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex, T>;

impl AsyncMutex for EmbassyMutex<u64> {
    type Guard<'a> = embassy_sync::mutex::MutexGuard<
        'a,
        embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex,
        u64,
    >;
    fn create(v: u64) -> Self {
        EmbassyMutex::new(v)
    }
    fn acquire(&self) -> impl Future<Output = Self::Guard<'_>> + Send {
        self.lock()
    }
}

// maitake-sync is used with its default features (as declared in Cargo.toml),
// so its wait-list lock (`DefaultMutex`) is its spinlock, not a std mutex.
impl AsyncMutex for maitake_sync::Mutex<u64> {
    type Guard<'a> = maitake_sync::MutexGuard<'a, u64>;
    fn create(v: u64) -> Self {
        maitake_sync::Mutex::new(v)
    }
    fn acquire(&self) -> impl Future<Output = Self::Guard<'_>> + Send {
        self.lock()
    }
}

impl AsyncMutex for futures_intrusive::sync::Mutex<u64> {
    type Guard<'a> = futures_intrusive::sync::MutexGuard<'a, u64>;
    fn create(v: u64) -> Self {
        // `false` = unfair, the fast mode.
        futures_intrusive::sync::Mutex::new(v, false)
    }
    fn acquire(&self) -> impl Future<Output = Self::Guard<'_>> + Send {
        self.lock()
    }
}

// ---------------------------------------------------------------------------
// The floor: the cheapest async lock that still learns of waiters on release.
// ---------------------------------------------------------------------------

/// A minimal async lock: `compare_exchange(Acquire)` to lock, `swap(Release)`
/// to unlock, and the old state tells the unlocker whether anyone waits.
/// It never registers a waker, so it only makes sense uncontended.
struct Floor {
    state: AtomicUsize,
    data: UnsafeCell<u64>,
}

const FLOOR_LOCKED: usize = 1;
const FLOOR_WAITERS: usize = 2;

// SAFETY: `data` is only reached through a `FloorGuard`, and a guard exists
// only while this thread won the `FLOOR_LOCKED` bit, so access is exclusive.
unsafe impl Sync for Floor {}

struct FloorLock<'a>(&'a Floor);

struct FloorGuard<'a>(&'a Floor);

impl<'a> Future for FloorLock<'a> {
    type Output = FloorGuard<'a>;
    #[inline]
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<FloorGuard<'a>> {
        let floor = self.0;
        match floor
            .state
            .compare_exchange(0, FLOOR_LOCKED, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => Poll::Ready(FloorGuard(floor)),
            Err(_) => {
                // A real lock would store the waker here; the floor only records
                // that somebody is waiting.
                floor.state.fetch_or(FLOOR_WAITERS, Ordering::Relaxed);
                Poll::Pending
            }
        }
    }
}

#[cold]
#[inline(never)]
fn floor_wake_waiters(floor: &Floor) {
    // A real lock would wake a waiter here.
    black_box(floor);
}

impl Drop for FloorGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.0.state.swap(0, Ordering::Release) & FLOOR_WAITERS != 0 {
            floor_wake_waiters(self.0);
        }
    }
}

impl Deref for FloorGuard<'_> {
    type Target = u64;
    fn deref(&self) -> &u64 {
        // SAFETY: this guard holds the lock (see `unsafe impl Sync for Floor`).
        unsafe { &*self.0.data.get() }
    }
}

impl DerefMut for FloorGuard<'_> {
    fn deref_mut(&mut self) -> &mut u64 {
        // SAFETY: this guard holds the lock, and `&mut self` makes it unique.
        unsafe { &mut *self.0.data.get() }
    }
}

impl AsyncMutex for Floor {
    type Guard<'a> = FloorGuard<'a>;
    fn create(v: u64) -> Self {
        Floor {
            state: AtomicUsize::new(0),
            data: UnsafeCell::new(v),
        }
    }
    fn acquire(&self) -> impl Future<Output = FloorGuard<'_>> + Send {
        FloorLock(self)
    }
}

// ---------------------------------------------------------------------------
// Strategies: how one lock + increment + unlock is done, for the thread-based
// groups (`uncontended`, `two_threads`).
// ---------------------------------------------------------------------------

trait Strategy {
    type M: Send + Sync + 'static;
    fn create() -> Self::M;
    /// Lock, increment the counter, unlock.
    fn critical(m: &Self::M);
    /// Read the counter (outside any timing, for checks).
    fn value(m: &Self::M) -> u64;
}

/// Poll the mutex's lock future once with a no-op waker; it must be `Ready`.
struct PollOnce<M>(M);

impl<M: AsyncMutex> Strategy for PollOnce<M> {
    type M = M;
    fn create() -> M {
        M::create(0)
    }
    #[inline]
    fn critical(m: &M) {
        let mut cx = Context::from_waker(Waker::noop());
        let fut = pin!(m.acquire());
        match fut.poll(&mut cx) {
            Poll::Ready(mut guard) => *guard += 1,
            Poll::Pending => panic!("uncontended lock future returned Pending"),
        }
    }
    fn value(m: &M) -> u64 {
        *futures_lite::future::block_on(m.acquire())
    }
}

/// `futures_lite::future::block_on(m.lock())`.
struct BlockOn<M>(M);

impl<M: AsyncMutex> Strategy for BlockOn<M> {
    type M = M;
    fn create() -> M {
        M::create(0)
    }
    #[inline]
    fn critical(m: &M) {
        *futures_lite::future::block_on(m.acquire()) += 1;
    }
    fn value(m: &M) -> u64 {
        *futures_lite::future::block_on(m.acquire())
    }
}

/// `std::sync::Mutex::lock().unwrap()`.
struct StdLock;

impl Strategy for StdLock {
    type M = std::sync::Mutex<u64>;
    fn create() -> Self::M {
        std::sync::Mutex::new(0)
    }
    #[inline]
    fn critical(m: &Self::M) {
        *m.lock().unwrap() += 1;
    }
    fn value(m: &Self::M) -> u64 {
        *m.lock().unwrap()
    }
}

/// `turnstile_sync::Mutex::try_lock()`; must succeed (uncontended only).
struct TurnstileTryLock;

impl Strategy for TurnstileTryLock {
    type M = turnstile_sync::Mutex<u64>;
    fn create() -> Self::M {
        turnstile_sync::Mutex::new(0)
    }
    #[inline]
    fn critical(m: &Self::M) {
        *m.try_lock().expect("uncontended try_lock failed") += 1;
    }
    fn value(m: &Self::M) -> u64 {
        *m.lock_blocking()
    }
}

/// `turnstile_sync::Mutex::lock_blocking()`.
struct TurnstileBlocking;

impl Strategy for TurnstileBlocking {
    type M = turnstile_sync::Mutex<u64>;
    fn create() -> Self::M {
        turnstile_sync::Mutex::new(0)
    }
    #[inline]
    fn critical(m: &Self::M) {
        *m.lock_blocking() += 1;
    }
    fn value(m: &Self::M) -> u64 {
        *m.lock_blocking()
    }
}

// ---------------------------------------------------------------------------
// Harnesses: one per group, generic over the contestant.
// ---------------------------------------------------------------------------

fn uncontended<S: Strategy>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    let m = S::create();
    // `ran` stays false when a command-line filter skips this contestant.
    let mut ran = false;
    g.bench_function(name, |b| {
        ran = true;
        b.iter(|| S::critical(black_box(&m)))
    });
    assert!(
        !ran || S::value(&m) > 0,
        "{name}: counter never incremented"
    );
}

fn two_threads<S: Strategy>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    let m = S::create();
    let mut expected = 0u64;
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let ops = iters * K;
            let barrier = Barrier::new(THREADS as usize);
            let spans: Vec<(Instant, Instant)> = thread::scope(|s| {
                let handles: Vec<_> = (0..THREADS)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            let start = Instant::now();
                            for _ in 0..ops {
                                S::critical(black_box(&m));
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
    assert_eq!(S::value(&m), expected, "{name}: lost updates");
}

fn tokio_64_tasks<M: AsyncMutex>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    rt: &tokio::runtime::Runtime,
    name: &str,
) {
    let m = Arc::new(M::create(0));
    let mut expected = 0u64;
    g.bench_function(name, |b| {
        b.iter(|| {
            rt.block_on(async {
                let handles: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let m = Arc::clone(&m);
                        tokio::spawn(async move {
                            for i in 0..N {
                                let mut guard = m.acquire().await;
                                *guard += 1;
                                if i % YIELD_EVERY == YIELD_EVERY - 1 {
                                    tokio::task::yield_now().await;
                                }
                                drop(guard);
                            }
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
    assert_eq!(
        *futures_lite::future::block_on(m.acquire()),
        expected,
        "{name}: lost updates"
    );
}

// ---------------------------------------------------------------------------
// Groups.
// ---------------------------------------------------------------------------

/// Runs `$harness::<$ty>(group, name)` for every async peer.
macro_rules! for_async_peers {
    ($run:ident, $wrap:ident) => {
        $run!($wrap<turnstile_sync::Mutex<u64>>, "turnstile");
        $run!($wrap<async_lock::Mutex<u64>>, "async-lock");
        $run!($wrap<tokio::sync::Mutex<u64>>, "tokio");
        $run!($wrap<futures::lock::Mutex<u64>>, "futures");
        $run!($wrap<EmbassyMutex<u64>>, "embassy-sync");
        $run!($wrap<maitake_sync::Mutex<u64>>, "maitake-sync");
        $run!(
            $wrap<futures_intrusive::sync::Mutex<u64>>,
            "futures-intrusive"
        );
    };
}

fn bench_uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("uncontended");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(30);
    macro_rules! run {
        ($s:ty, $name:expr) => {
            uncontended::<$s>(&mut g, $name)
        };
    }
    for_async_peers!(run, PollOnce);
    run!(PollOnce<Floor>, "floor");
    run!(StdLock, "std");
    run!(TurnstileTryLock, "turnstile-try_lock");
    run!(TurnstileBlocking, "turnstile-lock_blocking");
    g.finish();
}

fn bench_two_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("two_threads");
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
    // The floor is absent: it cannot wait, so it cannot be contended.
    for_async_peers!(run, BlockOn);
    run!(TurnstileBlocking, "turnstile-lock_blocking");
    run!(StdLock, "std");
    g.finish();
}

fn bench_tokio_64_tasks(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("tokio runtime");
    let mut g = c.benchmark_group("tokio_64_tasks");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(20)
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(TASKS * N));
    // Every peer's guard is `Send` (the `AsyncMutex` trait demands it), so all
    // of them are held across the `yield_now` on the multi-thread runtime.
    macro_rules! run {
        ($m:ty, $name:expr) => {
            tokio_64_tasks::<$m>(&mut g, &rt, $name)
        };
    }
    for_async_peers!(run, Id);
    g.finish();
}

/// Identity wrapper so `for_async_peers!` can name the bare mutex type.
type Id<M> = M;

criterion_group!(
    benches,
    bench_uncontended,
    bench_two_threads,
    bench_tokio_64_tasks
);
criterion_main!(benches);
