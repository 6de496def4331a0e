//! [`Semaphore`]: weighted, strictly FIFO, closable.
//!
//! # State word
//!
//! | bits  | name     | meaning                                                  |
//! |-------|----------|----------------------------------------------------------|
//! | 0     | `CLOSED` | [`Semaphore::close`] was called; final                   |
//! | 1     | `QUEUED` | the wait queue is not empty: newcomers must queue        |
//! | 2     | `WATCHED`| a `wait_available` future may be waiting (`watch`)       |
//! | 3..   | permits  | free permits, owned by nobody                            |
//!
//! Uncontended `acquire` is a load and one read-modify-write (permits down,
//! both flags clear), and a release a load and a `fetch_add`. The
//! read-modify-write is a compare-exchange on the value loaded, except for a
//! one-permit acquire on 64-bit targets, which subtracts its permit with a
//! `fetch_sub` once the load has shown it free and nobody queued: the
//! subtraction does not wait for the load's value as a compare-exchange
//! must (about 1 ns on x86-64). If the word it replaced
//! says the permit was not to be had after all (taken meanwhile, or
//! `QUEUED` or `CLOSED` set), it is given back at once with a `fetch_add`
//! that does a release's duties, and the acquire goes to its slow path.
//! In that moment the permit field may dip below zero, which counts as no
//! permit free. A release that finds
//! `QUEUED` set, in its load or in the word its `fetch_add` returns, takes
//! the queue's lock and *settles* the queue. In the first case its permits
//! never enter the word: the settle hands them straight to the waiters (they
//! are *in hand*), so while waiters queue, releases leave the word alone and
//! the cores that read it keep their copy of it.
//!
//! # The queue and settling
//!
//! Waiters wait in a [`DataQueue`] whose per-waiter word is the number of
//! permits the waiter still needs. Under the queue's lock, `QUEUED` is set
//! exactly when the queue is not empty: every critical section that changes
//! the queue ends by settling it, which
//!
//! 1. gives the permits in hand, then free permits, to the head waiter,
//!    moving free ones out of the word one compare-exchange at a time, and
//!    putting permits in hand that nobody can take now into the word with
//!    one `fetch_add`; a head that has all it needs is granted and
//!    the next one is served; a head that needs more keeps what it got (in
//!    its node) and stops the walk — the permits are *kept for it*, so a
//!    large request is never starved by a stream of small ones;
//! 2. sets `QUEUED` to whether anyone still waits, with a compare-exchange
//!    that fails, and sends it back to step 1, if permits were released (or
//!    the semaphore closed) since it looked: a releaser that saw `QUEUED`
//!    clear does not come to settle, so nothing is left in the word while a
//!    waiter could use it.
//!
//! Free permits stay in the word until they are given away, so the word
//! shows every free permit, short only of those a refused one-permit take
//! holds for the moment before it gives them back.
//!
//! A waiter that leaves the queue (its future dropped) gives back what it had
//! been given, in hand, and settles in the same critical section, so the
//! waiters behind a cancelled head are served at once. A closed semaphore
//! settles by finishing every waiter with `Closed`; such a waiter gives back
//! what it had been given when it sees that.
//!
//! # The total and the ceiling
//!
//! The queue's spare word ([`DataQueue::update_word`]) holds every permit
//! the semaphore has — free, set aside or held in guards — plus the
//! *headroom withheld* by a ceiling: `MAX_PERMITS - max` for
//! [`Semaphore::with_max`], 0 for [`Semaphore::new`]. Adding `n` permits
//! checks `n <= MAX_PERMITS - word`, which is then both the `MAX_PERMITS`
//! check and the ceiling's, so a ceiling costs no space and no extra work.
//! Forgetting permits (a forgotten guard's, or free ones through
//! [`Semaphore::forget_permits`]) takes them out of the word, making room.
//! The word is updated before the free count when permits are added and
//! after it when they are forgotten, so free <= total <= max always holds,
//! and the state word can never overflow.

use core::fmt;

#[cfg(feature = "alloc")]
use crate::shim::Arc;

// `Ordering::Acquire` is spelled out: the name `Acquire` is the future's here.
use crate::shim::{const_fn, AtomicUsize, Ordering::*};
use crate::wait::DataQueue;

