//! The mapped guards, narrowed by `map` to a part of the locked value:
//! [`MappedRwLockReadGuard`], [`MappedRwLockWriteGuard`] and their `Arc`
//! forms.

use core::fmt;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use super::raw::RawRwLock;
#[cfg(feature = "alloc")]
use super::{RwLockReadGuardArc, RwLockWriteGuardArc};

/// A [`RwLockReadGuard`](crate::RwLockReadGuard) narrowed by [`RwLockReadGuard::map`](crate::RwLockReadGuard::map) to a part `U`
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
    pub(super) raw: &'a RawRwLock,
    pub(super) value: NonNull<U>,
    /// Borrows `U` for `'a`: variance and drop-check as for `&'a U`.
    pub(super) _borrow: PhantomData<&'a U>,
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

/// A [`RwLockWriteGuard`](crate::RwLockWriteGuard) narrowed by [`RwLockWriteGuard::map`](crate::RwLockWriteGuard::map) to a part
/// `U` of the value. `Send` iff `U: Send`, `Sync` iff `U: Sync`. It has no
/// `downgrade` (see [`RwLockWriteGuard::map`](crate::RwLockWriteGuard::map)).
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
    pub(super) raw: &'a RawRwLock,
    pub(super) value: NonNull<U>,
    /// Borrows `U` mutably for `'a`: variance and drop-check as for
    /// `&'a mut U`.
    pub(super) _borrow: PhantomData<&'a mut U>,
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
    pub(super) guard: RwLockReadGuardArc<T>,
    /// Into the read-locked value; `NonNull` is covariant and opts out of
    /// the auto traits, which the impls below set.
    pub(super) value: NonNull<U>,
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
/// `downgrade` (see [`RwLockWriteGuard::map`](crate::RwLockWriteGuard::map)).
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
    pub(super) guard: RwLockWriteGuardArc<T>,
    /// Into the write-locked value.
    pub(super) value: NonNull<U>,
    /// Invariant in `U`, as `&mut U` is; with `NonNull`, opts out of the
    /// auto traits, which the impls below set.
    pub(super) _invariant: PhantomData<*mut U>,
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
