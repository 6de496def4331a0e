//! RwLock benchmarks: `turnstile_sync::RwLock` against the other async rwlocks
//! and `std::sync::RwLock`.
//!
//! Groups (all in one `cargo bench -p turnstile-benches --bench rwlock` run):
//!
//! - `rwlock_uncontended_read`: one read lock + release on one thread (read
//!   the value). Async locks are polled exactly once with a no-op waker and
//!   must be `Ready`.
//! - `rwlock_uncontended_write`: one write lock + increment + release.
//! - `rwlock_read_with_reader_inside`: as `rwlock_uncontended_read`, while
//!   another read guard of the same thread is held throughout (the common
//!   read-mostly state: the lock word is not zero when a reader arrives).
//! - `rwlock_two_threads_95_5`: two OS threads each doing `K` operations on
//!   one shared lock, every 20th a write (increment), the others reads.
//!   Async locks are driven with `futures_lite::future::block_on`.
//!
//! The groups declare `Throughput::Elements(<ops per iteration>)`, which
//! `benches/ratios.py` divides by to get time per operation.

use std::future::Future;
use std::hint::black_box;
use std::ops::{Deref, DerefMut};
use std::pin::pin;
use std::sync::Barrier;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode, Throughput,
};

/// Operations per thread per iteration in `rwlock_two_threads_95_5`.
const K: u64 = 10_000;
/// Threads in `rwlock_two_threads_95_5`.
const THREADS: u64 = 2;
/// One operation in `WRITE_EVERY` is a write.
const WRITE_EVERY: u64 = 20;

// ---------------------------------------------------------------------------
// The contestants: one trait over every async rwlock.
// ---------------------------------------------------------------------------

/// An async reader-writer lock around a `u64`, as the harnesses see it.
trait AsyncRwLock: Send + Sync + 'static {
    type R<'a>: Deref<Target = u64>
    where
        Self: 'a;
    type W<'a>: DerefMut<Target = u64>
    where
        Self: 'a;
    fn create(v: u64) -> Self;
    /// The lock's own read future, returned as is.
    fn read(&self) -> impl Future<Output = Self::R<'_>>;
    /// The lock's own write future, returned as is.
    fn write(&self) -> impl Future<Output = Self::W<'_>>;
}

impl AsyncRwLock for turnstile_sync::RwLock<u64> {
    type R<'a> = turnstile_sync::RwLockReadGuard<'a, u64>;
    type W<'a> = turnstile_sync::RwLockWriteGuard<'a, u64>;
    fn create(v: u64) -> Self {
        turnstile_sync::RwLock::new(v)
    }
    fn read(&self) -> impl Future<Output = Self::R<'_>> {
        turnstile_sync::RwLock::read(self)
    }
    fn write(&self) -> impl Future<Output = Self::W<'_>> {
        turnstile_sync::RwLock::write(self)
    }
}

impl AsyncRwLock for async_lock::RwLock<u64> {
    type R<'a> = async_lock::RwLockReadGuard<'a, u64>;
    type W<'a> = async_lock::RwLockWriteGuard<'a, u64>;
    fn create(v: u64) -> Self {
        async_lock::RwLock::new(v)
    }
    fn read(&self) -> impl Future<Output = Self::R<'_>> {
        async_lock::RwLock::read(self)
    }
    fn write(&self) -> impl Future<Output = Self::W<'_>> {
        async_lock::RwLock::write(self)
    }
}

impl AsyncRwLock for tokio::sync::RwLock<u64> {
    type R<'a> = tokio::sync::RwLockReadGuard<'a, u64>;
    type W<'a> = tokio::sync::RwLockWriteGuard<'a, u64>;
    fn create(v: u64) -> Self {
        tokio::sync::RwLock::new(v)
    }
    fn read(&self) -> impl Future<Output = Self::R<'_>> {
        tokio::sync::RwLock::read(self)
    }
    fn write(&self) -> impl Future<Output = Self::W<'_>> {
        tokio::sync::RwLock::write(self)
    }
}

// maitake-sync with its default features: its wait-list lock is its
// spinlock (as in benches/mutex.rs).
impl AsyncRwLock for maitake_sync::RwLock<u64> {
    type R<'a> = maitake_sync::RwLockReadGuard<'a, u64>;
    type W<'a> = maitake_sync::RwLockWriteGuard<'a, u64>;
    fn create(v: u64) -> Self {
        maitake_sync::RwLock::new(v)
    }
    fn read(&self) -> impl Future<Output = Self::R<'_>> {
        maitake_sync::RwLock::read(self)
    }
    fn write(&self) -> impl Future<Output = Self::W<'_>> {
        maitake_sync::RwLock::write(self)
    }
}

type EmbassyRaw = embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
type EmbassyRwLock<T> = embassy_sync::rwlock::RwLock<EmbassyRaw, T>;

