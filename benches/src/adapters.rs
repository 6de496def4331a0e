//! Thin adapters: one trait per primitive shape, one short impl per crate.
//!
//! Adding a peer is an impl here plus one line in the matching `*_peers!`
//! macro of [`crate::rows`]; adding a primitive is a trait here, a workload
//! in [`crate::workloads`] and a row in [`crate::rows`].

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};

use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex as EmbassyRaw;
use embassy_sync::semaphore::Semaphore as _;

// ---------------------------------------------------------------------------
// Mutex
// ---------------------------------------------------------------------------

/// An async mutex around a `u64`.
pub trait AsyncMutex: Send + Sync + 'static {
    /// The guard the lock future resolves to.
    type Guard<'a>: DerefMut<Target = u64> + Send
    where
        Self: 'a;
    /// A mutex holding `v`.
    fn create(v: u64) -> Self;
    /// The mutex's own lock future, as is.
    fn acquire(&self) -> impl Future<Output = Self::Guard<'_>> + Send;
}

macro_rules! async_mutex {
    ($ty:ty, $guard:ty, $new:expr) => {
        impl AsyncMutex for $ty {
            type Guard<'a> = $guard;
            fn create(v: u64) -> Self {
                $new(v)
            }
            #[inline]
            fn acquire(&self) -> impl Future<Output = Self::Guard<'_>> + Send {
                self.lock()
            }
        }
    };
}

async_mutex!(
    turnstile_sync::Mutex<u64>,
    turnstile_sync::MutexGuard<'a, u64>,
    turnstile_sync::Mutex::new
);
async_mutex!(
    async_lock::Mutex<u64>,
    async_lock::MutexGuard<'a, u64>,
    async_lock::Mutex::new
);
async_mutex!(
    tokio::sync::Mutex<u64>,
    tokio::sync::MutexGuard<'a, u64>,
    tokio::sync::Mutex::new
);
async_mutex!(
    futures::lock::Mutex<u64>,
    futures::lock::MutexGuard<'a, u64>,
    futures::lock::Mutex::new
);
/// embassy-sync's mutex; `CriticalSectionRawMutex` because it is `Sync`
/// (with critical-section's `std` feature that is one global std mutex).
pub type EmbassyMutex = embassy_sync::mutex::Mutex<EmbassyRaw, u64>;
async_mutex!(
    EmbassyMutex,
    embassy_sync::mutex::MutexGuard<'a, EmbassyRaw, u64>,
    EmbassyMutex::new
);
// maitake-sync with its default features: its wait-list lock is a spinlock.
async_mutex!(
    maitake_sync::Mutex<u64>,
    maitake_sync::MutexGuard<'a, u64>,
    maitake_sync::Mutex::new
);
// `false`: the unfair (fast) mode.
async_mutex!(
    futures_intrusive::sync::Mutex<u64>,
    futures_intrusive::sync::MutexGuard<'a, u64>,
    |v| futures_intrusive::sync::Mutex::new(v, false)
);

/// A lock used from plain threads: lock, run `f` on the value, unlock.
pub trait BlockingLock: Send + Sync + 'static {
    /// A lock holding 0.
    fn create() -> Self;
    /// Lock (blocking the thread), run `f`, unlock.
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R;
}

/// An async mutex driven by `futures_lite::future::block_on(m.lock())`.
pub struct BlockOn<M>(pub M);

impl<M: AsyncMutex> BlockingLock for BlockOn<M> {
    fn create() -> Self {
        BlockOn(M::create(0))
    }
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut futures_lite::future::block_on(self.0.acquire()))
    }
}

/// `turnstile_sync::Mutex::lock_blocking`.
pub struct TurnstileBlocking(pub turnstile_sync::Mutex<u64>);

impl BlockingLock for TurnstileBlocking {
    fn create() -> Self {
        TurnstileBlocking(turnstile_sync::Mutex::new(0))
    }
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.0.lock_blocking())
    }
}

