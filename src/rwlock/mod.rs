//! [`RwLock`]: an async reader-writer lock with upgradable reads and fair
//! phases, for every tier.

mod raw;
mod timeout;
mod watch;

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll};

#[cfg(feature = "alloc")]
use crate::shim::Arc;

use crate::shim::{const_fn, UnsafeCell};
use raw::{kind, Acquire, RawRwLock};
pub use timeout::UpgradeTimeout;
pub use watch::WaitWriteUnlocked;
#[cfg(feature = "alloc")]
pub use timeout::UpgradeTimeoutArc;

/// An async reader-writer lock: many readers or one writer, plus at most one
/// *upgradable* reader that reads alongside the plain readers and can later
/// become the writer without letting another writer in first.
///
/// Like [`std::sync::RwLock`], but every acquire is a future that suspends
/// the task instead of blocking the thread, and the guards may be held across
/// `.await`. It works the same in every tier: `const`-constructible for a
/// `static`, no heap in the bare tier, blocking variants with `std`,
/// `Arc`-owned guards with `alloc`. Uncontended, a read or a write is one
/// atomic read-modify-write to acquire and one to release; so is a read while
/// other readers are inside.
///
/// # Fairness: phases
///
/// - Once a writer is queued, new readers (and new upgradable readers) queue
///   behind it, so a stream of overlapping readers cannot starve a writer:
///   the readers inside drain and the writer goes next. This holds whatever
///   wakes a queued reader: the release of the upgradable lock, for one, wakes
///   the readers queued behind it, and those that queued after a writer wait
///   for that writer.
/// - When a writer releases the lock (unlocks it, or downgrades), every
///   reader queued at that moment is let in together, before the next writer,
///   queued or new: a *read phase*, which lasts while any of them is inside.
///   So a stream of writers cannot starve queued readers either. A reader of
///   the phase whose turn comes only after it ended (its companions came and
///   went before its task was polled; or an upgradable reader, as those go
///   in one at a time) waits behind the queued writers and goes in with the
///   next phase. Readers that queue during a phase, behind a writer, are not
///   part of it.
/// - An upgrade goes before queued writers (they wait for the upgradable
///   lock it holds). Its write guard's release, while a writer is queued,
///   lets that writer in next, before the readers that queued meanwhile: so
///   tasks that take the upgradable lock and upgrade it in turn cannot starve
///   a writer either.
/// - Writers are served in the order they queued.
///
/// The consequence, as with tokio's lock: **a task that already holds a read
/// guard and asks for a second read while a writer is queued deadlocks
/// itself** — the second read waits for the writer, which waits for the first
/// read guard to go. Don't take a read lock twice in one task; pass the guard
/// down instead.
///
/// ```no_run
/// # futures_lite::future::block_on(async {
/// # let lock = turnstile_sync::RwLock::new(0);
/// let first = lock.read().await;
/// // ...another task calls `lock.write()` here and queues...
/// let second = lock.read().await; // never completes
/// # });
/// ```
///
/// # Examples
///
/// ```
/// use turnstile_sync::RwLock;
///
/// static CONFIG: RwLock<u32> = RwLock::new(1);
///
/// # futures_lite::future::block_on(async {
/// {
///     let a = CONFIG.read().await;
///     let b = CONFIG.read().await; // readers share the lock
///     assert_eq!(*a + *b, 2);
/// }
/// *CONFIG.write().await += 1;
/// assert_eq!(*CONFIG.read().await, 2);
/// # });
/// ```
pub struct RwLock<T: ?Sized> {
    raw: RawRwLock,
    data: UnsafeCell<T>,
}

// SAFETY: a `&RwLock<T>` hands out `&mut T` to one writer at a time (moving
// `T` between threads: `T: Send`) and `&T` to many readers at once on
// different threads (`T: Sync`). The state word's Acquire/Release
// operations order every writer's critical section against every other
// critical section.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    const_fn! {
        /// Creates an unlocked lock holding `value`. `const`, so it can
        /// initialise a `static`.
        ///
        /// # Examples
        ///
        /// ```
        /// static LOCK: turnstile_sync::RwLock<Vec<u8>> = turnstile_sync::RwLock::new(Vec::new());
        /// ```
        pub const fn new(value: T) -> Self {
            Self {
                raw: RawRwLock::new(),
                data: UnsafeCell::new(value),
            }
        }
    }

    /// Consumes the lock and returns the value.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = turnstile_sync::RwLock::new(7);
    /// assert_eq!(lock.into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Acquires a read lock, waiting while a writer holds the lock or is
    /// queued for it.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future at any point is safe: it leaves the queue, and
    /// nothing it was part of (a batch of readers let in by a writer's
    /// release) waits for it.
    ///
    /// # Fairness
    ///
    /// A new reader queues behind a queued writer, and stays behind it
    /// whatever wakes it; a reader that was queued when a writer released
    /// goes in before the next writer (in that release's read phase). See
    /// [`RwLock`], and its warning about reading twice in one task.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let lock = turnstile_sync::RwLock::new(1);
    /// let (a, b) = (lock.read().await, lock.read().await);
    /// assert_eq!(*a + *b, 2);
    /// # });
    /// ```
    #[inline]
    pub fn read(&self) -> Read<'_, T> {
        Read(AcquireInner::new(self))
    }

    /// Acquires a read lock if that is possible right now: `None` while a
    /// writer holds the lock or is queued for it.
    ///
    /// # Fairness
    ///
    /// `None` while a writer is queued, even if only readers hold the lock,
    /// so a loop of `try_read` cannot starve a writer either.
    ///
    /// # Panics
    ///
    /// If the lock already counts the maximum number of readers (2³⁰ − 1 on
    /// 64-bit targets, 2¹⁴ − 1 on 32-bit ones). The count is never wrapped.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = turnstile_sync::RwLock::new(1);
    /// let reader = lock.try_read().unwrap();
    /// assert!(lock.try_write().is_none());
    /// assert_eq!(*reader, 1);
    /// ```
    #[inline]
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        self.raw.try_read().then(|| RwLockReadGuard::new(self))
    }

    /// Acquires the write lock, waiting for the readers and the writer inside
    /// to leave.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future at any point is safe and leaves the lock fully
    /// usable: a queued writer that is dropped stops holding back new
    /// readers (and wakes the ones that queued behind it), and a wakeup it
    /// had received goes to the next writer.
    ///
    /// # Fairness
    ///
    /// Writers go in the order they queued; once one is queued, new readers
    /// queue behind it. See [`RwLock`].
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let lock = turnstile_sync::RwLock::new(1);
    /// *lock.write().await += 1;
    /// assert_eq!(lock.into_inner(), 2);
    /// # });
    /// ```
    #[inline]
    pub fn write(&self) -> Write<'_, T> {
        Write(AcquireInner::new(self))
    }

    /// Acquires the write lock if it is free right now and no other writer is
    /// queued.
    ///
    /// # Fairness
    ///
    /// Also `None` right after a write release (an unlock or a downgrade)
    /// that let queued readers in, until they have been in and left (the
    /// read phase, see [`RwLock`]), so a loop of `try_write` cannot starve
    /// them.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = turnstile_sync::RwLock::new(1);
    /// let writer = lock.try_write().unwrap();
    /// assert!(lock.try_read().is_none());
    /// drop(writer);
    /// assert!(lock.try_read().is_some());
    /// ```
    #[inline]
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        self.raw.try_write().then(|| RwLockWriteGuard::new(self))
    }

    /// Acquires the upgradable read lock: a read lock that can later be
    /// [upgraded](RwLockUpgradableReadGuard::upgrade) to the write lock. There
    /// is at most one upgradable reader at a time; it shares the lock with
    /// plain readers but excludes writers.
    ///
    /// # Cancel safety
    ///
    /// As for [`read`](Self::read).
    ///
    /// # Fairness
    ///
    /// As for [`read`](Self::read), and it also waits for another
    /// upgradable reader to leave. That release wakes it, but if it queued
    /// behind a writer it keeps waiting for the writer: two tasks that take
    /// the upgradable lock in turn cannot starve a writer.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuard};
    /// # futures_lite::future::block_on(async {
    /// let lock = RwLock::new(1);
    /// let reader = lock.read().await;
    /// let upgradable = lock.upgradable_read().await; // alongside the reader
    /// drop(reader);
    /// let mut writer = RwLockUpgradableReadGuard::upgrade(upgradable).await;
    /// *writer += 1;
    /// # });
    /// ```
    #[inline]
    pub fn upgradable_read(&self) -> UpgradableRead<'_, T> {
        UpgradableRead(AcquireInner::new(self))
    }

    /// Acquires the upgradable read lock if that is possible right now.
    ///
    /// # Fairness
    ///
    /// As for [`try_read`](Self::try_read); also `None` while another
    /// upgradable reader holds the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = turnstile_sync::RwLock::new(1);
    /// let upgradable = lock.try_upgradable_read().unwrap();
    /// assert!(lock.try_upgradable_read().is_none());
    /// assert!(lock.try_read().is_some());
    /// ```
    #[inline]
    pub fn try_upgradable_read(&self) -> Option<RwLockUpgradableReadGuard<'_, T>> {
        self.raw
            .try_upgradable_read()
            .then(|| RwLockUpgradableReadGuard::new(self))
    }

    /// Whether any guard (read, upgradable or write) exists right now: a
    /// snapshot for diagnostics.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = turnstile_sync::RwLock::new(());
    /// let reader = lock.try_read();
    /// assert!(lock.is_locked());
    /// ```
    #[inline]
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// Whether a write guard exists right now: a snapshot for diagnostics.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = turnstile_sync::RwLock::new(());
    /// let reader = lock.try_read();
    /// assert!(!lock.is_write_locked());
    /// ```
    #[inline]
    pub fn is_write_locked(&self) -> bool {
        self.raw.is_write_locked()
    }

    /// How many read guards (plain and upgradable) exist right now: a
    /// snapshot for diagnostics.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = turnstile_sync::RwLock::new(());
    /// let (a, b) = (lock.try_read(), lock.try_upgradable_read());
    /// assert_eq!(lock.reader_count(), 2);
    /// ```
    #[inline]
    pub fn reader_count(&self) -> usize {
        self.raw.reader_count()
    }

    /// A mutable reference to the value: no locking is needed, as the `&mut`
    /// proves nobody else can reach the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lock = turnstile_sync::RwLock::new(1);
    /// *lock.get_mut() = 5;
    /// assert_eq!(lock.into_inner(), 5);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` excludes every guard and every other access.
        self.data.with_mut(|value| unsafe { &mut *value })
    }

    /// The most plain readers the lock can count at once; one more panics.
    #[doc(hidden)]
    pub const __MAX_READERS: usize = raw::MAX_READERS;

    /// Test hook: counts `n` more readers, as if `n` read guards had been
    /// taken and forgotten (which is safe: the lock then stays read-locked).
    /// Panics, changing nothing, if that overflows the count or the lock is
    /// write-locked.
    #[doc(hidden)]
    pub fn __add_readers(&self, n: usize) {
        self.raw.add_readers(n);
    }

    /// Test hook: releases `n` readers added by [`__add_readers`].
    ///
    /// # Safety
    ///
    /// Exactly `n` readers added by `__add_readers` (or forgotten read
    /// guards) must still be counted; releasing a reader that a live guard
    /// stands for would let a writer in under it.
    ///
    /// [`__add_readers`]: Self::__add_readers
    #[doc(hidden)]
    pub unsafe fn __remove_readers(&self, n: usize) {
        self.raw.read_unlock_n(n);
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl<T: ?Sized> RwLock<T> {
    /// Blocks the current thread until a read lock is acquired. For code on
    /// plain threads; in async code use [`read`](Self::read). It runs the same
    /// state machine as `read`, parking the thread between steps.
    ///
    /// # Fairness
    ///
    /// As for [`read`](Self::read): threads and tasks share one queue.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = std::sync::Arc::new(turnstile_sync::RwLock::new(1));
    /// let l = lock.clone();
    /// let seen = std::thread::spawn(move || *l.read_blocking()).join().unwrap();
    /// assert_eq!(seen, 1);
    /// ```
    #[doc(alias = "blocking_read")]
    pub fn read_blocking(&self) -> RwLockReadGuard<'_, T> {
        // The uncontended case needs no waker: skip setting up the parking.
        if let Some(guard) = self.try_read() {
            return guard;
        }
        crate::wait::block::block_on(self.read())
    }

    /// Blocks the current thread until the write lock is acquired.
    ///
    /// # Fairness
    ///
    /// As for [`write`](Self::write).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = std::sync::Arc::new(turnstile_sync::RwLock::new(0));
    /// let l = lock.clone();
    /// std::thread::spawn(move || *l.write_blocking() += 1).join().unwrap();
    /// assert_eq!(*lock.read_blocking(), 1);
    /// ```
    #[doc(alias = "blocking_write")]
    pub fn write_blocking(&self) -> RwLockWriteGuard<'_, T> {
        if let Some(guard) = self.try_write() {
            return guard;
        }
        crate::wait::block::block_on(self.write())
    }

    /// Blocks the current thread until the upgradable read lock is acquired.
    ///
    /// # Fairness
    ///
    /// As for [`upgradable_read`](Self::upgradable_read).
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuard};
    /// let lock = RwLock::new(1);
    /// let upgradable = lock.upgradable_read_blocking();
    /// let mut writer = RwLockUpgradableReadGuard::upgrade_blocking(upgradable);
    /// *writer = 2;
    /// ```
    pub fn upgradable_read_blocking(&self) -> RwLockUpgradableReadGuard<'_, T> {
        if let Some(guard) = self.try_upgradable_read() {
            return guard;
        }
        crate::wait::block::block_on(self.upgradable_read())
    }
}

