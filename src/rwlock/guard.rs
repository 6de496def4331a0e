//! The borrowed guards: [`RwLockReadGuard`], [`RwLockUpgradableReadGuard`]
//! and [`RwLockWriteGuard`].

use core::fmt;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use super::{erase, lock_of, AcquireInner, MappedRwLockReadGuard, MappedRwLockWriteGuard, RwLock, Upgrade};


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


impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    #[inline]
    pub(super) fn new(lock: &'a RwLock<T>) -> Self {
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
    pub(super) lock: &'a RwLock<T>,
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
    pub(super) fn new(lock: &'a RwLock<T>) -> Self {
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
    pub(super) fn new(lock: &'a RwLock<T>) -> Self {
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