mod error;
mod futures;
mod guard;
#[cfg(feature = "alloc")]
mod guard_arc;
mod raw;
mod watch;
pub use error::{Closed, TooManyPermits, TryAcquireError};
#[cfg(feature = "alloc")]
pub use futures::AcquireArc;
pub use futures::Acquire;
use futures::AcquireInner;
pub use guard::SemaphoreGuard;
#[cfg(feature = "alloc")]
pub use guard_arc::SemaphoreGuardArc;
pub use watch::WaitAvailable;
use watch::WATCHED;

const CLOSED: usize = 1;
const QUEUED: usize = 1 << 1;
const PERMIT_SHIFT: u32 = 3;

/// The free permits a state word shows. On 64-bit targets the permit field
/// is signed: a refused one-permit take (`Semaphore::take_now`) may leave it
/// below zero for a moment, which counts as none free. `MAX_PERMITS` leaves
/// the field's top bit clear, so no real count looks negative, and the dip
/// is at most one permit per thread in that moment.
#[inline(always)]
const fn free(state: usize) -> usize {
    #[cfg(target_pointer_width = "64")]
    {
        let permits = (state as isize) >> PERMIT_SHIFT;
        if permits < 0 {
            0
        } else {
            permits as usize
        }
    }
    #[cfg(not(target_pointer_width = "64"))]
    {
        state >> PERMIT_SHIFT
    }
}

/// Outcomes a waiter is finished with (see [`Locked::finish_head`](crate::wait::Locked::finish_head)).
const GRANTED: u8 = 0;
const SHUT: u8 = 1;

/// An async counting semaphore: at most N permits are out at a time, and a
/// request may take several at once (a weight: bytes, connections, slots).
///
/// Waiters are served in strict FIFO order, whatever their weight: while
/// anyone waits, new requests — [`acquire`](Self::acquire),
/// [`acquire_many`](Self::acquire_many) and the `try_` forms alike — take no
/// permits ahead of them, and permits released while the oldest waiter needs
/// more than are free are kept for it. So a request for many permits is never
/// starved by a stream of small ones. (The [`Mutex`](crate::Mutex) lets
/// newcomers barge, boundedly, for throughput; a semaphore is picked for
/// fairness between weights.)
///
/// A semaphore can be [closed](Self::close): every waiter then fails with
/// [`Closed`], and so does every later acquire; permits already handed out
/// still come back when their guards drop.
///
/// `const`, so it can be a `static`; in the bare tier it never allocates. In
/// the `std` tier it is two words, and its wait list is allocated the first
/// time a task has to wait.
///
/// # Interrupt handlers
///
/// The `try_acquire` forms, [`forget_permits`](Self::forget_permits) and
/// splitting or merging guards never take the wait list's lock. Releasing
/// permits (dropping a guard, [`add_permits`](Self::add_permits),
/// [`try_add_permits`](Self::try_add_permits)) and [`close`](Self::close)
/// take it when tasks wait, so they may run in an
/// interrupt handler only in a build with the `critical-section` feature and
/// without `std`: the lock is then a critical section. With `alloc` alone it
/// is a spin lock, and a handler that needs it while the code it interrupted
/// holds it spins forever; with `std` it is a `std::sync::Mutex`.
///
/// # Examples
///
/// At most two downloads at a time:
///
/// ```
/// use turnstile_sync::Semaphore;
///
/// static SLOTS: Semaphore = Semaphore::new(2);
///
/// async fn download(url: &str) -> usize {
///     let _permit = SLOTS.acquire().await.expect("never closed");
///     url.len() // ... the download, while holding a permit
/// }
///
/// # futures_lite::future::block_on(async {
/// assert_eq!(download("a").await, 1);
/// assert_eq!(SLOTS.available_permits(), 2);
/// # });
/// ```
pub struct Semaphore {
    state: AtomicUsize,
    queue: DataQueue,
}