/// `turnstile_sync::Mutex::try_lock`, which must succeed (uncontended rows only).
pub struct TurnstileTryLock(pub turnstile_sync::Mutex<u64>);

impl BlockingLock for TurnstileTryLock {
    fn create() -> Self {
        TurnstileTryLock(turnstile_sync::Mutex::new(0))
    }
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.0.try_lock().expect("uncontended try_lock failed"))
    }
}

impl BlockingLock for std::sync::Mutex<u64> {
    fn create() -> Self {
        std::sync::Mutex::new(0)
    }
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
        f(&mut self.lock().unwrap())
    }
}

// ---------------------------------------------------------------------------
// RwLock
// ---------------------------------------------------------------------------

/// An async reader-writer lock around a `u64`.
pub trait AsyncRwLock: Send + Sync + 'static {
    /// Read guard.
    type R<'a>: Deref<Target = u64>
    where
        Self: 'a;
    /// Write guard.
    type W<'a>: DerefMut<Target = u64>
    where
        Self: 'a;
    /// A lock holding `v`.
    fn create(v: u64) -> Self;
    /// The lock's own read future.
    fn read(&self) -> impl Future<Output = Self::R<'_>>;
    /// The lock's own write future.
    fn write(&self) -> impl Future<Output = Self::W<'_>>;
}

macro_rules! async_rwlock {
    ($ty:ty, $r:ty, $w:ty, $new:expr) => {
        impl AsyncRwLock for $ty {
            type R<'a> = $r;
            type W<'a> = $w;
            fn create(v: u64) -> Self {
                $new(v)
            }
            #[inline]
            fn read(&self) -> impl Future<Output = Self::R<'_>> {
                <$ty>::read(self)
            }
            #[inline]
            fn write(&self) -> impl Future<Output = Self::W<'_>> {
                <$ty>::write(self)
            }
        }
    };
}

async_rwlock!(
    turnstile_sync::RwLock<u64>,
    turnstile_sync::RwLockReadGuard<'a, u64>,
    turnstile_sync::RwLockWriteGuard<'a, u64>,
    turnstile_sync::RwLock::new
);
async_rwlock!(
    async_lock::RwLock<u64>,
    async_lock::RwLockReadGuard<'a, u64>,
    async_lock::RwLockWriteGuard<'a, u64>,
    async_lock::RwLock::new
);
async_rwlock!(
    tokio::sync::RwLock<u64>,
    tokio::sync::RwLockReadGuard<'a, u64>,
    tokio::sync::RwLockWriteGuard<'a, u64>,
    tokio::sync::RwLock::new
);
async_rwlock!(
    maitake_sync::RwLock<u64>,
    maitake_sync::rwlock::RwLockReadGuard<'a, u64>,
    maitake_sync::rwlock::RwLockWriteGuard<'a, u64>,
    maitake_sync::RwLock::new
);
/// embassy-sync's reader-writer lock.
pub type EmbassyRwLock = embassy_sync::rwlock::RwLock<EmbassyRaw, u64>;
async_rwlock!(
    EmbassyRwLock,
    embassy_sync::rwlock::RwLockReadGuard<'a, EmbassyRaw, u64>,
    embassy_sync::rwlock::RwLockWriteGuard<'a, EmbassyRaw, u64>,
    EmbassyRwLock::new
);

/// A reader-writer lock used from plain threads.
pub trait BlockingRwLock: Send + Sync + 'static {
    /// A lock holding 0.
    fn create() -> Self;
    /// Read the value under a read lock.
    fn read(&self) -> u64;
    /// Increment the value under a write lock.
    fn write(&self);
    /// The value (outside timing).
    fn value(&self) -> u64 {
        self.read()
    }
}

