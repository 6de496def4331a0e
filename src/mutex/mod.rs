//! [`Mutex`]: an async mutual-exclusion lock for every tier.

mod raw;
#[cfg(feature = "std")]
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
use raw::{Acquire, RawMutex};
pub use watch::WaitUnlocked;

/// An async mutual-exclusion lock.
///
/// Like [`std::sync::Mutex`], but [`lock`](Self::lock) is a future that
/// suspends the task instead of blocking the thread, and the guard may be held
/// across `.await`. It works the same in every tier: `const`-constructible for
/// a `static`, no heap in the bare tier, blocking variants with `std`,
/// `Arc`-owned guards with `alloc`.
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

/// The one implementation behind [`Lock`] and [`LockArc`]: `M` is how the
/// future reaches the mutex (`&Mutex<T>` or `Arc<Mutex<T>>`).
struct LockInner<M: Deref<Target = Mutex<T>>, T: ?Sized> {
    /// `None` once the lock was handed out.
    mutex: Option<M>,
    acquire: Acquire,
}

impl<M: Deref<Target = Mutex<T>>, T: ?Sized> LockInner<M, T> {
    #[inline]
    fn new(mutex: M) -> Self {
        Self {
            mutex: Some(mutex),
            acquire: Acquire::new(),
        }
    }

    #[inline]
    fn poll_lock(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<M> {
        // SAFETY: `acquire` is re-pinned at once and never moved; `mutex` is
        // not structurally pinned (it is only read and finally taken out).
        let this = unsafe { self.get_unchecked_mut() };
        let mutex = this
            .mutex
            .as_ref()
            .expect("turnstile-sync: lock future polled after it completed");
        // SAFETY: `this.acquire` is inside the pinned future.
        let acquire = unsafe { Pin::new_unchecked(&mut this.acquire) };
        match acquire.poll(&mutex.raw, cx) {
            Poll::Ready(()) => Poll::Ready(this.mutex.take().expect("checked above")),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<M: Deref<Target = Mutex<T>>, T: ?Sized> Drop for LockInner<M, T> {
    #[inline]
    fn drop(&mut self) {
        if let Some(mutex) = &self.mutex {
            // SAFETY: `drop` is the last use of the future, which was pinned
            // if it was ever polled; `acquire` is not moved.
            let acquire = unsafe { Pin::new_unchecked(&mut self.acquire) };
            acquire.cancel(&mutex.raw);
        }
    }
}

/// The future returned by [`Mutex::lock`]; resolves to a [`MutexGuard`].
///
/// It carries its wait-list node, in every tier, and is `!Unpin` (`.await`
/// pins it for you).
///
/// # Examples
///
/// ```
/// use turnstile_sync::{Lock, Mutex};
/// # futures_lite::future::block_on(async {
/// let mutex = Mutex::new(3);
/// let future: Lock<'_, i32> = mutex.lock();
/// assert_eq!(*future.await, 3);
/// # });
/// ```
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct Lock<'a, T: ?Sized>(LockInner<&'a Mutex<T>, T>);

impl<'a, T: ?Sized> Future for Lock<'a, T> {
    type Output = MutexGuard<'a, T>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pin projection to the only field.
        let inner = unsafe { self.map_unchecked_mut(|lock| &mut lock.0) };
        inner.poll_lock(cx).map(MutexGuard::new)
    }
}

impl<T: ?Sized> fmt::Debug for Lock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Lock { .. }")
    }
}

/// The future returned by [`Mutex::lock_arc`]; resolves to a
/// [`MutexGuardArc`]. It owns a clone of the `Arc`, so it is `'static`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use turnstile_sync::{LockArc, Mutex};
/// # futures_lite::future::block_on(async {
/// let mutex = Arc::new(Mutex::new(3));
/// let future: LockArc<i32> = mutex.lock_arc();
/// assert_eq!(*future.await, 3);
/// # });
/// ```
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
#[must_use = "futures do nothing unless .awaited or polled"]
pub struct LockArc<T: ?Sized>(LockInner<Arc<Mutex<T>>, T>);