impl Semaphore {
    /// The most permits a semaphore can have in all — free, set aside for a
    /// waiter, or held in guards: `usize::MAX >> 4` on 64-bit targets
    /// (2⁶⁰ − 1), `usize::MAX >> 3` on others (2²⁹ − 1 on 32-bit ones).
    /// Asking for more (in [`new`](Self::new),
    /// [`add_permits`](Self::add_permits) or
    /// [`acquire_many`](Self::acquire_many)) panics, because such a request
    /// could never be granted; the count is left as it was. A semaphore made
    /// with [`with_max`](Self::with_max) has a lower ceiling of its own.
    #[cfg(target_pointer_width = "64")]
    pub const MAX_PERMITS: usize = usize::MAX >> (PERMIT_SHIFT + 1);
    /// The most permits a semaphore can have in all — free, set aside for a
    /// waiter, or held in guards: `usize::MAX >> 4` on 64-bit targets
    /// (2⁶⁰ − 1), `usize::MAX >> 3` on others (2²⁹ − 1 on 32-bit ones).
    /// Asking for more (in [`new`](Self::new),
    /// [`add_permits`](Self::add_permits) or
    /// [`acquire_many`](Self::acquire_many)) panics, because such a request
    /// could never be granted; the count is left as it was. A semaphore made
    /// with [`with_max`](Self::with_max) has a lower ceiling of its own.
    #[cfg(not(target_pointer_width = "64"))]
    pub const MAX_PERMITS: usize = usize::MAX >> PERMIT_SHIFT;

    const_fn! {
        /// Creates a semaphore with `permits` free permits.
        ///
        /// # Panics
        ///
        /// If `permits` is more than [`MAX_PERMITS`](Self::MAX_PERMITS).
        ///
        /// # Examples
        ///
        /// ```
        /// static LIMIT: turnstile_sync::Semaphore = turnstile_sync::Semaphore::new(4);
        /// assert_eq!(LIMIT.available_permits(), 4);
        /// ```
        #[track_caller]
        pub const fn new(permits: usize) -> Self {
            assert!(
                permits <= Self::MAX_PERMITS,
                "turnstile-sync: Semaphore::new with more than Semaphore::MAX_PERMITS permits"
            );
            Self::with_max(permits, Self::MAX_PERMITS)
        }
    }

    const_fn! {
        /// Creates a semaphore with `permits` free permits that can never
        /// have more than `max` in all — free, set aside for a waiter, or
        /// held in guards: [`add_permits`](Self::add_permits) past it
        /// panics and [`try_add_permits`](Self::try_add_permits) fails, with
        /// the count left as it was. So guards that come back never leave
        /// more than `max` free. (The `maxCount` of @esfx/async-semaphore.)
        ///
        /// The ceiling costs nothing: a `with_max` semaphore is the same
        /// size as any other, and its checks are the
        /// [`MAX_PERMITS`](Self::MAX_PERMITS) checks every semaphore does.
        /// A request for more than `max` permits is not refused: it waits
        /// until the semaphore is closed, and then fails with [`Closed`].
        ///
        /// # Panics
        ///
        /// If `permits` is more than `max`, or `max` more than
        /// [`MAX_PERMITS`](Self::MAX_PERMITS).
        ///
        /// # Examples
        ///
        /// ```
        /// use turnstile_sync::{Semaphore, TooManyPermits};
        ///
        /// static POOL: Semaphore = Semaphore::with_max(2, 3);
        ///
        /// let guard = POOL.try_acquire_many(2).unwrap();
        /// POOL.add_permits(1); // 3 in all: 1 free, 2 held
        /// assert_eq!(POOL.try_add_permits(1), Err(TooManyPermits));
        /// drop(guard);
        /// assert_eq!(POOL.available_permits(), 3);
        /// ```
        #[track_caller]
        #[doc(alias = "maxCount")]
        pub const fn with_max(permits: usize, max: usize) -> Self {
            assert!(
                max <= Self::MAX_PERMITS,
                "turnstile-sync: Semaphore::with_max with a max above Semaphore::MAX_PERMITS"
            );
            assert!(
                permits <= max,
                "turnstile-sync: Semaphore::with_max with more permits than its max"
            );
            Self {
                state: AtomicUsize::new(permits << PERMIT_SHIFT),
                // The total plus the headroom withheld (see the module docs).
                queue: DataQueue::new(permits + (Self::MAX_PERMITS - max)),
            }
        }
    }

    /// The free permits: a snapshot, for diagnostics. Permits set aside for
    /// a waiter that needs more are not free.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = turnstile_sync::Semaphore::new(3);
    /// let guard = sem.try_acquire_many(2).unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// drop(guard);
    /// assert_eq!(sem.available_permits(), 3);
    /// ```
    #[inline]
    pub fn available_permits(&self) -> usize {
        // Relaxed: a snapshot; it orders nothing.
        free(self.state.load(Relaxed))
    }