#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
impl<T: ?Sized> RwLock<T> {
    crate::shim::arc_methods! {
    /// Like [`read`](Self::read), for a lock in an `Arc`: the guard owns a
    /// clone of the `Arc`, so it is `'static` and can move into a spawned
    /// task.
    ///
    /// # Cancel safety
    ///
    /// As for [`read`](Self::read).
    ///
    /// # Fairness
    ///
    /// As for [`read`](Self::read).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// # futures_lite::future::block_on(async {
    /// let lock = Arc::new(turnstile_sync::RwLock::new(1));
    /// let reader = lock.read_arc().await;
    /// assert_eq!(*reader, 1);
    /// # });
    /// ```
    #[inline]
    #[doc(alias = "read_owned")]
    pub fn read_arc(this: &Arc<Self>) -> ReadArc<T> {
        ReadArc(AcquireInner::new(this.clone()))
    }

    /// Like [`try_read`](Self::try_read), returning an `Arc`-owned guard.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = std::sync::Arc::new(turnstile_sync::RwLock::new(1));
    /// assert_eq!(*lock.try_read_arc().unwrap(), 1);
    /// ```
    #[inline]
    #[doc(alias = "try_read_owned")]
    pub fn try_read_arc(this: &Arc<Self>) -> Option<RwLockReadGuardArc<T>> {
        this.raw
            .try_read()
            .then(|| RwLockReadGuardArc::new(this.clone()))
    }

    /// Like [`write`](Self::write), returning an `Arc`-owned guard.
    ///
    /// # Cancel safety
    ///
    /// As for [`write`](Self::write).
    ///
    /// # Fairness
    ///
    /// As for [`write`](Self::write).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// # futures_lite::future::block_on(async {
    /// let lock = Arc::new(turnstile_sync::RwLock::new(1));
    /// *lock.write_arc().await += 1;
    /// assert_eq!(*lock.read().await, 2);
    /// # });
    /// ```
    #[inline]
    #[doc(alias = "write_owned")]
    pub fn write_arc(this: &Arc<Self>) -> WriteArc<T> {
        WriteArc(AcquireInner::new(this.clone()))
    }

    /// Like [`try_write`](Self::try_write), returning an `Arc`-owned guard.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = std::sync::Arc::new(turnstile_sync::RwLock::new(1));
    /// let writer = lock.try_write_arc().unwrap();
    /// assert!(lock.try_write_arc().is_none());
    /// ```
    #[inline]
    #[doc(alias = "try_write_owned")]
    pub fn try_write_arc(this: &Arc<Self>) -> Option<RwLockWriteGuardArc<T>> {
        this.raw
            .try_write()
            .then(|| RwLockWriteGuardArc::new(this.clone()))
    }

    /// Like [`upgradable_read`](Self::upgradable_read), returning an
    /// `Arc`-owned guard.
    ///
    /// # Cancel safety
    ///
    /// As for [`read`](Self::read).
    ///
    /// # Fairness
    ///
    /// As for [`upgradable_read`](Self::upgradable_read).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuardArc};
    /// # futures_lite::future::block_on(async {
    /// let lock = Arc::new(RwLock::new(1));
    /// let upgradable = lock.upgradable_read_arc().await;
    /// *RwLockUpgradableReadGuardArc::upgrade(upgradable).await += 1;
    /// assert_eq!(*lock.read().await, 2);
    /// # });
    /// ```
    #[inline]
    pub fn upgradable_read_arc(this: &Arc<Self>) -> UpgradableReadArc<T> {
        UpgradableReadArc(AcquireInner::new(this.clone()))
    }

    /// Like [`try_upgradable_read`](Self::try_upgradable_read), returning an
    /// `Arc`-owned guard.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = std::sync::Arc::new(turnstile_sync::RwLock::new(1));
    /// let upgradable = lock.try_upgradable_read_arc().unwrap();
    /// assert!(lock.try_upgradable_read_arc().is_none());
    /// ```
    #[inline]
    pub fn try_upgradable_read_arc(this: &Arc<Self>) -> Option<RwLockUpgradableReadGuardArc<T>> {
        this.raw
            .try_upgradable_read()
            .then(|| RwLockUpgradableReadGuardArc::new(this.clone()))
    }
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl<T: ?Sized> RwLock<T> {
    crate::shim::arc_methods! {
    /// Like [`read_blocking`](Self::read_blocking), returning an
    /// `Arc`-owned guard.
    ///
    /// # Fairness
    ///
    /// As for [`read`](Self::read).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = std::sync::Arc::new(turnstile_sync::RwLock::new(1));
    /// assert_eq!(*lock.read_arc_blocking(), 1);
    /// ```
    pub fn read_arc_blocking(this: &Arc<Self>) -> RwLockReadGuardArc<T> {
        if let Some(guard) = Self::try_read_arc(this) {
            return guard;
        }
        crate::wait::block::block_on(Self::read_arc(this))
    }

    /// Like [`write_blocking`](Self::write_blocking), returning an
    /// `Arc`-owned guard.
    ///
    /// # Fairness
    ///
    /// As for [`write`](Self::write).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = std::sync::Arc::new(turnstile_sync::RwLock::new(1));
    /// *lock.write_arc_blocking() += 1;
    /// assert_eq!(*lock.read_arc_blocking(), 2);
    /// ```
    pub fn write_arc_blocking(this: &Arc<Self>) -> RwLockWriteGuardArc<T> {
        if let Some(guard) = Self::try_write_arc(this) {
            return guard;
        }
        crate::wait::block::block_on(Self::write_arc(this))
    }

    /// Like [`upgradable_read_blocking`](Self::upgradable_read_blocking),
    /// returning an `Arc`-owned guard.
    ///
    /// # Fairness
    ///
    /// As for [`upgradable_read`](Self::upgradable_read).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = std::sync::Arc::new(turnstile_sync::RwLock::new(1));
    /// let upgradable = lock.upgradable_read_arc_blocking();
    /// assert_eq!(*upgradable, 1);
    /// ```
    pub fn upgradable_read_arc_blocking(this: &Arc<Self>) -> RwLockUpgradableReadGuardArc<T> {
        if let Some(guard) = Self::try_upgradable_read_arc(this) {
            return guard;
        }
        crate::wait::block::block_on(Self::upgradable_read_arc(this))
    }
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    /// Shows the value if [`try_read`](RwLock::try_read) succeeds, `<locked>`
    /// otherwise (also while a writer is queued).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Some(guard) => d.field("value", &&*guard),
            None => d.field("value", &format_args!("<locked>")),
        };
        d.finish()
    }
}

// ---------------------------------------------------------------------------
// Futures
// ---------------------------------------------------------------------------

/// The one implementation behind every RwLock future: `M` is how the future
/// reaches the lock (`&RwLock<T>` or `Arc<RwLock<T>>`), `K` what it acquires
/// (a [`kind`] constant).
struct AcquireInner<M: Deref<Target = RwLock<T>>, T: ?Sized, const K: u8> {
    /// `None` once the lock was handed out.
    lock: Option<M>,
    acquire: Acquire<K>,
}

impl<M: Deref<Target = RwLock<T>>, T: ?Sized, const K: u8> AcquireInner<M, T, K> {
    #[inline]
    fn new(lock: M) -> Self {
        Self {
            lock: Some(lock),
            acquire: Acquire::new(),
        }
    }