impl<L: AsyncRwLock> BlockingRwLock for BlockOn<L> {
    fn create() -> Self {
        BlockOn(L::create(0))
    }
    #[inline]
    fn read(&self) -> u64 {
        *futures_lite::future::block_on(self.0.read())
    }
    #[inline]
    fn write(&self) {
        *futures_lite::future::block_on(self.0.write()) += 1;
    }
}

/// `turnstile_sync::RwLock`'s `read_blocking` / `write_blocking`.
pub struct TurnstileRwBlocking(pub turnstile_sync::RwLock<u64>);

impl BlockingRwLock for TurnstileRwBlocking {
    fn create() -> Self {
        TurnstileRwBlocking(turnstile_sync::RwLock::new(0))
    }
    #[inline]
    fn read(&self) -> u64 {
        *self.0.read_blocking()
    }
    #[inline]
    fn write(&self) {
        *self.0.write_blocking() += 1;
    }
}

impl BlockingRwLock for std::sync::RwLock<u64> {
    fn create() -> Self {
        std::sync::RwLock::new(0)
    }
    #[inline]
    fn read(&self) -> u64 {
        *std::sync::RwLock::read(self).unwrap()
    }
    #[inline]
    fn write(&self) {
        *std::sync::RwLock::write(self).unwrap() += 1;
    }
}

// ---------------------------------------------------------------------------
// Semaphore
// ---------------------------------------------------------------------------

/// An async counting semaphore.
pub trait AsyncSemaphore: Send + Sync + 'static {
    /// What the acquire future resolves to (dropping it gives the permits back).
    type Out<'a>: Send
    where
        Self: 'a;
    /// Whether `acquire_n` takes any `n` (else only 1).
    const WEIGHTED: bool;
    /// A semaphore of `permits`.
    fn create(permits: usize) -> Self;
    /// Acquire `n` permits.
    fn acquire_n(&self, n: usize) -> impl Future<Output = Self::Out<'_>> + Send;
    /// Whether `out` is a grant (not an error).
    fn granted(out: &Self::Out<'_>) -> bool;
    /// Whether all `permits` are free (outside timing).
    fn all_free(&self, permits: usize) -> bool;
}

macro_rules! async_semaphore {
    ($ty:ty, $out:ty, weighted: $w:expr,
     |$s:ident, $n:ident, $o:ident| acquire: $acq:expr, granted: $ok:expr, all_free: $free:expr) => {
        impl AsyncSemaphore for $ty {
            type Out<'a> = $out;
            const WEIGHTED: bool = $w;
            fn create(permits: usize) -> Self {
                <$ty>::new(permits)
            }
            #[inline]
            fn acquire_n(&self, $n: usize) -> impl Future<Output = Self::Out<'_>> + Send {
                let $s = self;
                $acq
            }
            #[inline]
            #[allow(unused_variables)]
            fn granted($o: &Self::Out<'_>) -> bool {
                $ok
            }
            fn all_free(&self, $n: usize) -> bool {
                let $s = self;
                $free
            }
        }
    };
}

