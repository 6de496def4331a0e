//! [`Mutex`]: an async mutual-exclusion lock for every tier.

mod futures;
mod guard;
#[cfg(feature = "alloc")]
mod guard_arc;
mod mapped;
mod raw;
#[cfg(feature = "std")]
mod timeout;
mod watch;

use core::fmt;

#[cfg(feature = "alloc")]
use crate::shim::Arc;

use crate::shim::{const_fn, UnsafeCell};
use raw::RawMutex;
pub use futures::Lock;
#[cfg(feature = "alloc")]
pub use futures::LockArc;
use futures::LockInner;
pub use guard::MutexGuard;
#[cfg(feature = "alloc")]
pub use guard_arc::MutexGuardArc;
pub use mapped::MappedMutexGuard;
#[cfg(feature = "alloc")]
pub use mapped::MappedMutexGuardArc;
pub use watch::WaitUnlocked;

/// An async mutual-exclusion lock.
///
/// Like [`std::sync::Mutex`][std-Mutex], but [`lock`](Self::lock) is a
/// future that suspends the task instead of blocking the thread, and the
/// guard may be held across `.await`. It works the same in every tier:
/// `const`-constructible for a `static`, no heap in the bare tier, blocking
/// variants with `std`, `Arc`-owned guards with `alloc`.
///
/// [std-Mutex]: https://doc.rust-lang.org/std/sync/struct.Mutex.html
///
/// # Fairness
///
/// Bounded barging: a released lock goes to whoever asks next, which keeps
/// throughput high, but a woken waiter that loses the race four times
/// switches the mutex into hand-off mode until it is served, so no waiter is
/// passed over forever — with or without a clock. See the crate docs.
///
/// # Examples
///
/// ```
/// use turnstile_sync::Mutex;
///
/// static COUNTER: Mutex<u32> = Mutex::new(0);
///
/// # futures_lite::future::block_on(async {
/// *COUNTER.lock().await += 1;
/// assert_eq!(*COUNTER.lock().await, 1);
/// # });
/// ```
pub struct Mutex<T: ?Sized> {
    raw: RawMutex,
    data: UnsafeCell<T>,
}

// SAFETY: a `&Mutex<T>` hands out `&mut T` to one holder at a time (the
// `LOCKED` bit, taken with Acquire and released with Release, makes the
// critical sections happen one after another), so sharing the mutex between
// threads moves `T` between them: `T: Send` suffices, as for std's mutex.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    const_fn! {
        /// Creates an unlocked mutex holding `value`. `const`, so it can
        /// initialise a `static`.
        ///
        /// # Examples
        ///
        /// ```
        /// static LOCK: turnstile_sync::Mutex<Vec<u8>> = turnstile_sync::Mutex::new(Vec::new());
        /// ```
        pub const fn new(value: T) -> Self {
            Self {
                raw: RawMutex::new(),
                data: UnsafeCell::new(value),
            }
        }
    }

    /// Consumes the mutex and returns the value.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = turnstile_sync::Mutex::new(7);
    /// assert_eq!(mutex.into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, waiting for it if it is held.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future at any point is safe: it leaves the queue, and a
    /// wakeup it had received goes to the next waiter. Dropping it does not
    /// unlock a lock it never returned. Leaking it while it waits
    /// (`mem::forget`) is another matter: it keeps a wakeup it received, or
    /// the hand-off mode it started, for good (see the crate docs,
    /// "Cancellation").
    ///
    /// # Fairness
    ///
    /// Waiters are woken in FIFO order; a woken waiter can lose the lock to a
    /// caller that arrives while it is being scheduled, at most four times
    /// before the mutex hands the lock to the queue. See [`Mutex`].
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let mutex = turnstile_sync::Mutex::new(1);
    /// *mutex.lock().await += 1;
    /// assert_eq!(mutex.into_inner(), 2);
    /// # });
    /// ```
    #[inline]
    pub fn lock(&self) -> Lock<'_, T> {
        Lock(LockInner::new(self))
    }

    /// Locks the mutex if it is free right now.
    ///
    /// Returns `None` if it is held.
    ///
    /// # Fairness
    ///
    /// Also `None` while the mutex is in hand-off mode for a starving waiter
    /// (see [`Mutex`]), even if it is momentarily free, so that a loop of
    /// `try_lock` cannot starve a queued waiter either.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = turnstile_sync::Mutex::new(());
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock().is_none());
    /// drop(guard);
    /// assert!(mutex.try_lock().is_some());
    /// ```
    #[inline]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.raw.try_lock().then(|| MutexGuard::new(self))
    }

    /// Blocks the current thread until the mutex is locked. For code on plain
    /// threads; in async code use [`lock`](Self::lock). It runs the same state
    /// machine as `lock`, parking the thread between steps.
    ///
    /// # Fairness
    ///
    /// As for [`lock`](Self::lock): threads and tasks share one queue.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = std::sync::Arc::new(turnstile_sync::Mutex::new(0));
    /// let m = mutex.clone();
    /// std::thread::spawn(move || *m.lock_blocking() += 1).join().unwrap();
    /// assert_eq!(*mutex.lock_blocking(), 1);
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    #[doc(alias = "blocking_lock")]
    pub fn lock_blocking(&self) -> MutexGuard<'_, T> {
        // The uncontended case needs no waker: skip setting up the parking.
        if let Some(guard) = self.try_lock() {
            return guard;
        }
        crate::wait::block::block_on(self.lock())
    }

    /// Whether the mutex is locked right now: a snapshot for diagnostics.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = turnstile_sync::Mutex::new(());
    /// let guard = mutex.try_lock();
    /// assert!(mutex.is_locked());
    /// ```
    #[inline]
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// A mutable reference to the value: no locking is needed, as the `&mut`
    /// proves nobody else can reach the mutex.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut mutex = turnstile_sync::Mutex::new(1);
    /// *mutex.get_mut() = 5;
    /// assert_eq!(mutex.into_inner(), 5);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` excludes every guard and every other access.
        self.data.with_mut(|value| unsafe { &mut *value })
    }
}