    #[inline(always)]
    fn poll_acquire(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<M> {
        // SAFETY: `acquire` is re-pinned at once and never moved; `lock` is
        // not structurally pinned (it is only read, and taken out).
        let this = unsafe { self.get_unchecked_mut() };
        // Taken out for the fast path, so that on success it is returned
        // from a register: read back from the future after the acquiring
        // compare-exchange (which the compiler may not reorder it across),
        // it cost the uncontended read about 1.5 ns of store-to-load delay.
        // If `try_fresh` panics (reader overflow) nothing is registered and
        // there is nothing for `Drop` to cancel.
        let lock = this
            .lock
            .take()
            .expect("turnstile-sync: RwLock future polled after it completed");
        if this.acquire.try_fresh(&lock.raw) {
            return Poll::Ready(lock);
        }
        let lock = this.lock.insert(lock);
        // SAFETY: `this.acquire` is inside the pinned future.
        let acquire = unsafe { Pin::new_unchecked(&mut this.acquire) };
        match acquire.poll_slow(&lock.raw, cx) {
            Poll::Ready(()) => Poll::Ready(this.lock.take().expect("checked above")),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<M: Deref<Target = RwLock<T>>, T: ?Sized> AcquireInner<M, T, { kind::UPGRADE }> {
    /// Gives up a pending upgrade, keeping the upgradable lock, and returns
    /// the lock reference to rebuild the upgradable guard from.
    fn abandon_upgrade(self: Pin<&mut Self>) -> M {
        // SAFETY: as in `poll_acquire`.
        let this = unsafe { self.get_unchecked_mut() };
        let lock = this
            .lock
            .take()
            .expect("turnstile-sync: RwLock future polled after it completed");
        // SAFETY: `this.acquire` is inside the pinned future.
        unsafe { Pin::new_unchecked(&mut this.acquire) }.abandon_upgrade(&lock.raw);
        lock
    }
}

impl<M: Deref<Target = RwLock<T>>, T: ?Sized, const K: u8> Drop for AcquireInner<M, T, K> {
    #[inline]
    fn drop(&mut self) {
        if let Some(lock) = &self.lock {
            // SAFETY: `drop` is the last use of the future, which was pinned
            // if it was ever polled; `acquire` is not moved.
            let acquire = unsafe { Pin::new_unchecked(&mut self.acquire) };
            acquire.cancel(&lock.raw);
        }
    }
}

/// Defines a named future over [`AcquireInner`].
macro_rules! rwlock_future {
    (
        $(@cfg($cfg:meta))?
        $(#[$attr:meta])*
        $name:ident<$($lt:lifetime,)? T>($m:ty, $kind:path) -> $output:ty = $make:path
    ) => {
        $(#[cfg($cfg)])?
        $(#[$attr])*
        #[must_use = "futures do nothing unless .awaited or polled"]
        pub struct $name<$($lt,)? T: ?Sized>(AcquireInner<$m, T, { $kind }>);

        $(#[cfg($cfg)])?
        impl<$($lt,)? T: ?Sized> Future for $name<$($lt,)? T> {
            type Output = $output;

            #[inline]
            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                // SAFETY: structural pin projection to the only field.
                let inner = unsafe { self.map_unchecked_mut(|future| &mut future.0) };
                inner.poll_acquire(cx).map($make)
            }
        }

        $(#[cfg($cfg)])?
        impl<$($lt,)? T: ?Sized> fmt::Debug for $name<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), " { .. }"))
            }
        }
    };
}

rwlock_future! {
    /// The future returned by [`RwLock::read`]; resolves to a
    /// [`RwLockReadGuard`].
    ///
    /// It carries its wait-list node, in every tier, and is `!Unpin`
    /// (`.await` pins it for you).
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{Read, RwLock};
    /// # futures_lite::future::block_on(async {
    /// let lock = RwLock::new(3);
    /// let future: Read<'_, i32> = lock.read();
    /// assert_eq!(*future.await, 3);
    /// # });
    /// ```
    Read<'a, T>(&'a RwLock<T>, kind::READ) -> RwLockReadGuard<'a, T> = RwLockReadGuard::new
}

rwlock_future! {
    /// The future returned by [`RwLock::upgradable_read`]; resolves to a
    /// [`RwLockUpgradableReadGuard`].
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, UpgradableRead};
    /// # futures_lite::future::block_on(async {
    /// let lock = RwLock::new(3);
    /// let future: UpgradableRead<'_, i32> = lock.upgradable_read();
    /// assert_eq!(*future.await, 3);
    /// # });
    /// ```
    UpgradableRead<'a, T>(&'a RwLock<T>, kind::UPGRADABLE_READ) -> RwLockUpgradableReadGuard<'a, T> = RwLockUpgradableReadGuard::new
}

rwlock_future! {
    /// The future returned by [`RwLock::write`]; resolves to a
    /// [`RwLockWriteGuard`].
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, Write};
    /// # futures_lite::future::block_on(async {
    /// let lock = RwLock::new(3);
    /// let future: Write<'_, i32> = lock.write();
    /// *future.await += 1;
    /// # });
    /// ```
    Write<'a, T>(&'a RwLock<T>, kind::WRITE) -> RwLockWriteGuard<'a, T> = RwLockWriteGuard::new
}

rwlock_future! {
    /// The future returned by [`RwLockUpgradableReadGuard::upgrade`];
    /// resolves to a [`RwLockWriteGuard`]. It owns the upgradable lock until
    /// then: dropping it before it completes releases the upgradable lock
    /// (and lets in the readers the pending upgrade was holding back, but
    /// for those that queued behind a writer: they wait for it).
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuard, Upgrade};
    /// # futures_lite::future::block_on(async {
    /// let lock = RwLock::new(3);
    /// let future: Upgrade<'_, i32> = RwLockUpgradableReadGuard::upgrade(lock.upgradable_read().await);
    /// *future.await += 1;
    /// # });
    /// ```
    Upgrade<'a, T>(&'a RwLock<T>, kind::UPGRADE) -> RwLockWriteGuard<'a, T> = RwLockWriteGuard::new
}

rwlock_future! {
    @cfg(feature = "alloc")
    /// The future returned by [`RwLock::read_arc`]; resolves to a
    /// [`RwLockReadGuardArc`]. It owns a clone of the `Arc`, so it is
    /// `'static`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{ReadArc, RwLock};
    /// # futures_lite::future::block_on(async {
    /// let lock = Arc::new(RwLock::new(3));
    /// let future: ReadArc<i32> = lock.read_arc();
    /// assert_eq!(*future.await, 3);
    /// # });
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
    ReadArc<T>(Arc<RwLock<T>>, kind::READ) -> RwLockReadGuardArc<T> = RwLockReadGuardArc::new
}

rwlock_future! {
    @cfg(feature = "alloc")
    /// The future returned by [`RwLock::upgradable_read_arc`]; resolves to a
    /// [`RwLockUpgradableReadGuardArc`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, UpgradableReadArc};
    /// # futures_lite::future::block_on(async {
    /// let lock = Arc::new(RwLock::new(3));
    /// let future: UpgradableReadArc<i32> = lock.upgradable_read_arc();
    /// assert_eq!(*future.await, 3);
    /// # });
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
    UpgradableReadArc<T>(Arc<RwLock<T>>, kind::UPGRADABLE_READ) -> RwLockUpgradableReadGuardArc<T> = RwLockUpgradableReadGuardArc::new
}

rwlock_future! {
    @cfg(feature = "alloc")
    /// The future returned by [`RwLock::write_arc`]; resolves to a
    /// [`RwLockWriteGuardArc`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, WriteArc};
    /// # futures_lite::future::block_on(async {
    /// let lock = Arc::new(RwLock::new(3));
    /// let future: WriteArc<i32> = lock.write_arc();
    /// *future.await += 1;
    /// # });
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
    WriteArc<T>(Arc<RwLock<T>>, kind::WRITE) -> RwLockWriteGuardArc<T> = RwLockWriteGuardArc::new
}

rwlock_future! {
    @cfg(feature = "alloc")
    /// The future returned by [`RwLockUpgradableReadGuardArc::upgrade`];
    /// resolves to a [`RwLockWriteGuardArc`]. Dropping it before it completes
    /// releases the upgradable lock, as for [`Upgrade`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuardArc, UpgradeArc};
    /// # futures_lite::future::block_on(async {
    /// let lock = Arc::new(RwLock::new(3));
    /// let future: UpgradeArc<i32> = RwLockUpgradableReadGuardArc::upgrade(lock.upgradable_read_arc().await);
    /// *future.await += 1;
    /// # });
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
    UpgradeArc<T>(Arc<RwLock<T>>, kind::UPGRADE) -> RwLockWriteGuardArc<T> = RwLockWriteGuardArc::new
}

// ---------------------------------------------------------------------------
// Borrowed guards
// ---------------------------------------------------------------------------

/// Shared access to the value of a read-locked [`RwLock`]; dropping it
/// releases the read lock. `Send` and `Sync` iff `T: Sync`. Covariant in `T`,
/// like `&'a T` and std's guard: a guard over `&'static str` may stand in for
/// one over a shorter-lived `&str`, as it only reads.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let lock = turnstile_sync::RwLock::new(String::from("a"));
/// let guard = lock.read().await;
/// assert_eq!(&*guard, "a");
/// # });
/// ```
#[clippy::has_significant_drop]
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    /// The read-locked `&'a RwLock<T>`, typed as a pointer to `T` so that
    /// the guard is covariant in `T` (a `&RwLock<T>` is invariant: the lock
    /// holds an `UnsafeCell<T>`). Only [`lock_of`] casts it back, to reach
    /// the raw lock and the value; the `RwLock<T>` itself, whose `T` a
    /// covariant conversion may have shortened, is never handed out, as
    /// writing through it could store a value that does not live long
    /// enough. A `NonNull` opts out of the auto traits, which the impls
    /// below set.
    lock: NonNull<T>,
    /// Borrows the lock, and reads `T`, for `'a`.
    _borrow: PhantomData<&'a T>,
}

// SAFETY: the guard only gives `&T`; having it on another thread shares `T`
// with the other readers, which `T: Sync` allows. The release is atomic.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: `&RwLockReadGuard` gives `&T` only, which `T: Sync` allows.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}

/// The lock that a read guard's pointer [erases](RwLockReadGuard::lock) to
/// `*const T`.
///
/// # Safety
///
/// `lock` was made by [`erase`] from an `RwLock<T>` (whose `T` a covariant
/// conversion of the guard may have shortened since) that is alive for `'a`
/// and read-locked by the caller; the caller only reads the value and
/// releases the read lock through the result.
#[inline(always)]
unsafe fn lock_of<'a, T: ?Sized>(lock: NonNull<T>) -> &'a RwLock<T> {
    // SAFETY: the cast only undoes `erase`'s (the metadata is `T`'s either
    // way), and the lock is alive for `'a` (the caller's contract).
    unsafe { &*(lock.as_ptr() as *const RwLock<T>) }
}