#[cfg(feature = "alloc")]
impl<T: ?Sized> Future for LockArc<T> {
    type Output = MutexGuardArc<T>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pin projection to the only field.
        let inner = unsafe { self.map_unchecked_mut(|lock| &mut lock.0) };
        inner.poll_lock(cx).map(MutexGuardArc::new)
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized> fmt::Debug for LockArc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LockArc { .. }")
    }
}

/// A locked [`Mutex`]: derefs to the value; dropping it unlocks.
///
/// `Send` iff `T: Send`, so it may be held across `.await` in a task on a
/// multi-threaded runtime; `Sync` iff `T: Sync`.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let mutex = turnstile_sync::Mutex::new(String::from("a"));
/// let mut guard = mutex.lock().await;
/// guard.push('b');
/// assert_eq!(&*guard, "ab");
/// # });
/// ```
#[clippy::has_significant_drop]
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    /// Opts out of the auto traits, which `&Mutex<T>` would give on the wrong
    /// terms (`Sync` for `T: Send`); the impls below set them.
    _not_auto: PhantomData<*mut T>,
}

// SAFETY: moving the guard to another thread moves access to `T` (`&mut T`)
// there, which `T: Send` allows; the unlock it performs on drop is an atomic
// operation valid from any thread.
unsafe impl<T: ?Sized + Send> Send for MutexGuard<'_, T> {}
// SAFETY: a `&MutexGuard` only gives `&T`, which `T: Sync` allows on any
// thread.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Made only by code that has just taken the lock.
    #[inline]
    fn new(mutex: &'a Mutex<T>) -> Self {
        Self {
            mutex,
            _not_auto: PhantomData,
        }
    }

    /// The mutex this guard locks.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{Mutex, MutexGuard};
    /// let mutex = Mutex::new(());
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(std::ptr::eq(MutexGuard::source(&guard), &mutex));
    /// ```
    #[doc(alias = "mutex")]
    pub fn source(guard: &Self) -> &'a Mutex<T> {
        guard.mutex
    }

    /// Narrows the guard to a part of the value. The mutex stays locked until
    /// the mapped guard is dropped. The mapped guard's `Send` and `Sync`
    /// follow `U`, the part it gives access to.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{Mutex, MutexGuard};
    /// # futures_lite::future::block_on(async {
    /// let mutex = Mutex::new((1, String::new()));
    /// let mut name = MutexGuard::map(mutex.lock().await, |pair| &mut pair.1);
    /// name.push_str("x");
    /// drop(name);
    /// assert_eq!(mutex.lock().await.1, "x");
    /// # });
    /// ```
    pub fn map<U: ?Sized>(
        guard: Self,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> MappedMutexGuard<'a, U> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = NonNull::from(f(
            // SAFETY: the guard holds the lock, so this is the only access.
            guard.mutex.data.with_mut(|value| unsafe { &mut *value }),
        ));
        let guard = ManuallyDrop::new(guard);
        MappedMutexGuard {
            raw: &guard.mutex.raw,
            value,
            _borrow: PhantomData,
        }
    }

    /// Like [`map`](Self::map), for a part that may not be there: if `f`
    /// returns `None`, the guard comes back unchanged in `Err`, still
    /// holding the lock. (tokio's and lock_api's `try_map`, std's
    /// `filter_map`.)
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{Mutex, MutexGuard};
    /// let mutex = Mutex::new(vec![1, 2]);
    /// let guard = mutex.try_lock().unwrap();
    /// let guard = MutexGuard::try_map(guard, |v| v.get_mut(5)).unwrap_err();
    /// assert!(mutex.is_locked());
    /// let mut second = MutexGuard::try_map(guard, |v| v.get_mut(1)).unwrap();
    /// *second = 7;
    /// drop(second);
    /// assert_eq!(*mutex.try_lock().unwrap(), [1, 7]);
    /// ```
    #[doc(alias = "filter_map")]
    pub fn try_map<U: ?Sized>(
        guard: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<MappedMutexGuard<'a, U>, Self> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = match f(
            // SAFETY: the guard holds the lock, so this is the only access;
            // the reference is gone once `f` returns.
            guard.mutex.data.with_mut(|value| unsafe { &mut *value }),
        ) {
            Some(value) => NonNull::from(value),
            None => return Err(guard),
        };
        let guard = ManuallyDrop::new(guard);
        Ok(MappedMutexGuard {
            raw: &guard.mutex.raw,
            value,
            _borrow: PhantomData,
        })
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock; `&self` allows shared access only.
        self.mutex.data.with(|value| unsafe { &*value })
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock; `&mut self` makes this the only
        // access through it.
        self.mutex.data.with_mut(|value| unsafe { &mut *value })
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.mutex.raw.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// A [`MutexGuard`] narrowed by [`MutexGuard::map`] to a part `U` of the
/// value. `Send` iff `U: Send`, `Sync` iff `U: Sync`.
///
/// # Examples
///
/// ```
/// use turnstile_sync::{Mutex, MutexGuard, MappedMutexGuard};
/// let mutex = Mutex::new([1, 2, 3]);
/// let first: MappedMutexGuard<'_, i32> = MutexGuard::map(mutex.try_lock().unwrap(), |a| &mut a[0]);
/// assert_eq!(*first, 1);
/// ```
#[clippy::has_significant_drop]
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MappedMutexGuard<'a, U: ?Sized> {
    raw: &'a RawMutex,
    value: NonNull<U>,
    /// Borrows `U` mutably for `'a`: variance and drop-check as for `&'a mut U`.
    _borrow: PhantomData<&'a mut U>,
}

