//! [`MutexGuardArc`]: the guard of a locked [`Mutex`] that owns an `Arc` of
//! it (tier `alloc`).

use core::fmt;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use crate::shim::Arc;

use super::{MappedMutexGuardArc, Mutex};

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
    /// As in [`MutexGuard`](super::MutexGuard): the auto traits are set below.
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
    pub(super) fn new(mutex: Arc<Mutex<T>>) -> Self {
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
    /// [`MutexGuard::map`](crate::MutexGuard::map). The mapped guard keeps the `Arc`, so the mutex
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