/// A pointer to `lock`, typed as a pointer to `T`: for the covariant read
/// guards (see [`RwLockReadGuard::lock`]).
#[inline(always)]
fn erase<T: ?Sized>(lock: *const RwLock<T>) -> NonNull<T> {
    // SAFETY: `lock` comes from a reference or from `Arc::into_raw`, so it
    // is not null; the cast keeps the address and the metadata (`RwLock<T>`
    // ends in `T`).
    unsafe { NonNull::new_unchecked(lock as *mut T) }
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    #[inline]
    fn new(lock: &'a RwLock<T>) -> Self {
        Self {
            lock: erase(lock),
            _borrow: PhantomData,
        }
    }

    /// The lock, for reading the value and releasing the read lock only.
    #[inline(always)]
    fn rwlock(&self) -> &'a RwLock<T> {
        // SAFETY: `self.lock` was erased in `new` from a `&'a RwLock<T>`,
        // which this guard read-locks; the callers below only read the value
        // and reach the raw lock.
        unsafe { lock_of(self.lock) }
    }

    /// Narrows the guard to a part of the value. The lock stays read-locked
    /// until the mapped guard is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockReadGuard};
    /// let lock = RwLock::new((1, String::from("x")));
    /// let name = RwLockReadGuard::map(lock.try_read().unwrap(), |pair| &pair.1);
    /// assert_eq!(&*name, "x");
    /// ```
    pub fn map<U: ?Sized>(guard: Self, f: impl FnOnce(&T) -> &U) -> MappedRwLockReadGuard<'a, U> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = NonNull::from(f(guard.rwlock().data_ref()));
        let guard = ManuallyDrop::new(guard);
        MappedRwLockReadGuard {
            raw: &guard.rwlock().raw,
            value,
            _borrow: PhantomData,
        }
    }

    /// Like [`map`](Self::map), for a part that may not be there: if `f`
    /// returns `None`, the guard comes back unchanged in `Err`, still
    /// holding the read lock. (tokio's and lock_api's `try_map`, std's
    /// `filter_map`.)
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockReadGuard};
    /// let lock = RwLock::new(vec![1, 2]);
    /// let guard = RwLockReadGuard::try_map(lock.try_read().unwrap(), |v| v.get(5)).unwrap_err();
    /// assert_eq!(lock.reader_count(), 1);
    /// let second = RwLockReadGuard::try_map(guard, |v| v.get(1)).unwrap();
    /// assert_eq!(*second, 2);
    /// ```
    #[doc(alias = "filter_map")]
    pub fn try_map<U: ?Sized>(
        guard: Self,
        f: impl FnOnce(&T) -> Option<&U>,
    ) -> Result<MappedRwLockReadGuard<'a, U>, Self> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = match f(guard.rwlock().data_ref()) {
            Some(value) => NonNull::from(value),
            None => return Err(guard),
        };
        let guard = ManuallyDrop::new(guard);
        Ok(MappedRwLockReadGuard {
            raw: &guard.rwlock().raw,
            value,
            _borrow: PhantomData,
        })
    }
}

impl<T: ?Sized> RwLock<T> {
    /// The value, for a holder of a read, upgradable or write lock.
    #[inline]
    fn data_ref(&self) -> &T {
        // SAFETY: only called through a guard, which holds a lock that
        // excludes writers other than itself; the reference lives no longer
        // than the guard's borrow of it.
        self.data.with(|value| unsafe { &*value })
    }

    /// The value, for the holder of the write lock.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    fn data_mut(&self) -> &mut T {
        // SAFETY: only called through a write guard's `&mut self`: the lock
        // excludes every other guard and `&mut self` every other access
        // through this one.
        self.data.with_mut(|value| unsafe { &mut *value })
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        self.rwlock().data_ref()
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.rwlock().raw.read_unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Shared access to the value of an [`RwLock`] that can be
/// [upgraded](Self::upgrade) to exclusive access. Only one exists at a time;
/// plain readers may read alongside it, writers may not.
///
/// `Send` iff `T: Send + Sync` (it can become a write guard on the thread it
/// moved to); `Sync` iff `T: Sync`. It is *invariant* in `T`: a covariant
/// upgradable guard could be shortened to `&'short` data, upgraded, and used
/// to store a short-lived reference into a lock typed for longer-lived ones
/// ([rust-lang/rust#138559](https://github.com/rust-lang/rust/issues/138559)).
///
/// # Examples
///
/// ```
/// use turnstile_sync::{RwLock, RwLockUpgradableReadGuard};
/// # futures_lite::future::block_on(async {
/// let lock = RwLock::new(vec![1]);
/// let upgradable = lock.upgradable_read().await;
/// if upgradable.len() < 2 {
///     RwLockUpgradableReadGuard::upgrade(upgradable).await.push(2);
/// }
/// assert_eq!(*lock.read().await, [1, 2]);
/// # });
/// ```
#[clippy::has_significant_drop]
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockUpgradableReadGuard<'a, T: ?Sized> {
    /// `&RwLock<T>` is invariant in `T` (the lock holds an `UnsafeCell<T>`),
    /// and so is `*mut T`: the guard is invariant either way.
    lock: &'a RwLock<T>,
    /// Opts out of the auto traits (set below) and spells out the
    /// invariance.
    _invariant: PhantomData<*mut T>,
}

// SAFETY: moving the guard moves shared access to `T` (needs `T: Sync`, as
// other readers read alongside) and the right to upgrade it to `&mut T` on
// the new thread (needs `T: Send`). The release is atomic.
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockUpgradableReadGuard<'_, T> {}
// SAFETY: `&RwLockUpgradableReadGuard` gives `&T` only (upgrading takes the
// guard by value), which `T: Sync` allows.
unsafe impl<T: ?Sized + Sync> Sync for RwLockUpgradableReadGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockUpgradableReadGuard<'a, T> {
    #[inline]
    fn new(lock: &'a RwLock<T>) -> Self {
        Self {
            lock,
            _invariant: PhantomData,
        }
    }

    /// Upgrades to the write lock, waiting for the plain readers to leave.
    /// New readers queue meanwhile.
    ///
    /// # Cancel safety
    ///
    /// The future owns the upgradable lock. Dropping it before it completes
    /// releases that lock — the upgrade is abandoned, not left half done —
    /// and the readers it was holding back go in (those that queued behind a
    /// writer after the writer).
    ///
    /// # Fairness
    ///
    /// No writer can come first: writers wait for the upgradable lock too.
    /// In return, when the write guard is released (or downgraded) while a
    /// writer is queued, that writer goes next, before the readers queued
    /// meanwhile. See [`RwLock`].
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuard};
    /// # futures_lite::future::block_on(async {
    /// let lock = RwLock::new(1);
    /// let mut writer = RwLockUpgradableReadGuard::upgrade(lock.upgradable_read().await).await;
    /// *writer = 2;
    /// # });
    /// ```
    #[inline]
    pub fn upgrade(guard: Self) -> Upgrade<'a, T> {
        let guard = ManuallyDrop::new(guard);
        Upgrade(AcquireInner::new(guard.lock))
    }

    /// Upgrades to the write lock if no plain reader is left; otherwise
    /// gives the guard back.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuard};
    /// let lock = RwLock::new(1);
    /// let upgradable = lock.try_upgradable_read().unwrap();
    /// let reader = lock.try_read().unwrap();
    /// let upgradable = RwLockUpgradableReadGuard::try_upgrade(upgradable).unwrap_err();
    /// drop(reader);
    /// let writer = RwLockUpgradableReadGuard::try_upgrade(upgradable).unwrap();
    /// ```
    pub fn try_upgrade(guard: Self) -> Result<RwLockWriteGuard<'a, T>, Self> {
        if guard.lock.raw.try_upgrade() {
            let guard = ManuallyDrop::new(guard);
            Ok(RwLockWriteGuard::new(guard.lock))
        } else {
            Err(guard)
        }
    }

    /// Upgrades to the write lock, blocking the thread until the plain
    /// readers have left. Runs the same state machine as
    /// [`upgrade`](Self::upgrade).
    ///
    /// # Fairness
    ///
    /// As for [`upgrade`](Self::upgrade).
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuard};
    /// let lock = RwLock::new(1);
    /// let writer = RwLockUpgradableReadGuard::upgrade_blocking(lock.try_upgradable_read().unwrap());
    /// assert!(lock.is_write_locked());
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn upgrade_blocking(guard: Self) -> RwLockWriteGuard<'a, T> {
        match Self::try_upgrade(guard) {
            Ok(writer) => writer,
            Err(guard) => crate::wait::block::block_on(Self::upgrade(guard)),
        }
    }

    /// Turns the guard into a plain read guard, letting another upgradable
    /// reader in (one that queued behind a writer waits for the writer).
    ///
    /// # Panics
    ///
    /// If the reader count is full (see [`RwLock::try_read`]); the guard is
    /// then dropped normally.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuard};
    /// let lock = RwLock::new(1);
    /// let reader = RwLockUpgradableReadGuard::downgrade(lock.try_upgradable_read().unwrap());
    /// assert!(lock.try_upgradable_read().is_some());
    /// ```
    pub fn downgrade(guard: Self) -> RwLockReadGuard<'a, T> {
        // On an overflow panic the state is unchanged and `guard` is dropped
        // by the unwinding, releasing the upgradable lock.
        guard.lock.raw.downgrade_upgradable();
        let guard = ManuallyDrop::new(guard);
        RwLockReadGuard::new(guard.lock)
    }
}

impl<T: ?Sized> Deref for RwLockUpgradableReadGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        self.lock.data_ref()
    }
}

impl<T: ?Sized> Drop for RwLockUpgradableReadGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.raw.upgradable_unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockUpgradableReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive access to the value of a write-locked [`RwLock`]; dropping it
/// releases the lock. `Send` iff `T: Send`, `Sync` iff `T: Sync`.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let lock = turnstile_sync::RwLock::new(String::from("a"));
/// let mut guard = lock.write().await;
/// guard.push('b');
/// assert_eq!(&*guard, "ab");
/// # });
/// ```
#[clippy::has_significant_drop]
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    /// As in [`RwLockReadGuard`]: the auto traits are set below.
    _not_auto: PhantomData<*mut T>,
}