// SAFETY: the guard gives `&mut U` only; moving it to another thread moves
// that access, which `U: Send` allows. The unlock is atomic, valid anywhere.
// Nothing else of the original `T` is reachable through it (RUSTSEC-2020-0059
// was deriving these from `T` instead).
unsafe impl<U: ?Sized + Send> Send for MappedMutexGuard<'_, U> {}
// SAFETY: `&MappedMutexGuard` gives `&U` only, which `U: Sync` allows.
unsafe impl<U: ?Sized + Sync> Sync for MappedMutexGuard<'_, U> {}

impl<'a, U: ?Sized> MappedMutexGuard<'a, U> {
    /// Narrows the guard further, to a part `V` of `U`. The mutex stays
    /// locked until the new guard is dropped; its `Send` and `Sync` follow
    /// `V`.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{MappedMutexGuard, Mutex, MutexGuard};
    /// let mutex = Mutex::new((0, (1, 2)));
    /// let inner = MutexGuard::map(mutex.try_lock().unwrap(), |t| &mut t.1);
    /// let mut last = MappedMutexGuard::map(inner, |pair| &mut pair.1);
    /// *last = 9;
    /// drop(last);
    /// assert_eq!(*mutex.try_lock().unwrap(), (0, (1, 9)));
    /// ```
    pub fn map<V: ?Sized>(
        guard: Self,
        f: impl FnOnce(&mut U) -> &mut V,
    ) -> MappedMutexGuard<'a, V> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        // SAFETY: `value` points into the locked value, the lock is held
        // until `guard` (owned here) drops, so this is the only access.
        let value = NonNull::from(f(unsafe { &mut *guard.value.as_ptr() }));
        let guard = ManuallyDrop::new(guard);
        MappedMutexGuard {
            raw: guard.raw,
            value,
            _borrow: PhantomData,
        }
    }

    /// Like [`map`](Self::map), for a part that may not be there: if `f`
    /// returns `None`, the guard comes back unchanged in `Err`, still
    /// holding the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use turnstile_sync::{MappedMutexGuard, Mutex, MutexGuard};
    /// let mutex = Mutex::new((0, Some(5)));
    /// let part = MutexGuard::map(mutex.try_lock().unwrap(), |t| &mut t.1);
    /// let mut five = MappedMutexGuard::try_map(part, |o| o.as_mut()).unwrap();
    /// *five += 1;
    /// drop(five);
    /// assert_eq!(mutex.try_lock().unwrap().1, Some(6));
    /// ```
    #[doc(alias = "filter_map")]
    pub fn try_map<V: ?Sized>(
        guard: Self,
        f: impl FnOnce(&mut U) -> Option<&mut V>,
    ) -> Result<MappedMutexGuard<'a, V>, Self> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        // SAFETY: as in `map`; the reference is gone once `f` returns.
        let value = match f(unsafe { &mut *guard.value.as_ptr() }) {
            Some(value) => NonNull::from(value),
            None => return Err(guard),
        };
        let guard = ManuallyDrop::new(guard);
        Ok(MappedMutexGuard {
            raw: guard.raw,
            value,
            _borrow: PhantomData,
        })
    }
}

