//! [`RwLock`]: an async reader-writer lock with upgradable reads and fair
//! phases, for every tier.

mod futures;
mod guard;
#[cfg(feature = "alloc")]
mod guard_arc;
mod mapped;
mod raw;
mod timeout;
mod watch;

use core::fmt;
use core::ptr::NonNull;

#[cfg(feature = "alloc")]
use crate::shim::Arc;

use crate::shim::{const_fn, UnsafeCell};
use raw::{kind, RawRwLock};
use futures::AcquireInner;
pub use futures::{Read, UpgradableRead, Upgrade, Write};
#[cfg(feature = "alloc")]
pub use futures::{ReadArc, UpgradableReadArc, UpgradeArc, WriteArc};
pub use guard::{RwLockReadGuard, RwLockUpgradableReadGuard, RwLockWriteGuard};
#[cfg(feature = "alloc")]
pub use guard_arc::{RwLockReadGuardArc, RwLockUpgradableReadGuardArc, RwLockWriteGuardArc};
pub use mapped::{MappedRwLockReadGuard, MappedRwLockWriteGuard};
#[cfg(feature = "alloc")]
pub use mapped::{MappedRwLockReadGuardArc, MappedRwLockWriteGuardArc};
pub use timeout::UpgradeTimeout;
pub use watch::WaitWriteUnlocked;
#[cfg(feature = "alloc")]
pub use timeout::UpgradeTimeoutArc;

/// An async reader-writer lock: many readers or one writer, plus at most one
/// *upgradable* reader that reads alongside the plain readers and can later
/// become the writer without letting another writer in first.
///
/// Like [`std::sync::RwLock`][std-RwLock], but every acquire is a future
/// that suspends the task instead of blocking the thread, and the guards may
/// be held across `.await`. It works the same in every tier:
/// `const`-constructible for a `static`, no heap in the bare tier, blocking
/// variants with `std`, `Arc`-owned guards with `alloc`. Uncontended, a read
/// or a write is one atomic read-modify-write to acquire and one to release;
/// so is a read while other readers are inside.
///
/// [std-RwLock]: https://doc.rust-lang.org/std/sync/struct.RwLock.html
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
    /// If the lock already counts the maximum number of readers (2²⁸ − 1,
    /// 268 435 455, on 64-bit targets; 2¹³ − 1, 8 191, on 32-bit ones). The
    /// count is never wrapped.
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