// SAFETY: moving the guard moves exclusive access (`&mut T`) to another
// thread, which `T: Send` allows. Turning it into shared access, which other
// threads may then share, requires `T: Sync` (the downgrades are bounded on
// it). The release is atomic.
unsafe impl<T: ?Sized + Send> Send for RwLockWriteGuard<'_, T> {}
// SAFETY: `&RwLockWriteGuard` gives `&T` only, which `T: Sync` allows.
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    #[inline]
    fn new(lock: &'a RwLock<T>) -> Self {
        Self {
            lock,
            _not_auto: PhantomData,
        }
    }

    /// Narrows the guard to a part of the value. The lock stays write-locked
    /// until the mapped guard is dropped. A mapped guard cannot be
    /// downgraded: shared access to the whole value while a `&mut` to a part
    /// may still be in use is how [tokio#3344](https://github.com/tokio-rs/tokio/issues/3344) let a reader mutate through a
    /// `Cell`. Its `Send` and `Sync` follow `U`.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new((1, String::new()));
    /// let mut name = RwLockWriteGuard::map(lock.try_write().unwrap(), |pair| &mut pair.1);
    /// name.push('x');
    /// drop(name);
    /// assert_eq!(lock.try_read().unwrap().1, "x");
    /// ```
    pub fn map<U: ?Sized>(
        guard: Self,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> MappedRwLockWriteGuard<'a, U> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = NonNull::from(f(guard.lock.data_mut()));
        let guard = ManuallyDrop::new(guard);
        MappedRwLockWriteGuard {
            raw: &guard.lock.raw,
            value,
            _borrow: PhantomData,
        }
    }

    /// Like [`map`](Self::map), for a part that may not be there: if `f`
    /// returns `None`, the guard comes back unchanged in `Err`, still
    /// holding the write lock. (tokio's and lock_api's `try_map`, std's
    /// `filter_map`.)
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new(vec![1, 2]);
    /// let guard = RwLockWriteGuard::try_map(lock.try_write().unwrap(), |v| v.get_mut(5)).unwrap_err();
    /// assert!(lock.is_write_locked());
    /// *RwLockWriteGuard::try_map(guard, |v| v.get_mut(1)).unwrap() = 7;
    /// assert_eq!(*lock.try_read().unwrap(), [1, 7]);
    /// ```
    #[doc(alias = "filter_map")]
    pub fn try_map<U: ?Sized>(
        guard: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<MappedRwLockWriteGuard<'a, U>, Self> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = match f(guard.lock.data_mut()) {
            Some(value) => NonNull::from(value),
            None => return Err(guard),
        };
        let guard = ManuallyDrop::new(guard);
        Ok(MappedRwLockWriteGuard {
            raw: &guard.lock.raw,
            value,
            _borrow: PhantomData,
        })
    }
}

impl<'a, T: ?Sized + Sync> RwLockWriteGuard<'a, T> {
    /// Turns the write lock into a read lock without letting a writer in
    /// between; the readers queued meanwhile go in with it, before any
    /// queued writer, as after an unlock (a read phase, see [`RwLock`]).
    /// (Not if the guard comes from an upgrade and a writer is queued: the
    /// readers then wait for that writer, see
    /// [`upgrade`](RwLockUpgradableReadGuard::upgrade).)
    ///
    /// `T: Sync` because the value is then shared with readers on other
    /// threads (the write guard may have moved to another thread than the
    /// lock's other users: it is `Send` for `T: Send`).
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new(1);
    /// let mut writer = lock.try_write().unwrap();
    /// *writer = 2;
    /// let reader = RwLockWriteGuard::downgrade(writer);
    /// assert_eq!(*lock.try_read().unwrap(), 2);
    /// ```
    pub fn downgrade(guard: Self) -> RwLockReadGuard<'a, T> {
        let guard = ManuallyDrop::new(guard);
        guard.lock.raw.downgrade_write(false);
        RwLockReadGuard::new(guard.lock)
    }

    /// Turns the write lock into the upgradable read lock without letting a
    /// writer in between; the plain readers queued meanwhile go in with it,
    /// as for [`downgrade`](Self::downgrade).
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new(1);
    /// let upgradable = RwLockWriteGuard::downgrade_to_upgradable(lock.try_write().unwrap());
    /// assert!(lock.try_read().is_some());
    /// assert!(lock.try_write().is_none());
    /// ```
    pub fn downgrade_to_upgradable(guard: Self) -> RwLockUpgradableReadGuard<'a, T> {
        let guard = ManuallyDrop::new(guard);
        guard.lock.raw.downgrade_write(true);
        RwLockUpgradableReadGuard::new(guard.lock)
    }

    /// [Downgrades](Self::downgrade) the write lock and narrows the read
    /// guard to a part of the value, in one step: no writer can come in
    /// between, and the readers queued meanwhile go in with it, as for
    /// `downgrade`. (tokio's `downgrade_map`.)
    ///
    /// `T: Sync`, as for `downgrade`: the readers let in share the whole
    /// value, including the part this guard reads, with the thread the write
    /// guard may have moved to. A `Send` but not `Sync` value (a `Cell`)
    /// would then be read and written from two threads at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new((0, String::new()));
    /// let mut writer = lock.try_write().unwrap();
    /// writer.1.push_str("ready");
    /// let name = RwLockWriteGuard::downgrade_map(writer, |pair| &pair.1);
    /// assert_eq!(&*name, "ready");
    /// assert_eq!(lock.try_read().unwrap().0, 0); // other readers get in
    /// assert!(lock.try_write().is_none());
    /// ```
    pub fn downgrade_map<U: ?Sized>(
        guard: Self,
        f: impl FnOnce(&T) -> &U,
    ) -> MappedRwLockReadGuard<'a, U> {
        // `f` runs while the write lock is still held; if it panics, `guard`
        // is dropped normally and releases it.
        let value = NonNull::from(f(guard.lock.data_ref()));
        let guard = ManuallyDrop::new(guard);
        guard.lock.raw.downgrade_write(false);
        MappedRwLockReadGuard {
            raw: &guard.lock.raw,
            value,
            _borrow: PhantomData,
        }
    }

    /// Like [`downgrade_map`](Self::downgrade_map), for a part that may not
    /// be there: if `f` returns `None`, nothing is downgraded and the write
    /// guard comes back unchanged in `Err`. (tokio's `try_downgrade_map`.)
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new(None::<u8>);
    /// let mut writer = RwLockWriteGuard::try_downgrade_map(lock.try_write().unwrap(), |v| v.as_ref())
    ///     .unwrap_err();
    /// assert!(lock.is_write_locked());
    /// *writer = Some(3);
    /// let three = RwLockWriteGuard::try_downgrade_map(writer, |v| v.as_ref()).unwrap();
    /// assert_eq!(*three, 3);
    /// assert!(lock.try_read().is_some());
    /// ```
    pub fn try_downgrade_map<U: ?Sized>(
        guard: Self,
        f: impl FnOnce(&T) -> Option<&U>,
    ) -> Result<MappedRwLockReadGuard<'a, U>, Self> {
        // As in `downgrade_map`: `f` runs under the write lock.
        let value = match f(guard.lock.data_ref()) {
            Some(value) => NonNull::from(value),
            None => return Err(guard),
        };
        let guard = ManuallyDrop::new(guard);
        guard.lock.raw.downgrade_write(false);
        Ok(MappedRwLockReadGuard {
            raw: &guard.lock.raw,
            value,
            _borrow: PhantomData,
        })
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        self.lock.data_ref()
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        self.lock.data_mut()
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.raw.write_unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// A [`RwLockReadGuard`] narrowed by [`RwLockReadGuard::map`] to a part `U`
/// of the value. `Send` and `Sync` iff `U: Sync`.
///
/// # Examples
///
/// ```
/// use turnstile_sync::{MappedRwLockReadGuard, RwLock, RwLockReadGuard};
/// let lock = RwLock::new([1, 2, 3]);
/// let first: MappedRwLockReadGuard<'_, i32> = RwLockReadGuard::map(lock.try_read().unwrap(), |a| &a[0]);
/// assert_eq!(*first, 1);
/// ```
#[clippy::has_significant_drop]
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct MappedRwLockReadGuard<'a, U: ?Sized> {
    raw: &'a RawRwLock,
    value: NonNull<U>,
    /// Borrows `U` for `'a`: variance and drop-check as for `&'a U`.
    _borrow: PhantomData<&'a U>,
}

// SAFETY: the guard gives `&U` only, shared with the lock's other readers;
// that is fine on any thread for `U: Sync`. The release is atomic.
unsafe impl<U: ?Sized + Sync> Send for MappedRwLockReadGuard<'_, U> {}
// SAFETY: as for `Send`.
unsafe impl<U: ?Sized + Sync> Sync for MappedRwLockReadGuard<'_, U> {}

impl<'a, U: ?Sized> MappedRwLockReadGuard<'a, U> {
    /// Narrows the guard further, to a part `V` of `U`. The lock stays
    /// read-locked until the new guard is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{MappedRwLockReadGuard, RwLock, RwLockReadGuard};
    /// let lock = RwLock::new((0, (1, 2)));
    /// let inner = RwLockReadGuard::map(lock.try_read().unwrap(), |t| &t.1);
    /// let last = MappedRwLockReadGuard::map(inner, |pair| &pair.1);
    /// assert_eq!(*last, 2);
    /// ```
    pub fn map<V: ?Sized>(guard: Self, f: impl FnOnce(&U) -> &V) -> MappedRwLockReadGuard<'a, V> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        // SAFETY: `value` points into the read-locked value, and the read
        // lock is held until `guard` (owned here) drops.
        let value = NonNull::from(f(unsafe { &*guard.value.as_ptr() }));
        let guard = ManuallyDrop::new(guard);
        MappedRwLockReadGuard {
            raw: guard.raw,
            value,
            _borrow: PhantomData,
        }
    }

    /// Like [`map`](Self::map), for a part that may not be there: if `f`
    /// returns `None`, the guard comes back unchanged in `Err`, still
    /// holding the read lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{MappedRwLockReadGuard, RwLock, RwLockReadGuard};
    /// let lock = RwLock::new((0, None::<u8>));
    /// let part = RwLockReadGuard::map(lock.try_read().unwrap(), |t| &t.1);
    /// let part = MappedRwLockReadGuard::try_map(part, |o| o.as_ref()).unwrap_err();
    /// assert_eq!(lock.reader_count(), 1);
    /// ```
    #[doc(alias = "filter_map")]
    pub fn try_map<V: ?Sized>(
        guard: Self,
        f: impl FnOnce(&U) -> Option<&V>,
    ) -> Result<MappedRwLockReadGuard<'a, V>, Self> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        // SAFETY: as in `map`; the reference is gone once `f` returns.
        let value = match f(unsafe { &*guard.value.as_ptr() }) {
            Some(value) => NonNull::from(value),
            None => return Err(guard),
        };
        let guard = ManuallyDrop::new(guard);
        Ok(MappedRwLockReadGuard {
            raw: guard.raw,
            value,
            _borrow: PhantomData,
        })
    }
}