#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
impl<T: ?Sized> Mutex<T> {
    crate::shim::arc_methods! {
    /// Like [`lock`](Self::lock), for a mutex in an `Arc`: the guard owns a
    /// clone of the `Arc`, so it is `'static` and can move into a spawned task.
    ///
    /// # Cancel safety
    ///
    /// As for [`lock`](Self::lock).
    ///
    /// # Fairness
    ///
    /// As for [`lock`](Self::lock).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// # futures_lite::future::block_on(async {
    /// let mutex = Arc::new(turnstile_sync::Mutex::new(0));
    /// let mut guard = mutex.lock_arc().await;
    /// *guard += 1;
    /// drop(guard);
    /// assert_eq!(*mutex.lock().await, 1);
    /// # });
    /// ```
    #[inline]
    #[doc(alias = "lock_owned")]
    pub fn lock_arc(this: &Arc<Self>) -> LockArc<T> {
        LockArc(LockInner::new(this.clone()))
    }

    /// Like [`try_lock`](Self::try_lock), returning an `Arc`-owned guard.
    ///
    /// # Fairness
    ///
    /// As for [`try_lock`](Self::try_lock).
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = std::sync::Arc::new(turnstile_sync::Mutex::new(()));
    /// let guard = mutex.try_lock_arc().unwrap();
    /// assert!(mutex.try_lock_arc().is_none());
    /// ```
    #[inline]
    #[doc(alias = "try_lock_owned")]
    pub fn try_lock_arc(this: &Arc<Self>) -> Option<MutexGuardArc<T>> {
        this.raw
            .try_lock()
            .then(|| MutexGuardArc::new(this.clone()))
    }

    /// Like [`lock_blocking`](Self::lock_blocking), returning an
    /// `Arc`-owned guard.
    ///
    /// # Fairness
    ///
    /// As for [`lock`](Self::lock).
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = std::sync::Arc::new(turnstile_sync::Mutex::new(1));
    /// let guard = mutex.lock_arc_blocking();
    /// assert_eq!(*guard, 1);
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn lock_arc_blocking(this: &Arc<Self>) -> MutexGuardArc<T> {
        if let Some(guard) = Self::try_lock_arc(this) {
            return guard;
        }
        crate::wait::block::block_on(Self::lock_arc(this))
    }
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    /// Shows the value if [`try_lock`](Mutex::try_lock) succeeds, `<locked>`
    /// otherwise (also while a free mutex is reserved for a starving waiter).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(guard) => d.field("value", &&*guard),
            None => d.field("value", &format_args!("<locked>")),
        };
        d.finish()
    }
}
