//! The mapped guards: [`MappedMutexGuard`] and [`MappedMutexGuardArc`],
//! narrowed by `map` to a part of the locked value.

use core::fmt;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use super::raw::RawMutex;
#[cfg(feature = "alloc")]
use super::MutexGuardArc;

/// A [`MutexGuard`](crate::MutexGuard) narrowed by [`MutexGuard::map`](crate::MutexGuard::map) to a part `U` of the
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
    pub(super) raw: &'a RawMutex,
    pub(super) value: NonNull<U>,
    /// Borrows `U` mutably for `'a`: variance and drop-check as for `&'a mut U`.
    pub(super) _borrow: PhantomData<&'a mut U>,
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
    pub(super) guard: MutexGuardArc<T>,
    /// Into the locked value, in the `Arc`'s allocation.
    pub(super) value: NonNull<U>,
    /// Invariant in `U`, as `&mut U` is; with `NonNull`, opts out of the
    /// auto traits, which the impls below set.
    pub(super) _invariant: PhantomData<*mut U>,
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
