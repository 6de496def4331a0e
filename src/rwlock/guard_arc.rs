//! The guards that own an `Arc` of their [`RwLock`] (tier `alloc`):
//! [`RwLockReadGuardArc`], [`RwLockUpgradableReadGuardArc`] and
//! [`RwLockWriteGuardArc`].

use core::fmt;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use crate::shim::Arc;

use super::{erase, lock_of, AcquireInner, MappedRwLockReadGuardArc, MappedRwLockWriteGuardArc, RwLock, UpgradeArc};


/// A read lock on an [`RwLock`] that owns an `Arc` of it: `'static`, so it
/// can move into a spawned task. Made by [`RwLock::read_arc`]. `Send` iff
/// `T: Send + Sync` (dropping the last `Arc` drops `T` where the guard is);
/// `Sync` iff `T: Sync`. Covariant in `T`, like [`RwLockReadGuard`](crate::RwLockReadGuard).
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
    /// [`RwLockReadGuard`](super::RwLockReadGuard): only cast back to read
    /// the value, release the read lock and give the count back. The auto
    /// traits are set below.
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
    pub(super) fn new(lock: Arc<RwLock<T>>) -> Self {
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
    /// [`RwLockReadGuard::map`](crate::RwLockReadGuard::map). The mapped guard keeps the `Arc`, so the
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
/// `T: Sync`; invariant in `T`, like [`RwLockUpgradableReadGuard`](crate::RwLockUpgradableReadGuard).
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
    pub(super) fn new(lock: Arc<RwLock<T>>) -> Self {
        Self {
            lock,
            _invariant: PhantomData,
        }
    }

    /// Takes the `Arc` out without running `Drop`.
    pub(super) fn into_lock(guard: Self) -> Arc<RwLock<T>> {
        let guard = ManuallyDrop::new(guard);
        // SAFETY: `guard` is never used or dropped again, so the `Arc` is
        // moved out exactly once.
        unsafe { core::ptr::read(&guard.lock) }
    }

    /// Like [`RwLockUpgradableReadGuard::upgrade`](crate::RwLockUpgradableReadGuard::upgrade).
    ///
    /// # Cancel safety
    ///
    /// As for [`RwLockUpgradableReadGuard::upgrade`](crate::RwLockUpgradableReadGuard::upgrade): dropping the future
    /// releases the upgradable lock.
    ///
    /// # Fairness
    ///
    /// As for [`RwLockUpgradableReadGuard::upgrade`](crate::RwLockUpgradableReadGuard::upgrade): no writer can come
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

    /// Like [`RwLockUpgradableReadGuard::try_upgrade`](crate::RwLockUpgradableReadGuard::try_upgrade).
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

    /// Like [`RwLockUpgradableReadGuard::upgrade_blocking`](crate::RwLockUpgradableReadGuard::upgrade_blocking).
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

    /// Like [`RwLockUpgradableReadGuard::downgrade`](crate::RwLockUpgradableReadGuard::downgrade).
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
    pub(super) fn new(lock: Arc<RwLock<T>>) -> Self {
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
    /// [`RwLockWriteGuard::map`](crate::RwLockWriteGuard::map) (and, like it, the mapped guard has no
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
    /// Like [`RwLockWriteGuard::downgrade`](crate::RwLockWriteGuard::downgrade).
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

    /// Like [`RwLockWriteGuard::downgrade_to_upgradable`](crate::RwLockWriteGuard::downgrade_to_upgradable).
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

    /// Like [`RwLockWriteGuard::downgrade_map`](crate::RwLockWriteGuard::downgrade_map): downgrades and narrows in
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

    /// Like [`RwLockWriteGuard::try_downgrade_map`](crate::RwLockWriteGuard::try_downgrade_map): if `f` returns `None`,
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