impl<U: ?Sized> Deref for MappedMutexGuard<'_, U> {
    type Target = U;

    #[inline]
    fn deref(&self) -> &U {
        // SAFETY: `value` points into the locked mutex's value, and the lock
        // is held until this guard drops.
        unsafe { self.value.as_ref() }
    }
}

impl<U: ?Sized> DerefMut for MappedMutexGuard<'_, U> {
    #[inline]
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access.
        unsafe { self.value.as_mut() }
    }
}

impl<U: ?Sized> Drop for MappedMutexGuard<'_, U> {
    #[inline]
    fn drop(&mut self) {
        self.raw.unlock();
    }
}

impl<U: ?Sized + fmt::Debug> fmt::Debug for MappedMutexGuard<'_, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A locked [`Mutex`] that owns an `Arc` of it: `'static`, so it can move
/// into a spawned task. Made by [`Mutex::lock_arc`]. `Send` iff `T: Send`,
/// `Sync` iff `T: Sync`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use turnstile_sync::{Mutex, MutexGuardArc};
/// let mutex = Arc::new(Mutex::new(5));
/// let guard: MutexGuardArc<i32> = mutex.try_lock_arc().unwrap();
/// assert!(Arc::ptr_eq(MutexGuardArc::source(&guard), &mutex));
/// ```
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
#[clippy::has_significant_drop]
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuardArc<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
    /// As in [`MutexGuard`]: the auto traits are set below.
    _not_auto: PhantomData<*mut T>,
}

// SAFETY: as for `MutexGuard`; the `Arc` itself is `Send` when `Mutex<T>` is
// `Send + Sync`, i.e. `T: Send`.
#[cfg(feature = "alloc")]
unsafe impl<T: ?Sized + Send> Send for MutexGuardArc<T> {}
// SAFETY: `&MutexGuardArc` gives `&T` only; sharing it needs `T: Sync`.
// Cloning the `Arc` is not possible through it.
#[cfg(feature = "alloc")]
unsafe impl<T: ?Sized + Sync> Sync for MutexGuardArc<T> {}

#[cfg(feature = "alloc")]
impl<T: ?Sized> MutexGuardArc<T> {
    #[inline]
    fn new(mutex: Arc<Mutex<T>>) -> Self {
        Self {
            mutex,
            _not_auto: PhantomData,
        }
    }

    /// The `Arc` of the mutex this guard locks.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = std::sync::Arc::new(turnstile_sync::Mutex::new(()));
    /// let guard = mutex.try_lock_arc().unwrap();
    /// assert_eq!(std::sync::Arc::strong_count(turnstile_sync::MutexGuardArc::source(&guard)), 2);
    /// ```
    #[doc(alias = "mutex")]
    pub fn source(guard: &Self) -> &Arc<Mutex<T>> {
        &guard.mutex
    }