    /// Adds `n` permits, serving waiters in FIFO order.
    ///
    /// # Panics
    ///
    /// If that would make more permits in all, counting those set aside for
    /// waiters and held in guards (when they come back, the semaphore would
    /// hold them all), than [`MAX_PERMITS`](Self::MAX_PERMITS) or the
    /// semaphore's own [maximum](Self::with_max); the count is left as it
    /// was. [`try_add_permits`](Self::try_add_permits) returns an error
    /// instead.
    ///
    /// With the panic of a served waiter's waker that panics, once every
    /// waiter the new permits serve has been served and woken; the permits
    /// are added regardless (see [Wakers](crate#wakers)).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = turnstile_sync::Semaphore::new(0);
    /// sem.add_permits(2);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        if let Err(room) = self.add_permits_within_max(n) {
            too_many_permits(n, room);
        }
    }

    /// Adds `n` permits, serving waiters in FIFO order, unless that would
    /// make more permits in all than the semaphore's maximum
    /// ([`MAX_PERMITS`](Self::MAX_PERMITS), or the one given to
    /// [`with_max`](Self::with_max)).
    ///
    /// # Errors
    ///
    /// [`TooManyPermits`] if the permits would not fit, counting those set
    /// aside for waiters and held in guards; the count is left as it was.
    ///
    /// # Panics
    ///
    /// With the panic of a served waiter's waker that panics, as
    /// [`add_permits`](Self::add_permits) does; the permits are added
    /// regardless.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{Semaphore, TooManyPermits};
    /// let sem = Semaphore::with_max(1, 2);
    /// assert_eq!(sem.try_add_permits(1), Ok(()));
    /// assert_eq!(sem.try_add_permits(1), Err(TooManyPermits));
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    pub fn try_add_permits(&self, n: usize) -> Result<(), TooManyPermits> {
        self.add_permits_within_max(n).map_err(|_| TooManyPermits)
    }

    /// [`try_add_permits`](Self::try_add_permits), with how many permits
    /// would have fitted as the error.
    fn add_permits_within_max(&self, n: usize) -> Result<(), usize> {
        // The total first (the check), then the free count: so free <= total
        // <= max always holds, and the state word can never overflow.
        self.queue
            .update_word(|total| (n <= Self::MAX_PERMITS - total).then(|| total + n))
            .map_err(|total| Self::MAX_PERMITS - total)?;
        self.release(n);
        Ok(())
    }

    /// Takes up to `n` free permits out of the semaphore for good, and
    /// returns how many it took: fewer than `n` if fewer are free. They no
    /// longer count toward [`MAX_PERMITS`](Self::MAX_PERMITS), as if held in
    /// a guard that was [forgotten](SemaphoreGuard::forget).
    ///
    /// Strict FIFO: while anyone waits, the permits in the semaphore are
    /// owed to the oldest waiter (released permits are on their way to it),
    /// so this takes none and returns 0 — as a
    /// [`try_acquire`](Self::try_acquire) would not jump the queue either.
    /// Permits set aside for a waiter are never taken. Works on a closed
    /// semaphore too.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = turnstile_sync::Semaphore::new(5);
    /// let guard = sem.try_acquire_many(2).unwrap();
    /// assert_eq!(sem.forget_permits(4), 3); // only 3 were free
    /// assert_eq!(sem.available_permits(), 0);
    /// drop(guard);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    pub fn forget_permits(&self, n: usize) -> usize {
        // Relaxed: a guess for the compare-exchange.
        let mut state = self.state.load(Relaxed);
        let taken = loop {
            let taken = free(state).min(n);
            if state & QUEUED != 0 || taken == 0 {
                return 0;
            }
            // Relaxed: the permits are thrown away, not used, so nothing a
            // releaser did needs to be seen; a read-modify-write continues
            // the releases' release sequence whatever its ordering, so the
            // next holder still synchronises with them. Relaxed on failure:
            // look again.
            match self.state.compare_exchange_weak(
                state,
                state - (taken << PERMIT_SHIFT),
                Relaxed,
                Relaxed,
            ) {
                Ok(_) => break taken,
                Err(now) => state = now,
            }
        };
        // The free count first, then the total (as `add_permits` does the
        // reverse): free <= total holds throughout.
        self.forget_held(taken);
        taken
    }

    /// Takes `n` permits, out of the word already (held by a guard, or just
    /// taken by [`forget_permits`](Self::forget_permits)), out of the total
    /// for good.
    fn forget_held(&self, n: usize) {
        // The permits are part of the total, so this cannot underflow.
        let _ = self.queue.update_word(|total| Some(total - n));
    }

    /// Closes the semaphore: every waiter fails with [`Closed`], and so does
    /// every later acquire. Guards already handed out are unaffected and
    /// still return their permits. Closing twice is harmless.
    ///
    /// If a waiter's waker panics, the panic propagates from here once every
    /// other waiter has been failed and woken; the semaphore is closed
    /// regardless (see [Wakers](crate#wakers)).
    ///
    /// Permits that had been set aside for a waiter that needed more come
    /// back when that waiter's future sees the failure (is polled) or is
    /// dropped; until then [`available_permits`](Self::available_permits)
    /// does not count them.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = turnstile_sync::Semaphore::new(1);
    /// sem.close();
    /// assert!(sem.is_closed());
    /// assert_eq!(sem.try_acquire().unwrap_err(), turnstile_sync::TryAcquireError::Closed);
    /// ```
    pub fn close(&self) {
        // Release: orders the close before the waiters' failure, which they
        // learn under the queue's lock. A waiter registering concurrently
        // either is in the queue when we settle below, or sees `CLOSED` when
        // it settles on registering (its settle re-reads the word before it
        // lets go of the lock).
        let state = self.state.fetch_or(CLOSED, Release);
        if state & (QUEUED | WATCHED) != 0 {
            self.release_slow(state, 0);
        }
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = turnstile_sync::Semaphore::new(1);
    /// assert!(!sem.is_closed());
    /// sem.close();
    /// assert!(sem.is_closed());
    /// ```
    #[inline]
    pub fn is_closed(&self) -> bool {
        // Relaxed: a flag that never changes back; nothing is read through it.
        self.state.load(Relaxed) & CLOSED != 0
    }

    /// Acquires one permit, waiting for it if none is free or others wait.
    /// Shorthand for [`acquire_many(1)`](Self::acquire_many).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future at any point is safe: it leaves the queue and
    /// gives back the permits that had been set aside for it, and the
    /// waiters behind it are served at once. A future that was granted its
    /// permits but dropped before it returned them gives them back too.
    ///
    /// # Fairness
    ///
    /// Strict FIFO: see [`Semaphore`].
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let sem = turnstile_sync::Semaphore::new(1);
    /// let permit = sem.acquire().await.unwrap();
    /// assert_eq!(permit.permits(), 1);
    /// # });
    /// ```
    #[inline]
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Acquires `n` permits at once, waiting until that many are free and
    /// everyone who asked earlier has been served. `acquire_many(0)` is
    /// ready at once (unless the semaphore is closed).
    ///
    /// # Panics
    ///
    /// If `n` is more than [`MAX_PERMITS`](Self::MAX_PERMITS): such a
    /// request could never be granted.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Self::acquire): nothing set aside for a dropped
    /// future is stranded.
    ///
    /// # Fairness
    ///
    /// Strict FIFO across weights: see [`Semaphore`].
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let buffer = turnstile_sync::Semaphore::new(1024); // bytes
    /// let chunk = buffer.acquire_many(600).await.unwrap();
    /// assert_eq!(buffer.available_permits(), 424);
    /// drop(chunk);
    /// # });
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire_many(&self, n: usize) -> Acquire<'_> {
        Acquire(AcquireInner::new(self, n))
    }

    /// Acquires one permit if one is free and nobody waits.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::Closed`] if the semaphore is closed;
    /// [`TryAcquireError::NoPermits`] if no permit is free or others wait
    /// (strict FIFO: a `try_acquire` does not jump the queue).
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{Semaphore, TryAcquireError};
    /// let sem = Semaphore::new(1);
    /// let permit = sem.try_acquire().unwrap();
    /// assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    /// drop(permit);
    /// assert!(sem.try_acquire().is_ok());
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<SemaphoreGuard<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Acquires `n` permits if that many are free and nobody waits.
    ///
    /// # Errors
    ///
    /// As for [`try_acquire`](Self::try_acquire).
    ///
    /// # Panics
    ///
    /// If `n` is more than [`MAX_PERMITS`](Self::MAX_PERMITS).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = turnstile_sync::Semaphore::new(3);
    /// assert!(sem.try_acquire_many(4).is_err());
    /// assert_eq!(sem.try_acquire_many(3).unwrap().permits(), 3);
    /// ```
    #[inline]
    #[track_caller]
    pub fn try_acquire_many(&self, n: usize) -> Result<SemaphoreGuard<'_>, TryAcquireError> {
        check_request(n);
        self.try_take(n)?;
        Ok(SemaphoreGuard::new(self, n))
    }

    /// Blocks the current thread until one permit is acquired. For code on
    /// plain threads; in async code use [`acquire`](Self::acquire). Threads
    /// and tasks wait in the same FIFO queue.
    ///
    /// # Errors
    ///
    /// [`Closed`] if the semaphore is or becomes closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = std::sync::Arc::new(turnstile_sync::Semaphore::new(1));
    /// let s = sem.clone();
    /// std::thread::spawn(move || drop(s.acquire_blocking().unwrap())).join().unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn acquire_blocking(&self) -> Result<SemaphoreGuard<'_>, Closed> {
        self.acquire_many_blocking(1)
    }

    /// Blocks the current thread until `n` permits are acquired; see
    /// [`acquire_many`](Self::acquire_many).
    ///
    /// # Errors
    ///
    /// [`Closed`] if the semaphore is or becomes closed.
    ///
    /// # Panics
    ///
    /// If `n` is more than [`MAX_PERMITS`](Self::MAX_PERMITS).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = turnstile_sync::Semaphore::new(5);
    /// assert_eq!(sem.acquire_many_blocking(5).unwrap().permits(), 5);
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    #[track_caller]
    pub fn acquire_many_blocking(&self, n: usize) -> Result<SemaphoreGuard<'_>, Closed> {
        check_request(n);
        // The uncontended case needs no waker: skip setting up the parking.
        match self.try_take(n) {
            Ok(()) => Ok(SemaphoreGuard::new(self, n)),
            Err(TryAcquireError::Closed) => Err(Closed),
            Err(TryAcquireError::NoPermits) => crate::wait::block::block_on(self.acquire_many(n)),
        }
    }
}