impl<U: ?Sized> Deref for MappedRwLockReadGuard<'_, U> {
    type Target = U;

    #[inline]
    fn deref(&self) -> &U {
        // SAFETY: `value` points into the read-locked value, and the read
        // lock is held until this guard drops.
        unsafe { self.value.as_ref() }
    }
}

impl<U: ?Sized> Drop for MappedRwLockReadGuard<'_, U> {
    #[inline]
    fn drop(&mut self) {
        self.raw.read_unlock();
    }
}

impl<U: ?Sized + fmt::Debug> fmt::Debug for MappedRwLockReadGuard<'_, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A [`RwLockWriteGuard`] narrowed by [`RwLockWriteGuard::map`] to a part
/// `U` of the value. `Send` iff `U: Send`, `Sync` iff `U: Sync`. It has no
/// `downgrade` (see [`RwLockWriteGuard::map`]).
///
/// # Examples
///
/// ```
/// use turnstile_sync::{MappedRwLockWriteGuard, RwLock, RwLockWriteGuard};
/// let lock = RwLock::new([1, 2, 3]);
/// let mut first: MappedRwLockWriteGuard<'_, i32> =
///     RwLockWriteGuard::map(lock.try_write().unwrap(), |a| &mut a[0]);
/// *first = 7;
/// ```
#[clippy::has_significant_drop]
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct MappedRwLockWriteGuard<'a, U: ?Sized> {
    raw: &'a RawRwLock,
    value: NonNull<U>,
    /// Borrows `U` mutably for `'a`: variance and drop-check as for
    /// `&'a mut U`.
    _borrow: PhantomData<&'a mut U>,
}

// SAFETY: the guard gives `&mut U` only; moving it moves that access, which
// `U: Send` allows. Nothing else of `T` is reachable (RUSTSEC-2020-0059).
unsafe impl<U: ?Sized + Send> Send for MappedRwLockWriteGuard<'_, U> {}
// SAFETY: `&MappedRwLockWriteGuard` gives `&U` only, which `U: Sync` allows.
unsafe impl<U: ?Sized + Sync> Sync for MappedRwLockWriteGuard<'_, U> {}

impl<'a, U: ?Sized> MappedRwLockWriteGuard<'a, U> {
    /// Narrows the guard further, to a part `V` of `U`. The lock stays
    /// write-locked until the new guard is dropped; its `Send` and `Sync`
    /// follow `V`.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{MappedRwLockWriteGuard, RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new((0, (1, 2)));
    /// let inner = RwLockWriteGuard::map(lock.try_write().unwrap(), |t| &mut t.1);
    /// *MappedRwLockWriteGuard::map(inner, |pair| &mut pair.1) = 9;
    /// assert_eq!(*lock.try_read().unwrap(), (0, (1, 9)));
    /// ```
    pub fn map<V: ?Sized>(
        guard: Self,
        f: impl FnOnce(&mut U) -> &mut V,
    ) -> MappedRwLockWriteGuard<'a, V> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        // SAFETY: `value` points into the write-locked value, the lock is
        // held until `guard` (owned here) drops, so this is the only access.
        let value = NonNull::from(f(unsafe { &mut *guard.value.as_ptr() }));
        let guard = ManuallyDrop::new(guard);
        MappedRwLockWriteGuard {
            raw: guard.raw,
            value,
            _borrow: PhantomData,
        }
    }

    /// Like [`map`](Self::map), for a part that may not be there: if `f`
    /// returns `None`, the guard comes back unchanged in `Err`, still
    /// holding the write lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{MappedRwLockWriteGuard, RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new((0, Some(5)));
    /// let part = RwLockWriteGuard::map(lock.try_write().unwrap(), |t| &mut t.1);
    /// *MappedRwLockWriteGuard::try_map(part, |o| o.as_mut()).unwrap() += 1;
    /// assert_eq!(lock.try_read().unwrap().1, Some(6));
    /// ```
    #[doc(alias = "filter_map")]
    pub fn try_map<V: ?Sized>(
        guard: Self,
        f: impl FnOnce(&mut U) -> Option<&mut V>,
    ) -> Result<MappedRwLockWriteGuard<'a, V>, Self> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        // SAFETY: as in `map`; the reference is gone once `f` returns.
        let value = match f(unsafe { &mut *guard.value.as_ptr() }) {
            Some(value) => NonNull::from(value),
            None => return Err(guard),
        };
        let guard = ManuallyDrop::new(guard);
        Ok(MappedRwLockWriteGuard {
            raw: guard.raw,
            value,
            _borrow: PhantomData,
        })
    }
}

impl<U: ?Sized> Deref for MappedRwLockWriteGuard<'_, U> {
    type Target = U;

    #[inline]
    fn deref(&self) -> &U {
        // SAFETY: `value` points into the write-locked value, and the lock
        // is held until this guard drops.
        unsafe { self.value.as_ref() }
    }
}

impl<U: ?Sized> DerefMut for MappedRwLockWriteGuard<'_, U> {
    #[inline]
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access.
        unsafe { self.value.as_mut() }
    }
}

impl<U: ?Sized> Drop for MappedRwLockWriteGuard<'_, U> {
    #[inline]
    fn drop(&mut self) {
        self.raw.write_unlock();
    }
}

impl<U: ?Sized + fmt::Debug> fmt::Debug for MappedRwLockWriteGuard<'_, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

// ---------------------------------------------------------------------------
// Arc guards
// ---------------------------------------------------------------------------

/// A read lock on an [`RwLock`] that owns an `Arc` of it: `'static`, so it
/// can move into a spawned task. Made by [`RwLock::read_arc`]. `Send` iff
/// `T: Send + Sync` (dropping the last `Arc` drops `T` where the guard is);
/// `Sync` iff `T: Sync`. Covariant in `T`, like [`RwLockReadGuard`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use turnstile_sync::{RwLock, RwLockReadGuardArc};
/// let lock = Arc::new(RwLock::new(5));
/// let guard: RwLockReadGuardArc<i32> = lock.try_read_arc().unwrap();
/// assert_eq!(*guard, 5);
/// ```
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
#[clippy::has_significant_drop]
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuardArc<T: ?Sized> {
    /// The read-locked lock, from `Arc::into_raw` (the guard owns that
    /// strong count), erased to a pointer to `T` for covariance as in
    /// [`RwLockReadGuard`]: only cast back to read the value, release the
    /// read lock and give the count back. The auto traits are set below.
    lock: NonNull<T>,
}

// SAFETY: shared access to `T` on another thread needs `T: Sync`; the guard
// may drop the last `Arc`, and with it `T`, on that thread: `T: Send`.
#[cfg(feature = "alloc")]
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockReadGuardArc<T> {}
// SAFETY: `&RwLockReadGuardArc` gives `&T` only.
#[cfg(feature = "alloc")]
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuardArc<T> {}

#[cfg(feature = "alloc")]
impl<T: ?Sized> RwLockReadGuardArc<T> {
    #[inline]
    fn new(lock: Arc<RwLock<T>>) -> Self {
        Self {
            lock: erase(Arc::into_raw(lock)),
        }
    }

    /// The lock, for reading the value and releasing the read lock only.
    #[inline(always)]
    fn rwlock(&self) -> &RwLock<T> {
        // SAFETY: `self.lock` was erased in `new` from `Arc::into_raw`, and
        // the strong count it owns keeps the lock alive while `self` is;
        // this guard read-locks it, and the callers only read the value and
        // reach the raw lock.
        unsafe { lock_of(self.lock) }
    }