async_semaphore!(
    turnstile_sync::Semaphore,
    Result<turnstile_sync::SemaphoreGuard<'a>, turnstile_sync::Closed>,
    weighted: true,
    |s, n, o| acquire: s.acquire_many(n), granted: o.is_ok(), all_free: s.try_acquire_many(n).is_ok()
);
async_semaphore!(
    tokio::sync::Semaphore,
    Result<tokio::sync::SemaphorePermit<'a>, tokio::sync::AcquireError>,
    weighted: true,
    |s, n, o| acquire: s.acquire_many(n as u32), granted: o.is_ok(),
    all_free: s.try_acquire_many(n as u32).is_ok()
);
async_semaphore!(
    async_lock::Semaphore,
    async_lock::SemaphoreGuard<'a>,
    weighted: false,
    |s, n, o| acquire: {
        debug_assert_eq!(n, 1, "async-lock's semaphore takes no weights");
        s.acquire()
    },
    granted: true,
    all_free: (0..n).map_while(|_| s.try_acquire()).collect::<Vec<_>>().len() == n
);
/// embassy-sync's `GreedySemaphore`: not FIFO, one waker slot.
pub type EmbassyGreedy = embassy_sync::semaphore::GreedySemaphore<EmbassyRaw>;
/// embassy-sync's `FairSemaphore` (FIFO) with room for 64 waiters.
pub type EmbassyFair = embassy_sync::semaphore::FairSemaphore<EmbassyRaw, 64>;
async_semaphore!(
    EmbassyGreedy,
    Result<embassy_sync::semaphore::SemaphoreReleaser<'a, Self>, core::convert::Infallible>,
    weighted: true,
    |s, n, o| acquire: s.acquire(n), granted: o.is_ok(), all_free: s.try_acquire(n).is_some()
);
async_semaphore!(
    EmbassyFair,
    Result<embassy_sync::semaphore::SemaphoreReleaser<'a, Self>, embassy_sync::semaphore::WaitQueueFull>,
    weighted: true,
    |s, n, o| acquire: s.acquire(n), granted: o.is_ok(), all_free: s.try_acquire(n).is_some()
);
async_semaphore!(
    maitake_sync::Semaphore,
    maitake_sync::WaitResult<maitake_sync::semaphore::Permit<'a>>,
    weighted: true,
    |s, n, o| acquire: s.acquire(n), granted: o.is_ok(), all_free: s.try_acquire(n).is_ok()
);

/// futures-intrusive's semaphore; `FAIR` is its `is_fair` flag (`true`:
/// FIFO; `false`: a woken waiter can be overtaken).
pub struct FuturesIntrusiveSem<const FAIR: bool>(pub futures_intrusive::sync::Semaphore);

impl<const FAIR: bool> AsyncSemaphore for FuturesIntrusiveSem<FAIR> {
    type Out<'a> = futures_intrusive::sync::SemaphoreReleaser<'a>;
    const WEIGHTED: bool = true;
    fn create(permits: usize) -> Self {
        FuturesIntrusiveSem(futures_intrusive::sync::Semaphore::new(FAIR, permits))
    }
    #[inline]
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
// Barrier
// ---------------------------------------------------------------------------

/// An async barrier: `wait` resolves to "was I the leader".
pub trait AsyncBarrier: Send + Sync + 'static {
    /// A barrier for `n` parties.
    fn create(n: usize) -> Self;
    /// Wait for the generation; `true` for its one leader.
    fn wait_leader(&self) -> impl Future<Output = bool> + Send;
}

macro_rules! async_barrier {
    ($ty:ty) => {
        impl AsyncBarrier for $ty {
            fn create(n: usize) -> Self {
                <$ty>::new(n)
            }
            async fn wait_leader(&self) -> bool {
                self.wait().await.is_leader()
            }
        }
    };
}

async_barrier!(turnstile_sync::Barrier);
async_barrier!(tokio::sync::Barrier);
async_barrier!(async_lock::Barrier);

// ---------------------------------------------------------------------------
// Notify ("signal": notify wakes one waiter or is kept for the next wait)
// ---------------------------------------------------------------------------

/// A single-permit signal: `notify` wakes one waiter, or, if none waits,
/// is kept so that the next `wait` completes at once.
pub trait Signal: Send + Sync + 'static {
    /// A signal with no stored permit.
    fn create() -> Self;
    /// Wake one waiter or store the permit.
    fn notify(&self);
    /// Wait for (and consume) a notification.
    fn wait(&self) -> impl Future<Output = ()> + Send + '_;
}

impl Signal for turnstile_sync::Notify {
    fn create() -> Self {
        turnstile_sync::Notify::new()
    }
    #[inline]
    fn notify(&self) {
        self.notify_one();
    }
    #[inline]
    fn wait(&self) -> impl Future<Output = ()> + Send + '_ {
        self.notified()
    }
}