#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
impl Semaphore {
    crate::shim::arc_methods! {
    /// Like [`acquire`](Self::acquire), but the future and the guard hold an
    /// `Arc` of the semaphore, so they are `'static` (for spawned tasks).
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Self::acquire).
    ///
    /// # Fairness
    ///
    /// Strict FIFO: see [`Semaphore`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// # futures_lite::future::block_on(async {
    /// let sem = Arc::new(turnstile_sync::Semaphore::new(1));
    /// let permit: turnstile_sync::SemaphoreGuardArc = sem.acquire_arc().await.unwrap();
    /// assert_eq!(sem.available_permits(), 0);
    /// drop(permit);
    /// # });
    /// ```
    #[inline]
    #[doc(alias = "acquire_owned")]
    pub fn acquire_arc(this: &Arc<Self>) -> AcquireArc {
        Self::acquire_many_arc(this, 1)
    }

    /// Like [`acquire_many`](Self::acquire_many), holding an `Arc`.
    ///
    /// # Panics
    ///
    /// If `n` is more than [`MAX_PERMITS`](Self::MAX_PERMITS).
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Self::acquire).
    ///
    /// # Fairness
    ///
    /// Strict FIFO across weights: see [`Semaphore`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// # futures_lite::future::block_on(async {
    /// let sem = Arc::new(turnstile_sync::Semaphore::new(4));
    /// let permits = sem.acquire_many_arc(3).await.unwrap();
    /// assert_eq!(permits.permits(), 3);
    /// # });
    /// ```
    #[inline]
    #[track_caller]
    #[doc(alias = "acquire_many_owned")]
    pub fn acquire_many_arc(this: &Arc<Self>, n: usize) -> AcquireArc {
        AcquireArc(AcquireInner::new(this.clone(), n))
    }

    /// Like [`try_acquire`](Self::try_acquire), holding an `Arc`.
    ///
    /// # Errors
    ///
    /// As for [`try_acquire`](Self::try_acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(turnstile_sync::Semaphore::new(1));
    /// let permit = sem.try_acquire_arc().unwrap();
    /// assert!(sem.try_acquire_arc().is_err());
    /// ```
    #[inline]
    #[doc(alias = "try_acquire_owned")]
    pub fn try_acquire_arc(this: &Arc<Self>) -> Result<SemaphoreGuardArc, TryAcquireError> {
        Self::try_acquire_many_arc(this, 1)
    }

    /// Like [`try_acquire_many`](Self::try_acquire_many), holding an `Arc`.
    ///
    /// # Errors
    ///
    /// As for [`try_acquire`](Self::try_acquire).
    ///
    /// # Panics
    ///
    /// If `n` is more than [`MAX_PERMITS`](Self::MAX_PERMITS).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(turnstile_sync::Semaphore::new(2));
    /// assert_eq!(sem.try_acquire_many_arc(2).unwrap().permits(), 2);
    /// ```
    #[inline]
    #[track_caller]
    #[doc(alias = "try_acquire_many_owned")]
    pub fn try_acquire_many_arc(
        this: &Arc<Self>,
        n: usize,
    ) -> Result<SemaphoreGuardArc, TryAcquireError> {
        check_request(n);
        this.try_take(n)?;
        Ok(SemaphoreGuardArc::new(this.clone(), n))
    }

    /// Like [`acquire_blocking`](Self::acquire_blocking), holding an `Arc`:
    /// the guard is `'static`, for other threads.
    ///
    /// # Errors
    ///
    /// [`Closed`] if the semaphore is or becomes closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(turnstile_sync::Semaphore::new(1));
    /// let permit = sem.acquire_arc_blocking().unwrap();
    /// std::thread::spawn(move || drop(permit)).join().unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn acquire_arc_blocking(this: &Arc<Self>) -> Result<SemaphoreGuardArc, Closed> {
        Self::acquire_many_arc_blocking(this, 1)
    }

    /// Like [`acquire_many_blocking`](Self::acquire_many_blocking), holding
    /// an `Arc`.
    ///
    /// # Errors
    ///
    /// [`Closed`] if the semaphore is or becomes closed.
    ///
    /// # Panics
    ///
    /// If `n` is more than [`MAX_PERMITS`](Self::MAX_PERMITS).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(turnstile_sync::Semaphore::new(3));
    /// let s = sem.clone();
    /// let permits = std::thread::spawn(move || s.acquire_many_arc_blocking(3).unwrap())
    ///     .join()
    ///     .unwrap();
    /// assert_eq!((permits.permits(), sem.available_permits()), (3, 0));
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    #[track_caller]
    pub fn acquire_many_arc_blocking(
        this: &Arc<Self>,
        n: usize,
    ) -> Result<SemaphoreGuardArc, Closed> {
        check_request(n);
        // The uncontended case needs no waker: skip setting up the parking.
        match this.try_take(n) {
            Ok(()) => Ok(SemaphoreGuardArc::new(this.clone(), n)),
            Err(TryAcquireError::Closed) => Err(Closed),
            Err(TryAcquireError::NoPermits) => {
                crate::wait::block::block_on(Self::acquire_many_arc(this, n))
            }
        }
    }
    }
}