impl AsyncRwLock for EmbassyRwLock<u64> {
    type R<'a> = embassy_sync::rwlock::RwLockReadGuard<'a, EmbassyRaw, u64>;
    type W<'a> = embassy_sync::rwlock::RwLockWriteGuard<'a, EmbassyRaw, u64>;
    fn create(v: u64) -> Self {
        EmbassyRwLock::new(v)
    }
    fn read(&self) -> impl Future<Output = Self::R<'_>> {
        EmbassyRwLock::read(self)
    }
    fn write(&self) -> impl Future<Output = Self::W<'_>> {
        EmbassyRwLock::write(self)
    }
}

// ---------------------------------------------------------------------------
// Strategies: how one read or one write is done.
// ---------------------------------------------------------------------------

trait Strategy {
    type L: Send + Sync + 'static;
    fn create() -> Self::L;
    /// Read lock, read the value, release.
    fn read(l: &Self::L) -> u64;
    /// Write lock, increment, release.
    fn write(l: &Self::L);
    /// The value (outside any timing, for checks).
    fn value(l: &Self::L) -> u64 {
        Self::read(l)
    }
    /// Runs `f` while a read guard on `l` is held.
    fn with_reader_inside(l: &Self::L, f: &mut dyn FnMut());
}

/// Inlined into every caller, as `benches/mutex.rs` polls in place: a
/// call here (the future moved into it by value) cost every async contestant
/// several nanoseconds that `std` does not pay.
#[inline(always)]
fn poll_ready<F: Future>(fut: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(fut).poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("uncontended rwlock future returned Pending"),
    }
}

/// Poll the lock's future once with a no-op waker; it must be `Ready`.
struct PollOnce<L>(L);

impl<L: AsyncRwLock> Strategy for PollOnce<L> {
    type L = L;
    fn create() -> L {
        L::create(0)
    }
    #[inline]
    fn read(l: &L) -> u64 {
        *poll_ready(l.read())
    }
    #[inline]
    fn write(l: &L) {
        *poll_ready(l.write()) += 1;
    }
    fn with_reader_inside(l: &L, f: &mut dyn FnMut()) {
        let _inside = poll_ready(l.read());
        f();
    }
}

/// `futures_lite::future::block_on(l.read())` and so on.
struct BlockOn<L>(L);

impl<L: AsyncRwLock> Strategy for BlockOn<L> {
    type L = L;
    fn create() -> L {
        L::create(0)
    }
    #[inline]
    fn read(l: &L) -> u64 {
        *futures_lite::future::block_on(l.read())
    }
    #[inline]
    fn write(l: &L) {
        *futures_lite::future::block_on(l.write()) += 1;
    }
    fn with_reader_inside(l: &L, f: &mut dyn FnMut()) {
        let _inside = futures_lite::future::block_on(l.read());
        f();
    }
}

/// `std::sync::RwLock`.
struct Std;

impl Strategy for Std {
    type L = std::sync::RwLock<u64>;
    fn create() -> Self::L {
        std::sync::RwLock::new(0)
    }
    #[inline]
    fn read(l: &Self::L) -> u64 {
        *l.read().unwrap()
    }
    #[inline]
    fn write(l: &Self::L) {
        *l.write().unwrap() += 1;
    }
    fn with_reader_inside(l: &Self::L, f: &mut dyn FnMut()) {
        let _inside = l.read().unwrap();
        f();
    }
}

/// `turnstile_sync::RwLock::try_read`/`try_write`; must succeed (uncontended).
struct TurnstileTry;

impl Strategy for TurnstileTry {
    type L = turnstile_sync::RwLock<u64>;
    fn create() -> Self::L {
        turnstile_sync::RwLock::new(0)
    }
    #[inline]
    fn read(l: &Self::L) -> u64 {
        *l.try_read().expect("uncontended try_read failed")
    }
    #[inline]
    fn write(l: &Self::L) {
        *l.try_write().expect("uncontended try_write failed") += 1;
    }
    fn with_reader_inside(l: &Self::L, f: &mut dyn FnMut()) {
        let _inside = l.try_read().expect("uncontended try_read failed");
        f();
    }
}

/// `turnstile_sync::RwLock::read_blocking`/`write_blocking`.
struct TurnstileBlocking;

impl Strategy for TurnstileBlocking {
    type L = turnstile_sync::RwLock<u64>;
    fn create() -> Self::L {
        turnstile_sync::RwLock::new(0)
    }
    #[inline]
    fn read(l: &Self::L) -> u64 {
        *l.read_blocking()
    }
    #[inline]
    fn write(l: &Self::L) {
        *l.write_blocking() += 1;
    }
    fn with_reader_inside(l: &Self::L, f: &mut dyn FnMut()) {
        let _inside = l.read_blocking();
        f();
    }
}

// ---------------------------------------------------------------------------
// Harnesses.
// ---------------------------------------------------------------------------