    /// Narrows the guard to a part `U` of the value, like
    /// [`RwLockReadGuard::map`]. The mapped guard keeps the `Arc`, so the
    /// lock stays alive and read-locked until it is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockReadGuardArc};
    /// let lock = Arc::new(RwLock::new((1, String::from("x"))));
    /// let name = RwLockReadGuardArc::map(lock.try_read_arc().unwrap(), |pair| &pair.1);
    /// drop(lock); // the guard keeps the lock alive
    /// assert_eq!(&*name, "x");
    /// ```
    pub fn map<U: ?Sized>(guard: Self, f: impl FnOnce(&T) -> &U) -> MappedRwLockReadGuardArc<T, U> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = NonNull::from(f(&*guard));
        MappedRwLockReadGuardArc { guard, value }
    }

    /// Like [`map`](Self::map), for a part that may not be there: if `f`
    /// returns `None`, the guard comes back unchanged in `Err`, still
    /// holding the read lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockReadGuardArc};
    /// let lock = Arc::new(RwLock::new(vec![1]));
    /// let guard = RwLockReadGuardArc::try_map(lock.try_read_arc().unwrap(), |v| v.get(3)).unwrap_err();
    /// assert_eq!(lock.reader_count(), 1);
    /// assert_eq!(*RwLockReadGuardArc::try_map(guard, |v| v.first()).unwrap(), 1);
    /// ```
    #[doc(alias = "filter_map")]
    pub fn try_map<U: ?Sized>(
        guard: Self,
        f: impl FnOnce(&T) -> Option<&U>,
    ) -> Result<MappedRwLockReadGuardArc<T, U>, Self> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = match f(&*guard) {
            Some(value) => NonNull::from(value),
            None => return Err(guard),
        };
        Ok(MappedRwLockReadGuardArc { guard, value })
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized> Deref for RwLockReadGuardArc<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        self.rwlock().data_ref()
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized> Drop for RwLockReadGuardArc<T> {
    #[inline]
    fn drop(&mut self) {
        self.rwlock().raw.read_unlock();
        // SAFETY: `self.lock` is the pointer `Arc::into_raw` gave in `new`
        // (cast back to its type), and its strong count is given back once,
        // here, after the last use of the lock through this guard.
        drop(unsafe { Arc::from_raw(self.lock.as_ptr() as *const RwLock<T>) });
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuardArc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The upgradable read lock on an [`RwLock`], owning an `Arc` of it. Made by
/// [`RwLock::upgradable_read_arc`]. `Send` iff `T: Send + Sync`, `Sync` iff
/// `T: Sync`; invariant in `T`, like [`RwLockUpgradableReadGuard`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use turnstile_sync::{RwLock, RwLockUpgradableReadGuardArc};
/// let lock = Arc::new(RwLock::new(5));
/// let guard: RwLockUpgradableReadGuardArc<i32> = lock.try_upgradable_read_arc().unwrap();
/// assert_eq!(*guard, 5);
/// ```
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
#[clippy::has_significant_drop]
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockUpgradableReadGuardArc<T: ?Sized> {
    lock: Arc<RwLock<T>>,
    /// Auto traits set below; invariance spelled out.
    _invariant: PhantomData<*mut T>,
}

// SAFETY: as for `RwLockUpgradableReadGuard`; dropping the last `Arc` on
// another thread is covered by `T: Send`.
#[cfg(feature = "alloc")]
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockUpgradableReadGuardArc<T> {}
// SAFETY: `&RwLockUpgradableReadGuardArc` gives `&T` only.
#[cfg(feature = "alloc")]
unsafe impl<T: ?Sized + Sync> Sync for RwLockUpgradableReadGuardArc<T> {}

#[cfg(feature = "alloc")]
impl<T: ?Sized> RwLockUpgradableReadGuardArc<T> {
    #[inline]
    fn new(lock: Arc<RwLock<T>>) -> Self {
        Self {
            lock,
            _invariant: PhantomData,
        }
    }

    /// Takes the `Arc` out without running `Drop`.
    fn into_lock(guard: Self) -> Arc<RwLock<T>> {
        let guard = ManuallyDrop::new(guard);
        // SAFETY: `guard` is never used or dropped again, so the `Arc` is
        // moved out exactly once.
        unsafe { core::ptr::read(&guard.lock) }
    }

    /// Like [`RwLockUpgradableReadGuard::upgrade`].
    ///
    /// # Cancel safety
    ///
    /// As for [`RwLockUpgradableReadGuard::upgrade`]: dropping the future
    /// releases the upgradable lock.
    ///
    /// # Fairness
    ///
    /// As for [`RwLockUpgradableReadGuard::upgrade`]: no writer can come
    /// first, and a writer queued meanwhile goes next.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuardArc};
    /// # futures_lite::future::block_on(async {
    /// let lock = Arc::new(RwLock::new(1));
    /// *RwLockUpgradableReadGuardArc::upgrade(lock.upgradable_read_arc().await).await = 2;
    /// # });
    /// ```
    #[inline]
    pub fn upgrade(guard: Self) -> UpgradeArc<T> {
        UpgradeArc(AcquireInner::new(Self::into_lock(guard)))
    }

    /// Like [`RwLockUpgradableReadGuard::try_upgrade`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuardArc};
    /// let lock = Arc::new(RwLock::new(1));
    /// let upgradable = lock.try_upgradable_read_arc().unwrap();
    /// assert!(RwLockUpgradableReadGuardArc::try_upgrade(upgradable).is_ok());
    /// ```
    pub fn try_upgrade(guard: Self) -> Result<RwLockWriteGuardArc<T>, Self> {
        if guard.lock.raw.try_upgrade() {
            Ok(RwLockWriteGuardArc::new(Self::into_lock(guard)))
        } else {
            Err(guard)
        }
    }

    /// Like [`RwLockUpgradableReadGuard::upgrade_blocking`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuardArc};
    /// let lock = Arc::new(RwLock::new(1));
    /// let writer = RwLockUpgradableReadGuardArc::upgrade_blocking(lock.try_upgradable_read_arc().unwrap());
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn upgrade_blocking(guard: Self) -> RwLockWriteGuardArc<T> {
        match Self::try_upgrade(guard) {
            Ok(writer) => writer,
            Err(guard) => crate::wait::block::block_on(Self::upgrade(guard)),
        }
    }

    /// Like [`RwLockUpgradableReadGuard::downgrade`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockUpgradableReadGuardArc};
    /// let lock = Arc::new(RwLock::new(1));
    /// let reader = RwLockUpgradableReadGuardArc::downgrade(lock.try_upgradable_read_arc().unwrap());
    /// assert_eq!(*reader, 1);
    /// ```
    pub fn downgrade(guard: Self) -> RwLockReadGuardArc<T> {
        guard.lock.raw.downgrade_upgradable();
        RwLockReadGuardArc::new(Self::into_lock(guard))
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized> Deref for RwLockUpgradableReadGuardArc<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        self.lock.data_ref()
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized> Drop for RwLockUpgradableReadGuardArc<T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.raw.upgradable_unlock();
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockUpgradableReadGuardArc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The write lock on an [`RwLock`], owning an `Arc` of it. Made by
/// [`RwLock::write_arc`]. `Send` iff `T: Send`, `Sync` iff `T: Sync`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use turnstile_sync::{RwLock, RwLockWriteGuardArc};
/// let lock = Arc::new(RwLock::new(5));
/// let mut guard: RwLockWriteGuardArc<i32> = lock.try_write_arc().unwrap();
/// *guard += 1;
/// ```
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
#[clippy::has_significant_drop]
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuardArc<T: ?Sized> {
    lock: Arc<RwLock<T>>,
    /// The auto traits are set below.
    _not_auto: PhantomData<*mut T>,
}

// SAFETY: as for `RwLockWriteGuard` (the downgrades need `T: Sync`);
// dropping the last `Arc`, and `T`, on another thread is fine for `T: Send`.
#[cfg(feature = "alloc")]
unsafe impl<T: ?Sized + Send> Send for RwLockWriteGuardArc<T> {}
// SAFETY: `&RwLockWriteGuardArc` gives `&T` only.
#[cfg(feature = "alloc")]
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuardArc<T> {}

#[cfg(feature = "alloc")]
impl<T: ?Sized> RwLockWriteGuardArc<T> {
    #[inline]
    fn new(lock: Arc<RwLock<T>>) -> Self {
        Self {
            lock,
            _not_auto: PhantomData,
        }
    }

    /// Takes the `Arc` out without running `Drop`.
    fn into_lock(guard: Self) -> Arc<RwLock<T>> {
        let guard = ManuallyDrop::new(guard);
        // SAFETY: `guard` is never used or dropped again, so the `Arc` is
        // moved out exactly once.
        unsafe { core::ptr::read(&guard.lock) }
    }

    /// Narrows the guard to a part `U` of the value, like
    /// [`RwLockWriteGuard::map`] (and, like it, the mapped guard has no
    /// downgrade). The mapped guard keeps the `Arc`, so the lock stays alive
    /// and write-locked until it is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockWriteGuardArc};
    /// let lock = Arc::new(RwLock::new((1, String::new())));
    /// let mut name = RwLockWriteGuardArc::map(lock.try_write_arc().unwrap(), |pair| &mut pair.1);
    /// name.push('x');
    /// drop(name);
    /// assert_eq!(lock.try_read().unwrap().1, "x");
    /// ```
    pub fn map<U: ?Sized>(
        mut guard: Self,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> MappedRwLockWriteGuardArc<T, U> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = NonNull::from(f(&mut *guard));
        MappedRwLockWriteGuardArc {
            guard,
            value,
            _invariant: PhantomData,
        }
    }

    /// Like [`map`](Self::map), for a part that may not be there: if `f`
    /// returns `None`, the guard comes back unchanged in `Err`, still
    /// holding the write lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockWriteGuardArc};
    /// let lock = Arc::new(RwLock::new(vec![1]));
    /// let guard = RwLockWriteGuardArc::try_map(lock.try_write_arc().unwrap(), |v| v.get_mut(3)).unwrap_err();
    /// assert!(lock.is_write_locked());
    /// *RwLockWriteGuardArc::try_map(guard, |v| v.first_mut()).unwrap() = 2;
    /// assert_eq!(*lock.try_read().unwrap(), [2]);
    /// ```
    #[doc(alias = "filter_map")]
    pub fn try_map<U: ?Sized>(
        mut guard: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<MappedRwLockWriteGuardArc<T, U>, Self> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = match f(&mut *guard) {
            Some(value) => NonNull::from(value),
            None => return Err(guard),
        };
        Ok(MappedRwLockWriteGuardArc {
            guard,
            value,
            _invariant: PhantomData,
        })
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized + Sync> RwLockWriteGuardArc<T> {
    /// Like [`RwLockWriteGuard::downgrade`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockWriteGuardArc};
    /// let lock = Arc::new(RwLock::new(1));
    /// let reader = RwLockWriteGuardArc::downgrade(lock.try_write_arc().unwrap());
    /// assert!(lock.try_read().is_some());
    /// ```
    pub fn downgrade(guard: Self) -> RwLockReadGuardArc<T> {
        guard.lock.raw.downgrade_write(false);
        RwLockReadGuardArc::new(Self::into_lock(guard))
    }

    /// Like [`RwLockWriteGuard::downgrade_to_upgradable`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockWriteGuardArc};
    /// let lock = Arc::new(RwLock::new(1));
    /// let upgradable = RwLockWriteGuardArc::downgrade_to_upgradable(lock.try_write_arc().unwrap());
    /// assert!(lock.try_upgradable_read().is_none());
    /// ```
    pub fn downgrade_to_upgradable(guard: Self) -> RwLockUpgradableReadGuardArc<T> {
        guard.lock.raw.downgrade_write(true);
        RwLockUpgradableReadGuardArc::new(Self::into_lock(guard))
    }

    /// Like [`RwLockWriteGuard::downgrade_map`]: downgrades and narrows in
    /// one step, no writer coming in between. `T: Sync` for the same reason.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockWriteGuardArc};
    /// let lock = Arc::new(RwLock::new((0, String::from("x"))));
    /// let name = RwLockWriteGuardArc::downgrade_map(lock.try_write_arc().unwrap(), |pair| &pair.1);
    /// assert_eq!(&*name, "x");
    /// assert!(lock.try_read().is_some());
    /// assert!(lock.try_write().is_none());
    /// ```
    pub fn downgrade_map<U: ?Sized>(
        guard: Self,
        f: impl FnOnce(&T) -> &U,
    ) -> MappedRwLockReadGuardArc<T, U> {
        // `f` runs under the write lock; if it panics, `guard` is dropped
        // normally and releases it.
        let value = NonNull::from(f(&*guard));
        MappedRwLockReadGuardArc {
            guard: Self::downgrade(guard),
            value,
        }
    }

    /// Like [`RwLockWriteGuard::try_downgrade_map`]: if `f` returns `None`,
    /// nothing is downgraded and the write guard comes back in `Err`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{RwLock, RwLockWriteGuardArc};
    /// let lock = Arc::new(RwLock::new(None::<u8>));
    /// let writer = RwLockWriteGuardArc::try_downgrade_map(lock.try_write_arc().unwrap(), |v| v.as_ref())
    ///     .unwrap_err();
    /// assert!(lock.is_write_locked());
    /// ```
    pub fn try_downgrade_map<U: ?Sized>(
        guard: Self,
        f: impl FnOnce(&T) -> Option<&U>,
    ) -> Result<MappedRwLockReadGuardArc<T, U>, Self> {
        // As in `downgrade_map`.
        let value = match f(&*guard) {
            Some(value) => NonNull::from(value),
            None => return Err(guard),
        };
        Ok(MappedRwLockReadGuardArc {
            guard: Self::downgrade(guard),
            value,
        })
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized> Deref for RwLockWriteGuardArc<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        self.lock.data_ref()
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized> DerefMut for RwLockWriteGuardArc<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        self.lock.data_mut()
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized> Drop for RwLockWriteGuardArc<T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.raw.write_unlock();
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuardArc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A [`RwLockReadGuardArc`] narrowed by [`RwLockReadGuardArc::map`] (or
/// [`RwLockWriteGuardArc::downgrade_map`]) to a part `U` of the value `T`.
/// It owns the `Arc` of the lock, which stays alive and read-locked until
/// the guard is dropped. Covariant in `T` and `U`, like the read guards.
///
/// `Send` iff `T: Send` and `U: Sync`: it gives `&U`, shared with the
/// lock's other readers, and it may drop the last `Arc`, and with it `T`,
/// on the thread it moved to. `Sync` iff `U: Sync`. Nothing else of `T` is
/// reachable through it (RUSTSEC-2020-0059).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use turnstile_sync::{MappedRwLockReadGuardArc, RwLock, RwLockReadGuardArc};
/// let lock = Arc::new(RwLock::new([1, 2, 3]));
/// let first: MappedRwLockReadGuardArc<[i32; 3], i32> =
///     RwLockReadGuardArc::map(lock.try_read_arc().unwrap(), |a| &a[0]);
/// assert_eq!(*first, 1);
/// ```
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
#[clippy::has_significant_drop]
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct MappedRwLockReadGuardArc<T: ?Sized, U: ?Sized> {
    /// The guard it was mapped from: it holds the `Arc` and the read lock,
    /// and its drop releases both. Only `value` is read through.
    guard: RwLockReadGuardArc<T>,
    /// Into the read-locked value; `NonNull` is covariant and opts out of
    /// the auto traits, which the impls below set.
    value: NonNull<U>,
}

// SAFETY: the guard gives `&U` only; having it on another thread shares `U`
// with the other readers, which `U: Sync` allows. The read release is
// atomic, and dropping the last `Arc` (and `T`) on that thread needs
// `T: Send`. `T: Sync` is not needed: only `U` is reachable, and any `&U`
// that `&T` gives may already cross threads when `U: Sync`.
#[cfg(feature = "alloc")]
unsafe impl<T: ?Sized + Send, U: ?Sized + Sync> Send for MappedRwLockReadGuardArc<T, U> {}
// SAFETY: `&MappedRwLockReadGuardArc` gives `&U` only.
#[cfg(feature = "alloc")]
unsafe impl<T: ?Sized, U: ?Sized + Sync> Sync for MappedRwLockReadGuardArc<T, U> {}

#[cfg(feature = "alloc")]
impl<T: ?Sized, U: ?Sized> MappedRwLockReadGuardArc<T, U> {
    /// Narrows the guard further, to a part `V` of `U`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{MappedRwLockReadGuardArc, RwLock, RwLockReadGuardArc};
    /// let lock = Arc::new(RwLock::new((0, (1, 2))));
    /// let inner = RwLockReadGuardArc::map(lock.try_read_arc().unwrap(), |t| &t.1);
    /// assert_eq!(*MappedRwLockReadGuardArc::map(inner, |pair| &pair.1), 2);
    /// ```
    pub fn map<V: ?Sized>(guard: Self, f: impl FnOnce(&U) -> &V) -> MappedRwLockReadGuardArc<T, V> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = NonNull::from(f(&*guard));
        MappedRwLockReadGuardArc {
            guard: guard.guard,
            value,
        }
    }

    /// Like [`map`](Self::map), for a part that may not be there: if `f`
    /// returns `None`, the guard comes back unchanged in `Err`, still
    /// holding the read lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{MappedRwLockReadGuardArc, RwLock, RwLockReadGuardArc};
    /// let lock = Arc::new(RwLock::new((0, None::<u8>)));
    /// let part = RwLockReadGuardArc::map(lock.try_read_arc().unwrap(), |t| &t.1);
    /// let part = MappedRwLockReadGuardArc::try_map(part, |o| o.as_ref()).unwrap_err();
    /// assert_eq!(lock.reader_count(), 1);
    /// ```
    #[doc(alias = "filter_map")]
    pub fn try_map<V: ?Sized>(
        guard: Self,
        f: impl FnOnce(&U) -> Option<&V>,
    ) -> Result<MappedRwLockReadGuardArc<T, V>, Self> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = match f(&*guard) {
            Some(value) => NonNull::from(value),
            None => return Err(guard),
        };
        Ok(MappedRwLockReadGuardArc {
            guard: guard.guard,
            value,
        })
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized, U: ?Sized> Deref for MappedRwLockReadGuardArc<T, U> {
    type Target = U;

    #[inline]
    fn deref(&self) -> &U {
        // SAFETY: `value` points into the value of the lock that `guard`
        // keeps alive (its `Arc`) and read-locked until this guard drops.
        unsafe { self.value.as_ref() }
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for MappedRwLockReadGuardArc<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A [`RwLockWriteGuardArc`] narrowed by [`RwLockWriteGuardArc::map`] to a
/// part `U` of the value `T`. It owns the `Arc` of the lock, which stays
/// alive and write-locked until the guard is dropped. It has no
/// `downgrade` (see [`RwLockWriteGuard::map`]).
///
/// `Send` iff `T: Send` and `U: Send`: it gives `&mut U`, and it may drop
/// the last `Arc`, and with it `T`, on the thread it moved to. `Sync` iff
/// `U: Sync`. Nothing else of `T` is reachable (RUSTSEC-2020-0059).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use turnstile_sync::{MappedRwLockWriteGuardArc, RwLock, RwLockWriteGuardArc};
/// let lock = Arc::new(RwLock::new([1, 2, 3]));
/// let mut first: MappedRwLockWriteGuardArc<[i32; 3], i32> =
///     RwLockWriteGuardArc::map(lock.try_write_arc().unwrap(), |a| &mut a[0]);
/// *first = 7;
/// ```
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
#[clippy::has_significant_drop]
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct MappedRwLockWriteGuardArc<T: ?Sized, U: ?Sized> {
    /// The guard it was mapped from: it holds the `Arc` and the write lock,
    /// and its drop releases both. It is never dereferenced while this
    /// guard lives, so `value` is the only way to the data.
    guard: RwLockWriteGuardArc<T>,
    /// Into the write-locked value.
    value: NonNull<U>,
    /// Invariant in `U`, as `&mut U` is; with `NonNull`, opts out of the
    /// auto traits, which the impls below set.
    _invariant: PhantomData<*mut U>,
}

// SAFETY: moving the guard moves `&mut U` (needs `U: Send`) and the `Arc`,
// whose last count, and `T`, it may drop on the new thread (`T: Send`). The
// release is atomic.
#[cfg(feature = "alloc")]
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for MappedRwLockWriteGuardArc<T, U> {}
// SAFETY: `&MappedRwLockWriteGuardArc` gives `&U` only.
#[cfg(feature = "alloc")]
unsafe impl<T: ?Sized, U: ?Sized + Sync> Sync for MappedRwLockWriteGuardArc<T, U> {}

#[cfg(feature = "alloc")]
impl<T: ?Sized, U: ?Sized> MappedRwLockWriteGuardArc<T, U> {
    /// Narrows the guard further, to a part `V` of `U`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{MappedRwLockWriteGuardArc, RwLock, RwLockWriteGuardArc};
    /// let lock = Arc::new(RwLock::new((0, (1, 2))));
    /// let inner = RwLockWriteGuardArc::map(lock.try_write_arc().unwrap(), |t| &mut t.1);
    /// *MappedRwLockWriteGuardArc::map(inner, |pair| &mut pair.1) = 9;
    /// assert_eq!(*lock.try_read().unwrap(), (0, (1, 9)));
    /// ```
    pub fn map<V: ?Sized>(
        mut guard: Self,
        f: impl FnOnce(&mut U) -> &mut V,
    ) -> MappedRwLockWriteGuardArc<T, V> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = NonNull::from(f(&mut *guard));
        MappedRwLockWriteGuardArc {
            guard: guard.guard,
            value,
            _invariant: PhantomData,
        }
    }

    /// Like [`map`](Self::map), for a part that may not be there: if `f`
    /// returns `None`, the guard comes back unchanged in `Err`, still
    /// holding the write lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{MappedRwLockWriteGuardArc, RwLock, RwLockWriteGuardArc};
    /// let lock = Arc::new(RwLock::new((0, Some(5))));
    /// let part = RwLockWriteGuardArc::map(lock.try_write_arc().unwrap(), |t| &mut t.1);
    /// *MappedRwLockWriteGuardArc::try_map(part, |o| o.as_mut()).unwrap() += 1;
    /// assert_eq!(lock.try_read().unwrap().1, Some(6));
    /// ```
    #[doc(alias = "filter_map")]
    pub fn try_map<V: ?Sized>(
        mut guard: Self,
        f: impl FnOnce(&mut U) -> Option<&mut V>,
    ) -> Result<MappedRwLockWriteGuardArc<T, V>, Self> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = match f(&mut *guard) {
            Some(value) => NonNull::from(value),
            None => return Err(guard),
        };
        Ok(MappedRwLockWriteGuardArc {
            guard: guard.guard,
            value,
            _invariant: PhantomData,
        })
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized, U: ?Sized> Deref for MappedRwLockWriteGuardArc<T, U> {
    type Target = U;

    #[inline]
    fn deref(&self) -> &U {
        // SAFETY: `value` points into the value of the lock that `guard`
        // keeps alive (its `Arc`) and write-locked until this guard drops.
        unsafe { self.value.as_ref() }
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized, U: ?Sized> DerefMut for MappedRwLockWriteGuardArc<T, U> {
    #[inline]
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access
        // (`guard` is never dereferenced).
        unsafe { self.value.as_mut() }
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for MappedRwLockWriteGuardArc<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