#[track_caller]
#[inline]
fn check_request(n: usize) {
    if n > Semaphore::MAX_PERMITS {
        request_too_large(n);
    }
}

#[cold]
#[track_caller]
fn too_many_permits(n: usize, room: usize) -> ! {
    panic!(
        "turnstile-sync: Semaphore::add_permits({n}) exceeds the semaphore's maximum \
         (Semaphore::MAX_PERMITS, or the max given to Semaphore::with_max), counting permits free, \
         waited for and held in guards: only {room} more fit; the count is left as it was (use \
         try_add_permits to handle this)"
    );
}

#[cold]
#[track_caller]
fn merge_mismatch(guard: &str) -> ! {
    panic!(
        "turnstile-sync: {guard}::merge of a guard from another semaphore; merge only guards of \
         the same semaphore ({guard}::source tells them apart)"
    );
}

#[cold]
#[track_caller]
fn request_too_large(n: usize) -> ! {
    panic!(
        "turnstile-sync: a request for {n} permits exceeds Semaphore::MAX_PERMITS and could never \
         be granted"
    );
}

impl Default for Semaphore {
    /// A semaphore with no permits (add them with
    /// [`add_permits`](Semaphore::add_permits)).
    fn default() -> Self {
        Self::new(0)
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Relaxed: a snapshot for display.
        let state = self.state.load(Relaxed);
        f.debug_struct("Semaphore")
            .field("available_permits", &free(state))
            .field("waiters", &(state & QUEUED != 0))
            .field("closed", &(state & CLOSED != 0))
            .finish()
    }
}