fn uncontended_read<S: Strategy>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    let l = S::create();
    S::write(&l);
    g.bench_function(name, |b| b.iter(|| black_box(S::read(black_box(&l)))));
    assert_eq!(S::value(&l), 1, "{name}: value changed by reads");
}

fn read_with_reader_inside<S: Strategy>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    let l = S::create();
    S::write(&l);
    S::with_reader_inside(&l, &mut || {
        g.bench_function(name, |b| b.iter(|| black_box(S::read(black_box(&l)))));
    });
    assert_eq!(S::value(&l), 1, "{name}: value changed by reads");
}

fn uncontended_write<S: Strategy>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    let l = S::create();
    let mut ran = false;
    g.bench_function(name, |b| {
        ran = true;
        b.iter(|| S::write(black_box(&l)))
    });
    assert!(!ran || S::value(&l) > 0, "{name}: never incremented");
}

fn two_threads_95_5<S: Strategy>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    let l = S::create();
    let mut expected = 0u64;
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let ops = iters * K;
            let barrier = Barrier::new(THREADS as usize);
            let spans: Vec<(Instant, Instant)> = thread::scope(|s| {
                let handles: Vec<_> = (0..THREADS)
                    .map(|t| {
                        let (l, barrier) = (&l, &barrier);
                        s.spawn(move || {
                            barrier.wait();
                            let start = Instant::now();
                            // The two threads write at different offsets.
                            let offset = t * (WRITE_EVERY / 2);
                            for i in 0..ops {
                                if (i + offset).is_multiple_of(WRITE_EVERY) {
                                    S::write(black_box(l));
                                } else {
                                    black_box(S::read(black_box(l)));
                                }
                            }
                            (start, Instant::now())
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            expected += (0..THREADS)
                .map(|t| {
                    let offset = t * (WRITE_EVERY / 2);
                    (0..ops)
                        .filter(|i| (i + offset).is_multiple_of(WRITE_EVERY))
                        .count() as u64
                })
                .sum::<u64>();
            let start = spans.iter().map(|s| s.0).min().unwrap();
            let end = spans.iter().map(|s| s.1).max().unwrap();
            end - start
        })
    });
    assert_eq!(S::value(&l), expected, "{name}: lost updates");
}

// ---------------------------------------------------------------------------
// Groups.
// ---------------------------------------------------------------------------

/// Runs `$run!($wrap<lock>, name)` for every async peer.
macro_rules! for_async_peers {
    ($run:ident, $wrap:ident) => {
        $run!($wrap<turnstile_sync::RwLock<u64>>, "turnstile");
        $run!($wrap<async_lock::RwLock<u64>>, "async-lock");
        $run!($wrap<tokio::sync::RwLock<u64>>, "tokio");
        $run!($wrap<maitake_sync::RwLock<u64>>, "maitake-sync");
        $run!($wrap<EmbassyRwLock<u64>>, "embassy-sync");
    };
}

fn configure(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
}

fn bench_uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("rwlock_uncontended_read");
    configure(&mut g);
    g.sample_size(30).throughput(Throughput::Elements(1));
    macro_rules! run {
        ($s:ty, $name:expr) => {
            uncontended_read::<$s>(&mut g, $name)
        };
    }
    for_async_peers!(run, PollOnce);
    run!(Std, "std");
    run!(TurnstileTry, "turnstile-try");
    run!(TurnstileBlocking, "turnstile-blocking");
    g.finish();

    let mut g = c.benchmark_group("rwlock_read_with_reader_inside");
    configure(&mut g);
    g.sample_size(30).throughput(Throughput::Elements(1));
    macro_rules! run {
        ($s:ty, $name:expr) => {
            read_with_reader_inside::<$s>(&mut g, $name)
        };
    }
    for_async_peers!(run, PollOnce);
    run!(Std, "std");
    run!(TurnstileTry, "turnstile-try");
    run!(TurnstileBlocking, "turnstile-blocking");
    g.finish();

    let mut g = c.benchmark_group("rwlock_uncontended_write");
    configure(&mut g);
    g.sample_size(30).throughput(Throughput::Elements(1));
    macro_rules! run {
        ($s:ty, $name:expr) => {
            uncontended_write::<$s>(&mut g, $name)
        };
    }
    for_async_peers!(run, PollOnce);
    run!(Std, "std");
    run!(TurnstileTry, "turnstile-try");
    run!(TurnstileBlocking, "turnstile-blocking");
    g.finish();
}

fn bench_two_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("rwlock_two_threads_95_5");
    configure(&mut g);
    g.sample_size(20)
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(THREADS * K));
    macro_rules! run {
        ($s:ty, $name:expr) => {
            two_threads_95_5::<$s>(&mut g, $name)
        };
    }
    for_async_peers!(run, BlockOn);
    run!(TurnstileBlocking, "turnstile-blocking");
    run!(Std, "std");
    g.finish();
}

criterion_group!(benches, bench_uncontended, bench_two_threads);
criterion_main!(benches);