impl Signal for tokio::sync::Notify {
    fn create() -> Self {
        tokio::sync::Notify::new()
    }
    #[inline]
    fn notify(&self) {
        self.notify_one();
    }
    #[inline]
    fn wait(&self) -> impl Future<Output = ()> + Send + '_ {
        self.notified()
    }
}

/// event-listener's `Event` keeps no permit, so it is paired with an
/// `AtomicBool`, the usual way (check, listen, check again, await).
pub struct EventSignal {
    permit: AtomicBool,
    event: event_listener::Event,
}

impl EventSignal {
    #[inline]
    fn take(&self) -> bool {
        self.permit.swap(false, Ordering::Acquire)
    }
}

impl Signal for EventSignal {
    fn create() -> Self {
        EventSignal {
            permit: AtomicBool::new(false),
            event: event_listener::Event::new(),
        }
    }
    #[inline]
    fn notify(&self) {
        self.permit.store(true, Ordering::Release);
        self.event.notify(1);
    }
    async fn wait(&self) {
        loop {
            if self.take() {
                return;
            }
            let listener = self.event.listen();
            if self.take() {
                return;
            }
            listener.await;
        }
    }
}

/// maitake-sync's `WaitQueue`: `wake` wakes one waiter or stores the
/// wake-up for the next `wait`, which is `notify_one`'s contract.
impl Signal for maitake_sync::WaitQueue {
    fn create() -> Self {
        maitake_sync::WaitQueue::new()
    }
    #[inline]
    fn notify(&self) {
        self.wake();
    }
    async fn wait(&self) {
        maitake_sync::WaitQueue::wait(self)
            .await
            .expect("queue closed");
    }
}

/// embassy-sync's `Signal<_, ()>`: one stored value, one waiter at a time
/// (enough for the rows that use it: each signal has one waiter).
pub type EmbassySignal = embassy_sync::signal::Signal<EmbassyRaw, ()>;

impl Signal for EmbassySignal {
    fn create() -> Self {
        EmbassySignal::new()
    }
    #[inline]
    fn notify(&self) {
        self.signal(());
    }
    #[inline]
    fn wait(&self) -> impl Future<Output = ()> + Send + '_ {
        EmbassySignal::wait(self)
    }
}

// ---------------------------------------------------------------------------
// Condvar (plain threads: std has the only genuine peer)
// ---------------------------------------------------------------------------

/// A mutex + condition variable pair used from plain threads.
pub trait BlockingCondvar: Send + Sync + 'static {
    /// A pair around 0.
    fn create() -> Self;
    /// Lock; wait on the condvar while `!ready(value)`; run `then`;
    /// `notify_one`; unlock.
    fn wait_then(&self, ready: impl Fn(u64) -> bool, then: impl FnOnce(&mut u64));
}

impl BlockingCondvar for (turnstile_sync::Mutex<u64>, turnstile_sync::Condvar) {
    fn create() -> Self {
        (
            turnstile_sync::Mutex::new(0),
            turnstile_sync::Condvar::new(),
        )
    }
    #[inline]
    fn wait_then(&self, ready: impl Fn(u64) -> bool, then: impl FnOnce(&mut u64)) {
        let mut g = self.0.lock_blocking();
        while !ready(*g) {
            g = self.1.wait_blocking(g);
        }
        then(&mut g);
        self.1.notify_one();
    }
}

impl BlockingCondvar for (std::sync::Mutex<u64>, std::sync::Condvar) {
    fn create() -> Self {
        (std::sync::Mutex::new(0), std::sync::Condvar::new())
    }
    #[inline]
    fn wait_then(&self, ready: impl Fn(u64) -> bool, then: impl FnOnce(&mut u64)) {
        let mut g = self.0.lock().unwrap();
        while !ready(*g) {
            g = self.1.wait(g).unwrap();
        }
        then(&mut g);
        self.1.notify_one();
    }
}