    /// Narrows the guard to a part `U` of the value, like
    /// [`MutexGuard::map`]. The mapped guard keeps the `Arc`, so the mutex
    /// stays alive and locked until it is dropped, whatever happens to the
    /// caller's `Arc`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{MappedMutexGuardArc, Mutex, MutexGuardArc};
    /// let mutex = Arc::new(Mutex::new((1, String::new())));
    /// let mut name: MappedMutexGuardArc<(i32, String), String> =
    ///     MutexGuardArc::map(mutex.try_lock_arc().unwrap(), |pair| &mut pair.1);
    /// name.push('x');
    /// drop(name);
    /// assert_eq!(mutex.try_lock().unwrap().1, "x");
    /// ```
    pub fn map<U: ?Sized>(
        mut guard: Self,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> MappedMutexGuardArc<T, U> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = NonNull::from(f(&mut *guard));
        MappedMutexGuardArc {
            guard,
            value,
            _invariant: PhantomData,
        }
    }

    /// Like [`map`](Self::map), for a part that may not be there: if `f`
    /// returns `None`, the guard comes back unchanged in `Err`, still
    /// holding the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{Mutex, MutexGuardArc};
    /// let mutex = Arc::new(Mutex::new(vec![1]));
    /// let guard = MutexGuardArc::try_map(mutex.try_lock_arc().unwrap(), |v| v.get_mut(3)).unwrap_err();
    /// assert!(mutex.is_locked());
    /// let first = MutexGuardArc::try_map(guard, |v| v.first_mut()).unwrap();
    /// assert_eq!(*first, 1);
    /// ```
    #[doc(alias = "filter_map")]
    pub fn try_map<U: ?Sized>(
        mut guard: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<MappedMutexGuardArc<T, U>, Self> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = match f(&mut *guard) {
            Some(value) => NonNull::from(value),
            None => return Err(guard),
        };
        Ok(MappedMutexGuardArc {
            guard,
            value,
            _invariant: PhantomData,
        })
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized> Deref for MutexGuardArc<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock; `&self` allows shared access only.
        self.mutex.data.with(|value| unsafe { &*value })
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized> DerefMut for MutexGuardArc<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock; `&mut self` makes this the only
        // access through it.
        self.mutex.data.with_mut(|value| unsafe { &mut *value })
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized> Drop for MutexGuardArc<T> {
    #[inline]
    fn drop(&mut self) {
        self.mutex.raw.unlock();
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuardArc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A [`MutexGuardArc`] narrowed by [`MutexGuardArc::map`] to a part `U` of
/// the value `T`. It owns the `Arc` of the mutex, so it is `'static` (for
/// `T: 'static`) and keeps the mutex alive and locked until it is dropped.
///
/// `Send` iff `T: Send` and `U: Send`: it gives `&mut U` (moving it moves
/// that access), and it may drop the last `Arc`, and with it `T`, on the
/// thread it moved to. `Sync` iff `U: Sync`: a shared reference to it gives
/// `&U` only, nothing of `T` (RUSTSEC-2020-0059 was deriving these from
/// `T` alone).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use turnstile_sync::{MappedMutexGuardArc, Mutex, MutexGuardArc};
/// let mutex = Arc::new(Mutex::new([1, 2, 3]));
/// let first: MappedMutexGuardArc<[i32; 3], i32> =
///     MutexGuardArc::map(mutex.try_lock_arc().unwrap(), |a| &mut a[0]);
/// drop(mutex); // the guard keeps the mutex alive
/// assert_eq!(*first, 1);
/// ```
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
#[clippy::has_significant_drop]
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MappedMutexGuardArc<T: ?Sized, U: ?Sized> {
    /// The guard it was mapped from: it holds the `Arc` and the lock, and
    /// its drop unlocks and gives the count back. It is never dereferenced
    /// while this guard lives, so `value` is the only way to the data.
    guard: MutexGuardArc<T>,
    /// Into the locked value, in the `Arc`'s allocation.
    value: NonNull<U>,
    /// Invariant in `U`, as `&mut U` is; with `NonNull`, opts out of the
    /// auto traits, which the impls below set.
    _invariant: PhantomData<*mut U>,
}

// SAFETY: moving the guard moves `&mut U` (needs `U: Send`) and the `Arc`:
// `Arc<Mutex<T>>` is `Send` for `T: Send`, which also covers dropping the
// last count, and `T`, on the new thread. The unlock is atomic.
#[cfg(feature = "alloc")]
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for MappedMutexGuardArc<T, U> {}
// SAFETY: `&MappedMutexGuardArc` gives `&U` only (the `Arc` is not reachable
// through it), which `U: Sync` allows on any thread.
#[cfg(feature = "alloc")]
unsafe impl<T: ?Sized, U: ?Sized + Sync> Sync for MappedMutexGuardArc<T, U> {}

#[cfg(feature = "alloc")]
impl<T: ?Sized, U: ?Sized> MappedMutexGuardArc<T, U> {
    /// Narrows the guard further, to a part `V` of `U`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{MappedMutexGuardArc, Mutex, MutexGuardArc};
    /// let mutex = Arc::new(Mutex::new((0, (1, 2))));
    /// let inner = MutexGuardArc::map(mutex.try_lock_arc().unwrap(), |t| &mut t.1);
    /// *MappedMutexGuardArc::map(inner, |pair| &mut pair.1) = 9;
    /// assert_eq!(*mutex.try_lock().unwrap(), (0, (1, 9)));
    /// ```
    pub fn map<V: ?Sized>(
        mut guard: Self,
        f: impl FnOnce(&mut U) -> &mut V,
    ) -> MappedMutexGuardArc<T, V> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = NonNull::from(f(&mut *guard));
        MappedMutexGuardArc {
            guard: guard.guard,
            value,
            _invariant: PhantomData,
        }
    }

    /// Like [`map`](Self::map), for a part that may not be there: if `f`
    /// returns `None`, the guard comes back unchanged in `Err`, still
    /// holding the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use turnstile_sync::{MappedMutexGuardArc, Mutex, MutexGuardArc};
    /// let mutex = Arc::new(Mutex::new((0, None::<u8>)));
    /// let part = MutexGuardArc::map(mutex.try_lock_arc().unwrap(), |t| &mut t.1);
    /// let part = MappedMutexGuardArc::try_map(part, |o| o.as_mut()).unwrap_err();
    /// assert!(mutex.is_locked());
    /// ```
    #[doc(alias = "filter_map")]
    pub fn try_map<V: ?Sized>(
        mut guard: Self,
        f: impl FnOnce(&mut U) -> Option<&mut V>,
    ) -> Result<MappedMutexGuardArc<T, V>, Self> {
        // If `f` panics, `guard` is dropped normally and unlocks.
        let value = match f(&mut *guard) {
            Some(value) => NonNull::from(value),
            None => return Err(guard),
        };
        Ok(MappedMutexGuardArc {
            guard: guard.guard,
            value,
            _invariant: PhantomData,
        })
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized, U: ?Sized> Deref for MappedMutexGuardArc<T, U> {
    type Target = U;

    #[inline]
    fn deref(&self) -> &U {
        // SAFETY: `value` points into the value of the mutex that `guard`
        // keeps alive (its `Arc`) and locked until this guard drops.
        unsafe { self.value.as_ref() }
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized, U: ?Sized> DerefMut for MappedMutexGuardArc<T, U> {
    #[inline]
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access
        // (`guard` is never dereferenced).
        unsafe { self.value.as_mut() }
    }
}

#[cfg(feature = "alloc")]
impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for MappedMutexGuardArc<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
